import json
import logging

import requests
from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from prometheus_client import Counter

from classpoint import i18n
from classpoint.money import format_money
from classpoint.net import client_ip
from classpoint.scoping import enter_school, unscoped
from classpoint.secrets import SecretNotFound

from . import services
from .errors import PaymentsErrorCode
from .gateways import GatewayError, get_gateway
from .models import PaymentIntent

log = logging.getLogger(__name__)
WEBHOOK_REJECTED = Counter(
    "classpoint_webhook_rejected", "Webhooks refused for a bad or missing signature.", ["gateway"]
)
WEBHOOK_UNCONFIGURED = Counter(
    "classpoint_webhook_unconfigured", "Webhooks refused because the gateway has no key configured.", ["gateway"]
)


def _error(code, message, status):
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


@csrf_exempt
@require_POST
def webhook(request, gateway_name):
    """Verify over the raw bytes, store once, answer fast; crediting happens through the outbox."""
    gateway = get_gateway(gateway_name)
    if gateway is None:
        raise Http404("No such gateway")
    raw = request.body
    try:
        signed = gateway.verify_signature(raw, request.headers)
    except SecretNotFound as exc:
        # Nothing can be verified, so nothing is stored; a 5xx makes the gateway deliver again once
        # the key is in place, so no payment is lost meanwhile.
        WEBHOOK_UNCONFIGURED.labels(gateway.name).inc()
        log.error("%s webhook refused: the gateway has no key configured (%s)", gateway.name, exc)
        return _error(
            PaymentsErrorCode.GATEWAY_NOT_CONFIGURED, "This gateway is not configured to receive webhooks.", 503
        )
    if not signed:
        WEBHOOK_REJECTED.labels(gateway.name).inc()
        log.warning("rejected %s webhook with a bad or missing signature from %s", gateway.name, client_ip(request))
        return _error(PaymentsErrorCode.BAD_SIGNATURE, "Signature check failed.", 401)
    try:
        payload = json.loads(raw)
        event, is_new = services.webhook_receive(gateway=gateway, payload=payload)
    except (ValueError, RecursionError, GatewayError) as exc:
        log.warning("refused a signed %s webhook with a malformed payload: %s", gateway.name, exc)
        return _error(PaymentsErrorCode.BAD_PAYLOAD, "Unrecognised payload.", 400)
    return JsonResponse({"received": True, "duplicate": not is_new})


@require_http_methods(["GET", "POST"])
@i18n.guardian_page
def demo_checkout(request, reference):
    """The demo gateway's hosted page: shows what is due; "Pay" sends a signed webhook to us."""
    # The gateway's page is reached by its unguessable reference alone, as a real gateway's is.
    gateway = get_gateway("demo")
    if gateway is None:
        raise Http404("No such gateway")
    with unscoped(reason="the pay link's unguessable reference is the capability and names the school"):
        intent = get_object_or_404(
            PaymentIntent.objects.select_related("invoice", "school"), reference=reference, gateway="demo"
        )
    enter_school(intent.school)
    # The guardian comes from their pay page: its language (the cookie) or the school's.
    i18n.settle(request, i18n.school_language(intent.school))
    context = {"intent": intent, "amount": format_money(intent.amount_minor, intent.currency)}
    if request.method == "POST" and intent.status == PaymentIntent.Status.PENDING:
        payload = {
            "event": "charge.success",
            "data": {
                "id": f"demo-{intent.pk}",
                "reference": intent.reference,
                "amount": intent.amount_minor,
                "currency": intent.currency,
                "status": "success",
            },
        }
        raw = json.dumps(payload).encode()
        url = settings.SITE_URL.rstrip("/") + reverse("payments-webhook", args=["demo"])
        try:
            response = requests.post(
                url,
                data=raw,
                timeout=10,
                headers={"Content-Type": "application/json", gateway.signature_header: gateway.sign(raw)},
            )
            context["delivered"] = response.status_code == 200
        except (requests.RequestException, SecretNotFound):
            context["delivered"] = False
        return render(request, "payments/demo_checkout_done.html", context)
    return render(request, "payments/demo_checkout.html", context)
