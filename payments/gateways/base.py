import hashlib
import hmac
from dataclasses import dataclass

from classpoint.secrets import SecretNotFound, get_secret, secret_name


class GatewayError(Exception):
    pass


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
        """Paystack's event shape: {"event": "charge.success", "data": {"id", "reference", "amount", "currency"}}."""
        try:
            data = payload["data"]
            return WebhookEventData(
                event_id=f"{payload['event']}:{data['id']}",
                kind=payload["event"],
                reference=str(data["reference"]),
                provider_reference=str(data["id"]),
                amount_minor=int(data["amount"]),
                currency=str(data["currency"]).upper(),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayError("Unrecognised webhook payload.") from exc

    def initialize(self, intent, *, email, callback_url):
        raise NotImplementedError

    def verify(self, reference):
        """The gateway's own record of the charge ({"status", "amount_minor", "currency"}), or None
        when the gateway offers no verification."""
        return None
