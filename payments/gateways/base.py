import hashlib
import hmac
import math
import re
from dataclasses import dataclass

from classpoint.secrets import SecretNotFound, get_secret, secret_name


class GatewayError(Exception):
    pass


# The columns a webhook's values are stored in (WebhookEvent, PaymentTransaction, PaymentIntent).
EVENT_ID_MAX = 128
REFERENCE_MAX = 64
_CURRENCY = re.compile(r"[A-Z]{3}")
_INTEGER = re.compile(r"-?[0-9]{1,40}")


def _unstorable(value):
    """Whether anything in a parsed JSON document cannot be stored as jsonb: a NUL character, or a
    NaN or infinity (Python's json reads `NaN` and `1e999`; PostgreSQL refuses both). Walked with a
    stack: a deep document must not exhaust the interpreter's recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _text(value, *, name, max_length):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise GatewayError(f"Webhook {name} must be text.")
    text = str(value)
    if not text or len(text) > max_length:
        raise GatewayError(f"Webhook {name} must be 1 to {max_length} characters.")
    return text


def _amount(value):
    # Whole minor units only: a float (1e999 is infinity, 100.5 is not money) is refused, not rounded.
    # The range is not checked here: a signed event with an absurd amount is stored and flagged.
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise GatewayError("Webhook amount must be a whole number of minor units.")
    return value


@dataclass(frozen=True)
class WebhookEventData:
    event_id: str  # unique per gateway: the dedupe key
    kind: str  # "charge.success" or anything we ignore
    reference: str  # our intent reference
    provider_reference: str  # the gateway's own transaction id
    amount_minor: int
    currency: str


class Gateway:
    """initialize(intent) -> checkout URL; verify(reference) -> facts or None; webhooks signed with
    hex HMAC-SHA512 of the raw body (Paystack's scheme, which the demo gateway copies)."""

    name = ""
    signature_header = ""

    @classmethod
    def enabled(cls):
        return True

    def secret(self):
        """The key that signs this gateway's webhooks (and, for Paystack, calls its API).

        Read from `classpoint/{env}/payments/webhook`, a JSON object with one key per gateway
        ({"paystack": "sk_live_…", "demo": "…"}); a deployment may instead keep one secret per
        gateway at `classpoint/{env}/payments/<gateway>-secret`."""
        try:
            shared = get_secret(secret_name("payments", "webhook"))
        except SecretNotFound:
            shared = None
        if isinstance(shared, dict) and shared.get(self.name):
            return shared[self.name]
        value = get_secret(secret_name("payments", f"{self.name}-secret"))
        return value if isinstance(value, str) else value["secret"]

    def sign(self, raw):
        return hmac.new(self.secret().encode(), raw, hashlib.sha512).hexdigest()

    def verify_signature(self, raw, headers):
        given = headers.get(self.signature_header, "")
        if not given:
            return False
        return hmac.compare_digest(self.sign(raw).encode(), given.strip().encode())

    def parse_event(self, payload):
        """Paystack's event shape: {"event": "charge.success", "data": {"id", "reference", "amount", "currency"}}.
        Everything stored from it fits its column, so a malformed event is refused here (a 400)
        rather than by the database."""
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise GatewayError("Unrecognised webhook payload.")
        if _unstorable(payload):
            raise GatewayError("Webhook payload contains a NUL character or a non-finite number.")
        data = payload["data"]
        try:
            kind = _text(payload["event"], name="event", max_length=EVENT_ID_MAX)
            provider_reference = _text(data["id"], name="id", max_length=EVENT_ID_MAX)
            event_id = f"{kind}:{provider_reference}"
            if len(event_id) > EVENT_ID_MAX:
                raise GatewayError(f"Webhook event id must be at most {EVENT_ID_MAX} characters.")
            currency = _text(data["currency"], name="currency", max_length=3).upper()
            if not _CURRENCY.fullmatch(currency):
                raise GatewayError("Webhook currency must be an ISO 4217 code.")
            return WebhookEventData(
                event_id=event_id,
                kind=kind,
                reference=_text(data["reference"], name="reference", max_length=REFERENCE_MAX),
                provider_reference=provider_reference,
                amount_minor=_amount(data["amount"]),
                currency=currency,
            )
        except KeyError as exc:
            raise GatewayError(f"Webhook payload lacks {exc}.") from exc

    def initialize(self, intent, *, email, callback_url):
        raise NotImplementedError

    def verify(self, reference):
        """The gateway's own record of the charge ({"status", "amount_minor", "currency"}), or None
        when the gateway offers no verification."""
        return None
