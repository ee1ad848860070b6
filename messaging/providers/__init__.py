"""Which provider sends a school's channel: its active ProviderConfig names a secret
(`classpoint/{env}/providers/<key>`) whose "type" picks the implementation; none means log."""

from classpoint.secrets import SecretNotFound, get_secret, secret_name

from ..models import ProviderConfig
from .base import PermanentProviderError, Provider, ProviderError, SendResult, TransientProviderError
from .log import LogProvider

__all__ = [
    "LogProvider",
    "PermanentProviderError",
    "Provider",
    "ProviderError",
    "SendResult",
    "TransientProviderError",
    "get_provider",
]


def _types():
    from .ses import SesProvider
    from .smtp import SmtpProvider
    from .twilio import TwilioProvider

    return {"log": LogProvider, "twilio": TwilioProvider, "ses": SesProvider, "smtp": SmtpProvider}


EMAIL_ONLY = {"ses", "smtp"}


def get_provider(*, school, channel):
    """The provider for `channel` in `school`; PermanentProviderError when its configuration is wrong."""
    config = ProviderConfig.objects.for_school(school).filter(channel=channel, is_active=True).first()
    if config is None:
        return LogProvider(config={"type": "log"}, channel=channel)
    name = secret_name("providers", config.secret_key)
    try:
        secret = get_secret(name)
    except SecretNotFound as exc:
        raise PermanentProviderError(f"The {channel} provider secret is missing: {exc}") from exc
    kind = secret.get("type") if isinstance(secret, dict) else None
    cls = _types().get(kind)
    if cls is None:
        raise PermanentProviderError(f"The secret {name} has an unknown provider type {kind!r}.")
    if (kind in EMAIL_ONLY) != (channel == "email") and kind != "log":
        raise PermanentProviderError(f"A {kind} provider cannot send {channel} messages; check the school's settings.")
    provider = cls(config=secret, channel=channel)
    provider.rate_per_minute = config.rate_per_minute
    return provider
