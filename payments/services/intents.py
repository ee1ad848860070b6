"""Pay links: made for an invoice's balance, asked of the gateway with no transaction open, and
abandoned when left unpaid."""

import logging
import secrets as pysecrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from classpoint.audit import audit
from classpoint.scoping import unscoped
from classpoint.secrets import SecretNotFound

from ..errors import PaymentsError, PaymentsErrorCode
from ..gateways import GatewayError, get_gateway
from ..models import PaymentIntent
from ._base import not_payable

log = logging.getLogger(__name__)


def intent_create(*, invoice, actor, email, gateway_name=None, callback_url=""):
    """A pay link: the intent is committed INITIATED, the gateway is asked for a checkout with no
    transaction open (a slow gateway holds no lock and no connection in a transaction), then the
    answer is recorded: PENDING with its checkout URL, or FAILED when the gateway refused."""
    gateway_name = gateway_name or settings.PAYMENTS_DEFAULT_GATEWAY
    gateway = get_gateway(gateway_name)
    if gateway is None:
        raise PaymentsError(
            _("Unknown gateway."),
            code=PaymentsErrorCode.UNKNOWN_GATEWAY,
            fields={"gateway": [_("No gateway “%(name)s”.") % {"name": gateway_name}]},
        )
    with transaction.atomic():
        # Under the invoice's lock, so the amount is its balance and a concurrent void waits.
        invoice = type(invoice).objects.select_for_update(of=("self",)).select_related("school").get(pk=invoice.pk)
        if not invoice.is_payable:
            raise not_payable(invoice)
        if not invoice.has_balance_to_pay:
            raise PaymentsError(
                _("Nothing to pay."),
                code=PaymentsErrorCode.NOTHING_DUE,
                fields={"invoice": [_("This invoice is paid.")]},
            )
        intent = PaymentIntent.objects.create(
            school=invoice.school,
            invoice=invoice,
            gateway=gateway.name,
            amount_minor=invoice.balance_minor,
            currency=invoice.currency,
            reference=f"CP-{pysecrets.token_hex(10).upper()}",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        changes = {"invoice": invoice.number, "amount_minor": intent.amount_minor, "gateway": gateway.name}
        audit(school=invoice.school, actor=actor, action="payment_intent.created", target=intent, changes=changes)
    try:
        checkout_url = gateway.initialize(intent, email=email, callback_url=callback_url)
    except GatewayError as exc:
        _intent_failed(intent, actor, str(exc))
        raise PaymentsError(str(exc), code=PaymentsErrorCode.GATEWAY_UNAVAILABLE) from exc
    except SecretNotFound as exc:
        # The operator's problem, not the payer's: the secret's name goes to the log only.
        log.error("%s gateway has no key configured: %s", gateway.name, exc)
        _intent_failed(intent, actor, "no key configured")
        message = _("Online payment is not available yet; try again later.")
        raise PaymentsError(message, code=PaymentsErrorCode.GATEWAY_UNAVAILABLE) from exc
    # Only an intent still INITIATED moves on: a payment already credited to it stays SUCCEEDED.
    pending = PaymentIntent.objects.filter(pk=intent.pk, status=PaymentIntent.Status.INITIATED).update(
        status=PaymentIntent.Status.PENDING, checkout_url=checkout_url
    )
    if pending:
        intent.status, intent.checkout_url = PaymentIntent.Status.PENDING, checkout_url
    else:
        intent.refresh_from_db(fields=["status", "checkout_url"])
    return intent


@transaction.atomic
def _intent_failed(intent, actor, problem):
    PaymentIntent.objects.filter(pk=intent.pk, status=PaymentIntent.Status.INITIATED).update(
        status=PaymentIntent.Status.FAILED
    )
    changes = {"problem": problem[:300]}
    audit(school=intent.school, actor=actor, action="payment_intent.failed", target=intent, changes=changes)


@unscoped(reason="an operator sweep across every school's pay links")
def intents_abandon_stale(*, now=None, batch_size=1000):
    """Pay links left unpaid past PAYMENT_INTENT_TTL_HOURS become ABANDONED, so the invoice page and
    reports stop showing them as in progress. Only the status changes: a webhook that arrives late
    for one still credits (the money was taken), and the intent then reads SUCCEEDED."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.PAYMENT_INTENT_TTL_HOURS)
    stale = PaymentIntent.objects.filter(
        status__in=[PaymentIntent.Status.INITIATED, PaymentIntent.Status.PENDING], created_at__lt=cutoff
    )
    total = 0
    while True:
        ids = list(stale.order_by("created_at").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        # Re-check the status in the UPDATE: a webhook may have settled one since the read.
        total += stale.filter(pk__in=ids).update(status=PaymentIntent.Status.ABANDONED)
