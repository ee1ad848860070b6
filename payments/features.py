"""What a school may switch off in payments (classpoint/flags.py): taking payments online. Off, the
guardian's pay pages and the gateway's checkout do not exist for the school, staff cannot make a pay
link (page or API), and messages carry no pay link (payments/notices.py, payments/balances.py).
Payments staff record (cash, transfer proofs they upload) and a late gateway webhook for a payment
already made still work."""

from classpoint.flags import Feature
from classpoint.scoping import unscoped

from .models import PaymentIntent
from .proofs import guardian_link_open

ONLINE_PAYMENTS = "online_payments"


def _school_of(url_name, kwargs):
    """The school a guardian's signed link or a checkout reference belongs to (the link is the key)."""
    if "token" in kwargs:
        opened = guardian_link_open(kwargs["token"])
        return opened[0] if opened else None
    if "reference" in kwargs:
        if "\x00" in kwargs["reference"]:  # no reference holds one, and PostgreSQL refuses to compare it
            return None
        with unscoped(reason="a checkout reference is unguessable and names its school"):
            return (
                PaymentIntent.objects.filter(reference=kwargs["reference"]).values_list("school_id", flat=True).first()
            )
    return None


FEATURES = [
    Feature(
        key=ONLINE_PAYMENTS,
        label="Online payments",
        description="Families pay invoices online through the school's payment gateway, from the link in their "
        "invoice messages.",
        url_names=(
            "guardian-invoice",
            "guardian-receipt",
            "demo-checkout",
            "invoice-pay-link",
            "api-invoice-pay-link",
            "api-payment-intents",
        ),
        school_of=_school_of,
    ),
]
