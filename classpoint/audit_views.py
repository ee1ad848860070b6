"""The school's own audit log in the workspace: /s/<slug>/audit/ (perm `audit.view`), newest first,
filtered, with a CSV export. Platform-level entries (no school) are for the Django admin only.

The kernel imports no domain app: pages of other apps are named by URL name, and money in `changes`
is shown with the currency code rather than a symbol."""

import datetime
import json

from django import forms
from django.apps import apps
from django.core.paginator import Paginator
from django.db import connection
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from .audit import audit
from .bounds import DateFormField, parse_id
from .csvfile import csv_download
from .labels import action_label
from .models import AuditLog
from .money import format_money
from .tenancy import school_view

PER_PAGE = 50
CSV_MAX_ROWS = 50_000
SYSTEM = "system"

# target_type -> (URL name taking the school slug and the id, permission that page needs).
TARGET_PAGES = {
    "fees.invoice": ("invoice-detail", "fees.view"),
    "fees.invoicebatch": ("invoice-batch", "fees.view"),
    "fees.feeitem": ("fee-setup-item", "fees.manage"),
    "fees.feeschedule": ("fee-setup-schedule", "fees.manage"),
    "schools.student": ("student-detail", "students.view"),
    "schools.guardian": ("guardian-detail", "students.view"),
    "schools.importjob": ("import-detail", "imports.run"),
    "payments.paymentproof": ("proof-detail", "payments.review_proofs"),
}


def _show(key, value, currency):
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if value is None or value == "":
        return "—"
    if isinstance(value, int) and key.endswith("_minor"):
        return format_money(value, currency, symbol=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(k, v, currency)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(key, item, currency) for item in value) + "]"
    return str(value)


def changes_display(entry, currency):
    """[(key, text)]: `_minor` amounts as money; an `.updated` entry's [before, after] pairs as "a → b"."""
    if not isinstance(entry.changes, dict):
        return [("", _show("", entry.changes, currency))]
    shown = []
    for key, value in entry.changes.items():
        scalars = isinstance(value, list) and not any(isinstance(v, (list, dict)) for v in value)
        if scalars and len(value) == 2 and entry.action.endswith(".updated"):
            text = f"{_show(key, value[0], currency)} → {_show(key, value[1], currency)}"
        elif scalars:
            text = ", ".join(_show(key, v, currency) for v in value) or "—"
        else:
            text = _show(key, value, currency)
        shown.append((key, text))
    return shown


def target_link(entry, school, membership):
    page = TARGET_PAGES.get(entry.target_type)
    target_id = parse_id(entry.target_id)
    if page is None or target_id is None or entry.action.endswith(".deleted"):
        return ""
    name, perm = page
    if not membership.has_perm(perm):
        return ""
    try:
        return reverse(name, args=[school.slug, target_id])
    except NoReverseMatch:  # the app that serves it is not installed here
        return ""


def _distinct(school, column):
    """The distinct non-empty values of `column` in the school's log, read as a skip scan of the index
    that starts (school, column): a plain DISTINCT reads every row of the school's log."""
    assert column in ("action", "target_type")
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    sql = f"""
        WITH RECURSIVE t(v) AS (
            SELECT (SELECT {column} FROM {table} WHERE school_id = %s AND {column} > '' ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM {table} WHERE school_id = %s AND {column} > t.v ORDER BY {column} LIMIT 1)
            FROM t WHERE t.v IS NOT NULL
        )
        SELECT v FROM t WHERE v IS NOT NULL
    """  # noqa: S608 -- the column is one of two names above; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [school.pk, school.pk])
        return [row[0] for row in cursor.fetchall()]


