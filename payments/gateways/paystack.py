import requests
from django.conf import settings

from .base import Gateway, GatewayError


class PaystackGateway(Gateway):
    """Paystack: POST /transaction/initialize -> authorization_url; GET /transaction/verify/<ref>;
    webhooks signed in `x-paystack-signature`. The base URL is a setting so tests use a local fake."""

    name = "paystack"
    signature_header = "x-paystack-signature"

    def _call(self, method, path, **kwargs):
        headers = {"Authorization": f"Bearer {self.secret()}"}
        try:
            response = requests.request(
                method, settings.PAYSTACK_BASE_URL.rstrip("/") + path, headers=headers, timeout=10, **kwargs
            )
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise GatewayError("Paystack did not answer; try again shortly.") from exc
        if response.status_code >= 400 or not body.get("status"):
            raise GatewayError(body.get("message") or "Paystack refused the request.")
        return body["data"]

    def initialize(self, intent, *, email, callback_url):
        data = self._call(
            "POST",
            "/transaction/initialize",
            json={
                "email": email,
                "amount": intent.amount_minor,
                "currency": intent.currency,
                "reference": intent.reference,
                "callback_url": callback_url,
            },
        )
        return data["authorization_url"]

    def verify(self, reference):
        data = self._call("GET", f"/transaction/verify/{reference}")
        return {
            "status": data.get("status"),
            "amount_minor": int(data.get("amount", 0)),
            "currency": str(data.get("currency", "")).upper(),
        }
