"""The channels a school sends by (classpoint/flags.py): SMS, WhatsApp and email, each on unless the
school switches it off. A channel switched off is never chosen for a message (the pipeline falls back
to another channel the guardian can receive, or suppresses the message saying why) and a message
already queued for it is suppressed at send time."""

from classpoint.flags import CHANNEL, Feature, SchoolFeatures

from .models import Channel

DESCRIPTIONS = {
    Channel.SMS: "Text messages to guardians' phones.",
    Channel.WHATSAPP: "WhatsApp messages to guardians' phones.",
    Channel.EMAIL: "Emails to guardians.",
}

FEATURES = [
    Feature(key=channel.value, label=channel.label, description=DESCRIPTIONS[channel], group=CHANNEL)
    for channel in Channel
]


def channels_on(school, states=None):
    """The channels (values of `Channel`) the school sends by; `states` from `classpoint.flags`
    when the caller has them (a request's `request_features`)."""
    states = states if states is not None else SchoolFeatures(school)
    return {channel.value for channel in Channel if states[channel.value]}