def _type_name(label):
    try:
        return apps.get_model(label)._meta.verbose_name.capitalize()
    except (LookupError, ValueError):
        return label


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    action_prefix = forms.CharField(
        label=_("Action starts with"),
        required=False,
        max_length=80,
        help_text=_("e.g. payment or invoice."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    actor = forms.ChoiceField(label=_("Who"), required=False)
    target_type = forms.ChoiceField(label=_("Record type"), required=False)
    target_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Record contains"), required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
    date_from = DateFormField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DateFormField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hide_views = forms.BooleanField(label=_("Hide record views"), required=False)

    def __init__(self, data, *, school):
        # Unticking a box sends nothing: the form sends hide_views=false before the box, so "absent" can
        # mean "first visit" and default to hiding the (many) record views.
        data = data.copy()
        data.setdefault("hide_views", "true")
        super().__init__(data, auto_id="%s")
        self.fields["action"].choices = [("", gettext("Any action"))] + [
            (a, action_label(a)) for a in _distinct(school, "action")
        ]
        types = _distinct(school, "target_type")
        self.fields["target_type"].choices = [("", gettext("Any record"))] + [(t, _type_name(t)) for t in types]
        members = school.memberships.select_related("user").order_by("user__username")
        self.fields["actor"].choices = (
            [("", gettext("Anyone"))]
            + [(str(m.user_id), m.user.get_full_name() or m.user.get_username()) for m in members]
            + [(SYSTEM, gettext("System (no person)"))]
        )

    @property
    def target_type_label(self):
        value = self.data.get("target_type") or ""
        return _type_name(value) if value else ""

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", gettext("“To” is before “From”."))
        return data


def audit_entries(
    *,
    school,
    action="",
    action_prefix="",
    actor="",
    target_type="",
    target_id="",
    q="",
    date_from=None,
    date_to=None,
    hide_views=False,
):
    """The school's entries newest first; dates are whole days in the school's time zone."""
    entries = AuditLog.objects.for_school(school)
    if action:
        entries = entries.filter(action=action)
    if action_prefix:
        entries = entries.filter(action__startswith=action_prefix)
    if actor == SYSTEM:
        entries = entries.filter(actor__isnull=True)
    elif actor:
        entries = entries.filter(actor_id=int(actor))
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id:
        entries = entries.filter(target_id=target_id)
    if q:
        entries = entries.filter(target_label__icontains=q)
    if date_from:
        entries = entries.filter(created_at__gte=school.local_day_start(date_from))
    if date_to:
        entries = entries.filter(created_at__lt=school.local_day_start(date_to + datetime.timedelta(days=1)))
    if hide_views:
        entries = entries.exclude(action__endswith=".viewed")
    return entries.order_by("-created_at", "-id")


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="audit.view")
def audit_log(request):
    school = request.school
    form = AuditFilterForm(request.GET, school=school)
    form.is_valid()  # a bad field is shown with its error; the valid ones still filter
    filters = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
    entries = audit_entries(school=school, **filters)
    if request.GET.get("format") == "csv":
        return _csv_response(request, entries, filters)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.link = target_link(entry, school, request.membership)
        entry.changes_shown = changes_display(entry, school.currency)
    params = form.data.copy()
    params.pop("page", None)
    params.pop("format", None)
    context = {
        "page": page,
        "form": form,
        "query_string": params.urlencode(),
        "csv_max_rows": CSV_MAX_ROWS,
        "csv_max_label": f"{CSV_MAX_ROWS:,}",
    }
    template = "workspace/partials/audit_table.html" if request.htmx else "workspace/audit_log.html"
    return render(request, template, context)


# "Action" in words for whoever reads the file; "Action code" for whoever filters or joins on it.
CSV_HEADER = [
    _("Who"),
    _("Action"),
    _("Action code"),
    _("Record type"),
    _("Record id"),
    _("Record"),
    _("Changes"),
    _("IP address"),
    _("Request id"),
]


def _csv_rows(entries, school):
    tz = school.tzinfo
    shown = 0
    for entry in entries[: CSV_MAX_ROWS + 1].iterator(chunk_size=2000):
        shown += 1
        if shown > CSV_MAX_ROWS:
            yield [
                gettext("More entries match: the export stops at %(max)s rows; narrow the dates for the rest.")
                % {"max": f"{CSV_MAX_ROWS:,}"}
            ]
            return
        yield [
            entry.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor_label,
            action_label(entry.action),
            entry.action,
            entry.target_type,
            entry.target_id,
            entry.target_label,
            json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
            entry.ip_address or "",
            entry.request_id,
        ]


def _csv_response(request, entries, filters):
    school = request.school
    audit(
        school=school,
        actor=request.user,
        action="audit_log.exported",
        changes={key: str(value) for key, value in filters.items()},
    )
    return csv_download(
        f"audit-log-{school.slug}-{school.local_today()}.csv",
        [gettext("When (%(timezone)s)") % {"timezone": school.timezone}, *[str(name) for name in CSV_HEADER]],
        _csv_rows(entries, school),
    )
