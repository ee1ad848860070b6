"""Twilio SMS and WhatsApp through the official SDK. Secret shape:
{"type": "twilio", "accountSid", "authToken", "from", "messagingServiceSid", "whatsappEnabled"}."""

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .base import PermanentProviderError, Provider, SendResult, TransientProviderError

# Twilio error codes that no retry can fix, with what a person should do about them.
PERMANENT_CODES = {
    21211: "The phone number is not valid; correct the guardian's number.",
    21408: "Sending to this country is not enabled on the school's Twilio account.",
    21610: "The recipient has unsubscribed (replied STOP); they must reply START to receive messages again.",
    21612: "Twilio cannot route messages to this number.",
    21614: "The number is not a mobile number that can receive SMS; use another channel or number.",
    21606: "The school's sender number cannot send to this number; check the Twilio sender setup.",
    63003: "The number is not a WhatsApp user; use SMS or email instead.",
    63016: "WhatsApp allows free-form messages only within 24 hours of the guardian's last reply; "
    "use an approved template or SMS.",
    20003: "Twilio rejected the school's credentials; check the provider secret.",
}


def callback_url():
    if getattr(settings, "DELIVERY_CALLBACK_URL", ""):
        return settings.DELIVERY_CALLBACK_URL
    if getattr(settings, "WEBHOOK_BASE_URL", ""):
        return settings.WEBHOOK_BASE_URL.rstrip("/") + "/messaging/callbacks/twilio/status/"
    return None


class TwilioProvider(Provider):
    key = "twilio"

    def client(self):
        http = TwilioHttpClient(timeout=settings.MESSAGING_PROVIDER_TIMEOUT_SECONDS)
        client = Client(self.config.get("accountSid"), self.config.get("authToken"), http_client=http)
        if settings.TWILIO_API_BASE_URL:  # a local stand-in (tests) or a proxy
            client.api.base_url = settings.TWILIO_API_BASE_URL
        return client

    def _address(self, number):
        return f"whatsapp:{number}" if self.channel == "whatsapp" else number

    def send(self, message):
        if self.channel == "whatsapp" and not self.config.get("whatsappEnabled"):
            raise PermanentProviderError("WhatsApp is not enabled in the school's Twilio provider settings.")
        params = {"to": self._address(message.to_address), "body": message.body}
        if self.config.get("messagingServiceSid"):
            params["messaging_service_sid"] = self.config["messagingServiceSid"]
        elif self.config.get("from"):
            params["from_"] = self._address(self.config["from"])
        else:
            raise PermanentProviderError("The school's Twilio settings have neither a sender nor a messaging service.")
        if callback_url():
            params["status_callback"] = callback_url()
        try:
            sent = self.client().messages.create(**params)
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise TransientProviderError(f"Twilio answered {exc.status}: {exc.msg}", code=exc.code) from exc
            reason = PERMANENT_CODES.get(exc.code, f"Twilio refused the message ({exc.code}): {exc.msg}")
            raise PermanentProviderError(reason, code=exc.code) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientProviderError(f"Twilio could not be reached: {type(exc).__name__}") from exc
        return SendResult(provider_message_id=sent.sid)
