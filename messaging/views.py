"""Message log (list with filters, detail with history, staff retry) and staff-recorded consent.

The log needs `messaging.send`, not `dashboard.view`: it shows guardians' numbers and message bodies
(balances, results), which the viewer role must not read, and it offers retry, which sends."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_export
from classpoint.bounds import DateFormField
from classpoint.csvfile import csv_download
from classpoint.replica import reads_may_lag
from classpoint.tenancy import school_view
from schools import selectors as schools_selectors

from . import selectors
from .consent import consent_set
from .errors import MessagingError
from .exports import messages_export
from .models import Channel, ConsentChange, Message, TemplateType
from .retry import RETRYABLE, message_retry

MESSAGES_PER_PAGE = 50


class LogFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Recipient (name, number or email)"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *Message.Status.choices],
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), required=False, choices=[("", gettext_lazy("Any channel")), *Channel.choices]
    )
    type = forms.ChoiceField(
        label=gettext_lazy("Type"), required=False, choices=[("", gettext_lazy("Any type")), *TemplateType.choices]
    )
    date_from = DateFormField(
        label=gettext_lazy("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = DateFormField(
        label=gettext_lazy("To (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self):
        # An invalid filter is dropped rather than failing the page: the form shows its error.
        self.is_valid()
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "channel": data.get("channel") or "",
            "template_type": data.get("type") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "q": data.get("q") or "",
        }


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="messaging.send")
@reads_may_lag
def message_log(request):
    """The log; ?format=csv downloads every message the filters find (pupils' balances and results
    among them, so taking the file is written to the access log)."""
    form = LogFilterForm(request.GET)
    filters = form.filters()
    found = selectors.messages_list(school=request.school, **filters)
    if request.GET.get("format") == "csv":
        school = request.school
        record_export(school=school, actor=request.user, export="messages", filters=filters, rows=found.count())
        header, rows = messages_export(school=school, messages=found)
        return csv_download(f"messages-{school.slug}-{school.local_today()}.csv", header, rows)
    page = Paginator(found, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    context = {"form": form, "page": page, "query_string": params.urlencode()}
    template = "messaging/partials/log_table.html" if request.htmx else "messaging/log_list.html"
    return render(request, template, context)


def _message(request, message_id):
    try:
        return selectors.message_detail(school=request.school, message_id=message_id)
    except Message.DoesNotExist:
        raise Http404("No such message") from None


@require_GET
@school_view(perm="messaging.send")
def message_detail(request, message_id):
    message = _message(request, message_id)
    context = {
        "message": message,
        "history": list(message.history.all()),
        "retries": selectors.message_retries(school=request.school, message=message),
        "can_retry": message.status in RETRYABLE,
    }
    return render(request, "messaging/log_detail.html", context)


@school_view(perm="messaging.send")  # outermost: another school's URL is a 404 whatever the method
@require_POST
def message_retry_view(request, message_id):
    message = _message(request, message_id)
    try:
        new = message_retry(message=message, actor=request.user)
    except MessagingError as exc:
        detail = "; ".join(m for msgs in exc.fields.values() for m in msgs)
        messages.error(request, f"{exc.message} {detail}".strip())
        return redirect("message-detail", request.school.slug, message.pk)
    messages.success(request, _("Queued again as message %(number)s.") % {"number": new.pk})
    return redirect("message-detail", request.school.slug, new.pk)


class ConsentForm(forms.Form):
    sms = forms.BooleanField(label=gettext_lazy("SMS"), required=False)
    whatsapp = forms.BooleanField(label=gettext_lazy("WhatsApp"), required=False)
    email = forms.BooleanField(label=gettext_lazy("Email"), required=False)
    note = forms.CharField(label=gettext_lazy("How was it given? (optional)"), required=False, max_length=300)


@require_http_methods(["GET", "POST"])
@school_view(perm="students.manage")
def guardian_consent(request, guardian_id):
    guardian = schools_selectors.guardian_get(school=request.school, guardian_id=guardian_id)
    if guardian is None:
        raise Http404("No such guardian")
    initial = {channel: getattr(guardian, f"consent_{channel}") for channel in Channel.values}
    form = ConsentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = 0
        for channel in Channel.values:
            change = consent_set(
                guardian=guardian,
                channel=channel,
                granted=form.cleaned_data[channel],
                source=ConsentChange.Source.STAFF,
                actor=request.user,
                note=form.cleaned_data["note"],
            )
            changed += change is not None
        messages.success(
            request,
            ngettext("Consent recorded (%(count)d change).", "Consent recorded (%(count)d changes).", changed)
            % {"count": changed},
        )
        return redirect("guardian-consent", request.school.slug, guardian.pk)
    context = {
        "guardian": guardian,
        "form": form,
        "history": selectors.consent_history(school=request.school, guardian=guardian),
        "students": [link.student for link in guardian.student_links.select_related("student")],
    }
    return render(request, "messaging/guardian_consent.html", context, status=400 if form.errors else 200)
