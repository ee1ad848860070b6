"""Payment gateways behind one small interface (see base.Gateway)."""

from .base import Gateway, GatewayError, WebhookEventData
from .demo import DemoGateway
from .paystack import PaystackGateway

GATEWAYS = {g.name: g for g in (PaystackGateway, DemoGateway)}


def get_gateway(name):
    """The gateway called `name`, or None when there is none, or it is switched off here."""
    cls = GATEWAYS.get(name)
    if cls is None or not cls.enabled():
        return None
    return cls()


__all__ = ["Gateway", "GatewayError", "WebhookEventData", "get_gateway", "GATEWAYS"]
