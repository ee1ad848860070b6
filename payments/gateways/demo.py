from django.conf import settings
from django.urls import reverse

from .base import Gateway


class DemoGateway(Gateway):
    """A gateway of our own for `make run` and tests: a hosted checkout page that, on "Pay", sends a
    webhook signed exactly like Paystack's, so the whole flow runs offline."""

    name = "demo"
    signature_header = "x-demo-signature"

    @classmethod
    def enabled(cls):
        # Its development key is public, so an event signed with it proves nothing outside dev.
        return settings.PAYMENTS_DEMO_GATEWAY_ENABLED

    def secret(self):
        try:
            return super().secret()
        except Exception:  # noqa: BLE001 - no secret configured: only acceptable in DEBUG
            if settings.DEBUG or settings.CLASSPOINT_ENV == "dev":
                return "demo-webhook-secret-dev-only"
            raise

    def initialize(self, intent, *, email, callback_url):
        return settings.SITE_URL.rstrip("/") + reverse("demo-checkout", args=[intent.reference])
