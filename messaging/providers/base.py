"""The provider interface: `send(message) -> SendResult`, or a ProviderError saying whether trying
again could help (transient) or not (permanent, with a reason a person can act on)."""

from dataclasses import dataclass


@dataclass
class SendResult:
    provider_message_id: str
    delivered: bool = False  # True when the provider's answer already means delivered (log)


class ProviderError(Exception):
    def __init__(self, reason, *, code=""):
        super().__init__(reason)
        self.reason = reason
        self.code = str(code or "")


class TransientProviderError(ProviderError):
    """Worth another try: the provider was down, slow or throttling (5xx, 429, timeouts)."""


class PermanentProviderError(ProviderError):
    """Trying again gives the same answer: invalid number, unsubscribed, bad credentials."""


class Provider:
    key = ""
    rate_per_minute = None  # the school's limit for this channel (ProviderConfig); None: unlimited (log)

    def __init__(self, *, config, channel):
        self.config = config or {}
        self.channel = channel

    def send(self, message):  # pragma: no cover - the interface
        raise NotImplementedError
