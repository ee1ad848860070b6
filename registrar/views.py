"""The registrar board: a column per status, filters, moves by button or key, bulk moves.

One URL serves the page and, for HTMX, the columns alone (`HX-Target: board`), so a filter change
or a move re-renders the columns in place and the page still works without JavaScript. A move
answers with a line for the board's status region and the `registrar-changed` trigger, on which the
board fetches its columns again (the moved card keeps its focus in its new column).
"""

import json

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_export
from classpoint.bounds import DateFormField, parse_id
from classpoint.csvfile import csv_download
from classpoint.errors import DomainError
from classpoint.replica import reads_may_lag
from classpoint.tenancy import school_view

from . import selectors, services
from .exports import applications_export
from .models import Application, DocumentKind

PERM = "registrar.manage_applications"
CHANGED = "registrar-changed"  # the HX-Trigger the board (and an open panel) listen for
BULK_LIMIT = 200


class BoardFilterForm(forms.Form):
    q = forms.CharField(label=_("Search (name, phone, email or reference)"), required=False, max_length=100)
    class_level = forms.CharField(label=_("Class sought"), required=False, max_length=40)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Every status")), *Application.Status.choices]
    )
    duplicates = forms.BooleanField(label=_("Possible duplicates"), required=False)
    missing = forms.BooleanField(label=_("Missing documents"), required=False)
    stale = forms.BooleanField(label=_("Stale (no move in 3 days)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, and the dashboard's links already use it.
        date = forms.DateInput(attrs={"type": "date"})
        self.fields["from"] = DateFormField(label=_("Submitted from"), required=False, widget=date)
        self.fields["to"] = DateFormField(label=_("Submitted to"), required=False, widget=date)

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", gettext("The end date is before the start date."))
        return data

    def filters(self):
        """The valid filters; an invalid one is dropped (the form shows why) rather than failing the page."""
        self.is_valid()
        data = self.cleaned_data
        return selectors.BoardFilters(
            q=(data.get("q") or "").strip(),
            class_level=data.get("class_level") or "",
            date_from=data.get("from"),
            date_to=data.get("to"),
            duplicates=bool(data.get("duplicates")),
            missing=bool(data.get("missing")),
            stale=bool(data.get("stale")),
            status=data.get("status") or "",
        )


def _board_context(request, form, filters, columns):
    params = filters.params()
    return {
        "form": form,
        "filters": filters,
        "columns": columns,
        "filter_query": urlencode(params),
        "levels": selectors.class_levels(school=request.school),
        "moves": [(status, label, key) for status, (label, key) in selectors.MOVES.items()],
        "bulk_statuses": [(s, Application.Status(s).label) for s in selectors.MOVE_ORDER],
    }


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@school_view(perm=PERM)
@reads_may_lag
def board_page(request):
    """The board; ?format=csv downloads every application the filters find, with the families'
    contacts (so taking the file is written to the access log)."""
    form = BoardFilterForm(request.GET)
    filters = form.filters()
    if request.GET.get("format") == "csv":
        return _applications_csv(request, filters)
    columns = selectors.board(school=request.school, filters=filters)
    if request.htmx and request.htmx.target == "board":
        context = {"columns": columns, "filters": filters, "filter_query": urlencode(filters.params())}
        return render(request, "registrar/partials/board_columns.html", context)
    return render(request, "registrar/board.html", _board_context(request, form, filters, columns))


def _applications_csv(request, filters):
    school = request.school
    found = selectors.applications_matching(school=school, filters=filters)
    params = filters.params()
    record_export(school=school, actor=request.user, export="applications", filters=params, rows=found.count())
    header, rows = applications_export(school=school, applications=found)
    return csv_download(f"applications-{school.slug}-{school.local_today()}.csv", header, rows)


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=PERM)
@reads_may_lag
def board_column(request, status):
    """The lead-queue fragment: the next cards of one column after `before`. Without JavaScript
    the same URL is a page of its own (the column alone, with a link to the next cards)."""
    if status not in selectors.BOARD_STATUSES:
        raise Http404("No such column")
    form = BoardFilterForm(request.GET)
    filters = form.filters()
    before = None
    if request.GET.get("before"):
        try:
            before = selectors.decode_cursor(request.GET["before"])
        except ValueError:
            # In place of the "load more" item it came from.
            text = gettext("That “load more” link is not valid: reload the board.")
            return HttpResponse(format_html('<li class="more">{}</li>', text), status=400)
    cards, cursor = selectors.column_cards(school=request.school, status=status, filters=filters, before=before)
    column = selectors.Column(
        status=status, label=Application.Status(status).label, count=0, cards=cards, next_cursor=cursor
    )
    context = {"column": column, "filters": filters, "filter_query": urlencode(filters.params())}
    if request.htmx:
        return render(request, "registrar/partials/board_cards.html", context)
    column.count = selectors.board_counts(school=request.school, filters=filters)[status]
    context = _board_context(request, form, filters, [column])
    context["column_page"] = True
    return render(request, "registrar/board.html", context)


# --- Moves ------------------------------------------------------------------------------------------


def needs_info_items(data):
    """What the registrar asked for: the ticked document kinds (by their labels) and any other
    lines typed, in that order, without repeats."""
    labels = dict(DocumentKind.choices)
    items = [labels[kind] for kind in data.getlist("items") if kind in labels]
    for line in (data.get("other_items") or "").splitlines():
        line = line.strip()[:200]
        if line and line not in items:
            items.append(line)
    return items[:20]


def move(*, application, to_status, actor, note="", items=None, send_welcome=False):
    """Moves one application through the service that owns that move: approval and enrolment have
    their own (placement checks, numbers, seats); every other move is a plain transition."""
    if to_status == Application.Status.APPROVED:
        return services.application_approve(application=application, actor=actor, note=note)
    if to_status == Application.Status.CONVERTED:
        return services.application_convert(application=application, actor=actor, send_welcome=send_welcome)
    return services.application_transition(
        application=application, to_status=to_status, actor=actor, note=note, needs_info_items=items or None
    )


def error_text(exc):
    """A domain error as one sentence: its message, then what it said about each field."""
    details = [m for msgs in (exc.fields or {}).values() for m in msgs if m not in exc.message]
    return " ".join([exc.message, *details]).strip()


def _back_to_board(request):
    """The board with the filters the form was posted from (only known filter names are kept)."""
    back = QueryDict(request.POST.get("back", ""))
    params = {k: back[k] for k in selectors.BoardFilters.PARAMS if back.get(k)}
    url = reverse("registrar-board", args=[request.school.slug])
    return url + (f"?{urlencode(params)}" if params else "")


def _status_line(request, text, *, ok, status=200, application_id=None):
    response = render(request, "registrar/partials/board_status.html", {"text": text, "ok": ok}, status=status)
    if ok:
        # The id lets an open panel showing this application refresh too.
        response["HX-Trigger"] = json.dumps({CHANGED: {"id": application_id}})
    return response


@school_view(perm=PERM)  # outermost: another school's URL is a 404 whatever the method
@require_POST
def application_move(request, application_id):
    """A move from a card (origin "board") or from the panel's Overview (origin "panel")."""
    application = Application.objects.for_school(request.school).filter(pk=application_id).first()
    if application is None:
        raise Http404("No such application")
    if request.POST.get("origin") == "panel":
        from .panel_views import panel_move

        return panel_move(request, application)
    to_status = request.POST.get("to_status", "")
    label = Application.Status(to_status).label if to_status in Application.Status.values else to_status
    try:
        if to_status not in Application.Status.values:
            raise DomainError(
                gettext("Choose where to move the application."), fields={"to_status": [gettext("Choose a status.")]}
            )
        move(
            application=application,
            to_status=to_status,
            actor=request.user,
            note=request.POST.get("note", ""),
            items=needs_info_items(request.POST),
        )
    except DomainError as exc:
        text = gettext("%(reference)s was not moved: %(reason)s") % {
            "reference": application.reference,
            "reason": error_text(exc),
        }
        if request.htmx:
            return _status_line(request, text, ok=False, status=getattr(exc, "status_code", 400))
        messages.error(request, text)
        return redirect(_back_to_board(request))
    text = gettext("%(reference)s (%(name)s) moved to %(status)s.") % {
        "reference": application.reference,
        "name": application.full_name,
        "status": label,
    }
    if request.htmx:
        return _status_line(request, text, ok=True, application_id=application.pk)
    messages.success(request, text)
    return redirect(_back_to_board(request))


class IdListField(forms.Field):
    """Application ids ticked on the board; which of them exist is decided against the school's rows."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one application."),
        "invalid": _("Select applications on the board."),
    }

    def to_python(self, value):
        if not value:
            return []
        ids = [parse_id(str(v)) for v in value]
        if None in ids:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class BulkMoveForm(forms.Form):
    ids = IdListField(label=_("Applications"))
    to_status = forms.ChoiceField(label=_("Move the selected to"), choices=())
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000)
    other_items = forms.CharField(
        label=_("What is missing (for “Needs info”, one per line)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    send_welcome = forms.BooleanField(label=_("Send the welcome message on enrolment"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [("", gettext("Choose…"))] + [
            (s, Application.Status(s).label) for s in selectors.MOVE_ORDER
        ]

    def clean_ids(self):
        ids = self.cleaned_data["ids"]
        if len(ids) > BULK_LIMIT:
            raise forms.ValidationError(
                gettext("Move at most %(limit)s applications at once."), params={"limit": BULK_LIMIT}
            )
        return list(dict.fromkeys(ids))

    def clean(self):
        data = super().clean()
        if data.get("to_status") == Application.Status.NEEDS_INFO and not needs_info_items(self.data):
            self.add_error("other_items", gettext("Say what is missing: the family is told exactly this."))
        return data


@school_view(perm=PERM)
@require_POST
def bulk_move(request):
    """Moves each selected application on its own (each move is all or nothing); those refused
    are listed with the reason, and the rest are moved."""
    form = BulkMoveForm(request.POST)
    if not form.is_valid():
        context = {"form": form, "moved": [], "refused": []}
        if request.htmx:
            return render(request, "registrar/partials/board_bulk_results.html", context, status=400)
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"{label}: {errors[0]}" if label else errors[0])
        return redirect(_back_to_board(request))
    data = form.cleaned_data
    ids = data["ids"]
    found = {a.pk: a for a in Application.objects.for_school(request.school).filter(pk__in=ids)}
    items = needs_info_items(request.POST)
    moved, refused = [], []
    for pk in ids:
        application = found.get(pk)
        if application is None:
            refused.append((f"#{pk}", gettext("No such application.")))
            continue
        try:
            move(
                application=application,
                to_status=data["to_status"],
                actor=request.user,
                note=data["note"],
                items=items,
                send_welcome=data["send_welcome"],
            )
        except DomainError as exc:
            refused.append((f"{application.reference} {application.full_name}", error_text(exc)))
        else:
            moved.append(f"{application.reference} {application.full_name}")
    label = Application.Status(data["to_status"]).label
    if request.htmx:
        context = {"form": None, "moved": moved, "refused": refused, "label": label}
        response = render(request, "registrar/partials/board_bulk_results.html", context)
        if moved:
            response["HX-Trigger"] = CHANGED
        return response
    if moved:
        messages.success(
            request, gettext("Moved to %(status)s: %(names)s.") % {"status": label, "names": ", ".join(moved)}
        )
    for who, reason in refused:
        messages.error(request, gettext("Not moved — %(who)s: %(reason)s") % {"who": who, "reason": reason})
    return redirect(_back_to_board(request))
