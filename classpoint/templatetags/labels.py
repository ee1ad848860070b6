"""`{% load labels %}`: codes shown in words (see classpoint.labels)."""

from django import template

from classpoint import labels, messages

register = template.Library()


@register.filter
def action_label(code):
    """`{{ entry.action|action_label }}`: an audit action or a message request's reason in words."""
    return labels.action_label(code)


@register.filter
def template_label(code):
    """`{{ event.payload.template|template_label }}`: a message type in words."""
    return messages.template_label(code)
