"""Payment gateways behind one small interface (see base.Gateway)."""

from .base import Gateway, GatewayError, WebhookEventData
from .demo import DemoGateway
from .paystack import PaystackGateway

GATEWAYS = {g.name: g for g in (PaystackGateway, DemoGateway)}


def get_gateway(name):
    cls = GATEWAYS.get(name)
    return cls() if cls else None


__all__ = ["Gateway", "GatewayError", "WebhookEventData", "get_gateway", "GATEWAYS"]
