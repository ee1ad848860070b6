"""The message template editor under /s/<slug>/messages/templates/ (messaging.manage_templates).

One page lists every type and channel, in one language at a time (`?language=es`: each language's
version of a message is a template of its own); each template is edited on its own page with a live preview
on sample data (HTMX posts the form to the preview view as the admin types; without JavaScript the
"Preview" button does the same). Saving goes through messaging.defaults.message_template_save, which
refuses an unknown variable or a broken placeholder with field errors and saves nothing.

Only the channels the school sends by are offered (messaging/features.py): a channel switched off has
no column, and its templates' pages answer 404 like an unknown channel's until it is switched on.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint import i18n
from classpoint.flags import request_features
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from . import rendering
from .defaults import MESSAGE_LANGUAGES, default_for, message_template_save, seed_default_message_templates
from .errors import MessagingError
from .features import channels_on
from .models import Channel, MessageTemplate, TemplateType

PERM = "messaging.manage_templates"


class TemplateForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), required=False, max_length=rendering.MAX_SUBJECT)
    body = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("Plain text; insert a value with {{ variable }} (listed below)."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active (send this message)"), required=False)

    def __init__(self, *args, channel, **kwargs):
        super().__init__(*args, **kwargs)
        if channel != Channel.EMAIL:
            del self.fields["subject"]
        # The service checks length with a clear message; the browser must not cut the text silently.
        self.fields["body"].widget.attrs["spellcheck"] = "true"


def _channels(request):
    """The channels the school sends by, in Channel's order."""
    on = channels_on(request.school, request_features(request))
    return [channel for channel in Channel if channel.value in on]


def _type_and_channel(request, template_type, channel):
    if template_type not in TemplateType.values or channel not in _channels(request):
        raise Http404("No such template")
    return TemplateType(template_type), Channel(channel)


def _language(request):
    """The language of the templates a page shows (`language` in the query or the form; English by
    default); one messages are not written in is a 404, like an unknown type."""
    language = request.POST.get("language") or request.GET.get("language") or i18n.FALLBACK
    if language not in MESSAGE_LANGUAGES:
        raise Http404("No such language")
    return language


def _languages(current):
    names = i18n.language_names()
    return [{"code": code, "name": names.get(code, code), "current": code == current} for code in MESSAGE_LANGUAGES]


def _list_url(school, language):
    url = reverse("message-templates", args=[school.slug])
    return url if language == i18n.FALLBACK else f"{url}?language={language}"


def _preview(school, channel, template_type, subject, body):
    """The preview panel's context: the text on sample data, or why it would be refused on save."""
    try:
        rendering.validate(type=template_type, channel=channel, subject=subject, body=body)
    except MessagingError as exc:
        errors = [error for field_errors in exc.fields.values() for error in field_errors]
    else:
        errors = []
    result = rendering.preview(type=template_type, channel=channel, subject=subject, body=body, school_name=school.name)
    return {"preview": result, "preview_errors": errors, "channel": channel}


@require_GET
@school_view(perm=PERM)
def templates_list(request):
    language = _language(request)
    channels = _channels(request)
    have = {
        (t.type, t.channel): t for t in MessageTemplate.objects.for_school(request.school).filter(language=language)
    }
    rows, missing = [], 0
    for template_type in TemplateType:
        cells = []
        for channel in channels:
            template = have.get((template_type.value, channel.value))
            default = default_for(template_type, channel, language)
            if template is None:
                state, missing = "missing", missing + 1
            elif not template.is_active:
                state = "off"
            elif default and (template.subject, template.body) == default:
                state = "default"
            else:
                state = "edited"
            cells.append({"channel": channel, "template": template, "state": state})
        rows.append({"type": template_type, "cells": cells})
    context = {
        "rows": rows,
        "channels": channels,
        "missing": missing,
        "language": language,
        "languages": _languages(language),
    }
    return render(request, "messaging/templates_list.html", context)


@school_view(perm=PERM)
@require_POST
def templates_seed(request):
    language = _language(request)
    created = seed_default_message_templates(request.school, language=language, channels=_channels(request))
    messages.success(
        request,
        ngettext("%(count)d default template added.", "%(count)d default templates added.", created)
        % {"count": created},
    )
    return redirect(_list_url(request.school, language))


@school_view(perm=PERM)
@require_http_methods(["GET", "POST"])
def template_edit(request, template_type, channel):
    school = request.school
    template_type, channel = _type_and_channel(request, template_type, channel)
    language = _language(request)
    template = (
        MessageTemplate.objects.for_school(school)
        .filter(type=template_type, channel=channel, language=language)
        .first()
    )
    if template is not None:
        initial = {"subject": template.subject, "body": template.body, "is_active": template.is_active}
    else:
        subject, body = default_for(template_type, channel, language) or ("", "")
        initial = {"subject": subject, "body": body, "is_active": True}
    form = TemplateForm(request.POST or None, initial=initial, channel=channel)
    context = {
        "template_type": template_type,
        "channel": channel,
        "template": template,
        "form": form,
        "variables": sorted(rendering.VARIABLES[template_type].items()),
        "language": language,
        "language_name": i18n.language_names().get(language, language),
        "list_url": _list_url(school, language),
    }
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if "preview" in request.POST:
            context.update(_preview(school, channel, template_type, d.get("subject", ""), d["body"]))
            return render(request, "messaging/templates_edit.html", context)
        try:
            message_template_save(
                school=school,
                actor=request.user,
                type=template_type,
                channel=channel,
                subject=d.get("subject", ""),
                body=d["body"],
                is_active=d["is_active"],
                language=language,
            )
        except MessagingError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(message)s (%(channel)s, %(language)s) saved.")
                % {"message": template_type.label, "channel": channel.label, "language": context["language_name"]},
            )
            return redirect(context["list_url"])
    current = form.data if form.is_bound else initial
    context.update(_preview(school, channel, template_type, current.get("subject", ""), current.get("body", "")))
    context["summary"] = error_summary(form)
    return render(request, "messaging/templates_edit.html", context, status=400 if form.errors else 200)


@school_view(perm=PERM)
@require_POST
def template_preview(request, template_type, channel):
    """The preview panel alone, for HTMX as the admin types. Saves nothing."""
    template_type, channel = _type_and_channel(request, template_type, channel)
    subject = request.POST.get("subject", "") if channel == Channel.EMAIL else ""
    body = request.POST.get("body", "")[: rendering.MAX_BODY[channel] * 2]  # bounded work for a preview
    context = _preview(request.school, channel, template_type, subject, body)
    return render(request, "messaging/templates_preview.html", context)
