"""Fee schedules per term: list, add and edit (with their lines), delete."""

import datetime
import re

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.bounds import OUT_OF_RANGE_DATE, date_in_range
from classpoint.forms import error_summary
from classpoint.money import format_amount
from classpoint.tenancy import school_view

from .. import services, setup
from ..errors import FeesError
from ..models import FeeItem, FeeSchedule
from .common import may_manage, route_errors, small_int

BLANK_LINES_NEW = 4
BLANK_LINES_EDIT = 2
_LINE_KEY = re.compile(r"^lines-([0-9]{1,3})-(?:fee_item|amount|optional|due_date)$")


def _schedule(request, schedule_id):
    schedule = (
        FeeSchedule.objects.for_school(request.school)
        .select_related("term__session", "class_group")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None:
        raise Http404("No such fee schedule")
    return schedule


@require_GET
@school_view(perm="fees.view")
def schedules_list(request):
    school = request.school
    terms = list(school.terms.select_related("session"))
    term_id = request.GET.get("term", "")
    schedules = (
        FeeSchedule.objects.for_school(school)
        .select_related("term__session", "class_group")
        .prefetch_related("lines__fee_item")
        .order_by("-term__start_date", "term_id", "level", "class_group__name")
    )
    if small_int(term_id) is not None:
        schedules = schedules.filter(term_id=small_int(term_id))
    groups = []
    for schedule in schedules:
        lines = list(schedule.lines.all())
        schedule.line_list = lines
        schedule.total_minor = sum(line.amount_minor for line in lines if not line.optional)
        schedule.optional_minor = sum(line.amount_minor for line in lines if line.optional)
        if not groups or groups[-1][0].pk != schedule.term_id:
            groups.append((schedule.term, []))
        groups[-1][1].append(schedule)
    context = {"groups": groups, "terms": terms, "term_id": term_id, "can_manage": may_manage(request)}
    return render(request, "fees/setup_schedules.html", context)


class ScheduleForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=120, help_text=gettext_lazy("e.g. JSS 1 — First term")
    )
    term = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Term"))
    class_group = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=gettext_lazy("For one class"),
        empty_label=gettext_lazy("— (every class of a level instead)"),
    )
    level = forms.ChoiceField(
        label=gettext_lazy("Or for every class of a level"),
        required=False,
        help_text=gettext_lazy("A class's own schedule wins over its level's."),
    )

    def __init__(self, school, *args, schedule=None, **kwargs):
        super().__init__(*args, **kwargs)
        if schedule is not None:
            del self.fields["term"]  # a schedule belongs to its term: make another for another term
        else:
            self.fields["term"].queryset = school.terms.select_related("session")
            self.fields["term"].initial = school.current_term()
        self.fields["class_group"].queryset = school.class_groups.order_by("level", "name")
        levels = set(school.class_groups.values_list("level", flat=True))
        if schedule is not None and schedule.level:
            levels.add(schedule.level)
        self.fields["level"].choices = [("", "—")] + [(level, level) for level in sorted(levels - {""})]


def _blank_row(index):
    return {"index": index, "fee_item": "", "amount": "", "optional": False, "due_date": "", "errors": {}}


def _posted_rows(data):
    indices = sorted({int(m.group(1)) for key in data if (m := _LINE_KEY.match(key))})
    return [
        {
            "index": i,
            "fee_item": data.get(f"lines-{i}-fee_item", "").strip(),
            "amount": data.get(f"lines-{i}-amount", "").strip(),
            "optional": bool(data.get(f"lines-{i}-optional")),
            "due_date": data.get(f"lines-{i}-due_date", "").strip(),
            "errors": {},
        }
        for i in indices
    ]


def _parse_date(text):
    for parse in (datetime.date.fromisoformat, lambda t: datetime.datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            parsed = parse(text)
        except ValueError:
            continue
        if not date_in_range(parsed):
            raise ValueError(OUT_OF_RANGE_DATE)
        return parsed
    raise ValueError(_("Enter a date like 2026-09-30 (or 30/09/2026)."))


def _clean_rows(rows, items):
    """(lines for the service, the rows they came from). Errors land on the rows under the
    field's name; blank rows are skipped."""
    lines, sources = [], []
    for row in rows:
        if not (row["fee_item"] or row["amount"] or row["due_date"]):
            continue
        line = {"optional": row["optional"], "due_date": None, "amount_minor": 0}
        item = items.get(small_int(row["fee_item"]))
        if item is None:
            row["errors"]["fee_item"] = [_("Choose a fee.")]
        line["fee_item"] = item
        try:
            if not row["amount"] and item is not None and item.default_amount_minor:
                line["amount_minor"] = item.default_amount_minor
            else:
                line["amount_minor"] = setup.parse_amount(row["amount"])
        except ValueError as exc:
            row["errors"]["amount"] = [str(exc)]
        if row["due_date"]:
            try:
                line["due_date"] = _parse_date(row["due_date"])
            except ValueError as exc:
                row["errors"]["due_date"] = [str(exc)]
        lines.append(line)
        sources.append(row)
    return lines, sources


def _row_errors(rows):
    return {f"lines.{row['index']}.{field}": errors for row in rows for field, errors in row["errors"].items()}


_SERVICE_LINE_FIELDS = {"amount_minor": "amount", "fee_item_id": "fee_item"}
_LINE_FIELDS = {
    "fee_item": gettext_lazy("fee"),
    "amount": gettext_lazy("amount"),
    "due_date": gettext_lazy("due date"),
    "optional": gettext_lazy("optional"),
}


def _schedule_context(form, rows, items, schedule, errors):
    summary = error_summary(
        form,
        [
            (
                _("Line %(number)s, %(field)s") % {"number": row["index"] + 1, "field": _LINE_FIELDS.get(field, field)},
                error,
            )
            for row in rows
            for field, errs in row["errors"].items()
            for error in errs
        ],
    )
    summary += [(_("Lines"), error) for error in errors.get("lines", [])]
    return {
        "form": form,
        "rows": rows,
        "items": list(items.values()),
        "schedule": schedule,
        "summary": summary,
        "errors": {**errors, **_row_errors(rows)},
        "lines_error": errors.get("lines", []),
    }


@school_view(perm="fees.manage")
@require_http_methods(["GET", "POST"])
def schedule_edit(request, schedule_id=None):
    school = request.school
    schedule = _schedule(request, schedule_id) if schedule_id is not None else None
    current = list(schedule.lines.all()) if schedule else []
    # Every fee of the school, so a retired one posted is refused with its reason; only the active
    # ones and those already on this schedule are offered.
    kept = {line.fee_item_id for line in current}
    every = {item.pk: item for item in FeeItem.objects.for_school(school).order_by("category", "name")}
    items = {pk: item for pk, item in every.items() if item.is_active or pk in kept}
    errors = {}
    if request.method == "GET":
        initial = (
            {"name": schedule.name, "class_group": schedule.class_group, "level": schedule.level} if schedule else {}
        )
        form = ScheduleForm(school, initial=initial, schedule=schedule)
        rows = [
            {
                "index": i,
                "fee_item": str(line.fee_item_id),
                "amount": format_amount(line.amount_minor),
                "optional": line.optional,
                "due_date": line.due_date.isoformat() if line.due_date else "",
                "errors": {},
            }
            for i, line in enumerate(current)
        ]
        rows += [_blank_row(len(rows) + i) for i in range(BLANK_LINES_EDIT if schedule else BLANK_LINES_NEW)]
        return render(request, "fees/setup_schedule_form.html", _schedule_context(form, rows, items, schedule, errors))
    rows = _posted_rows(request.POST)
    if "add_line" in request.POST:
        # Without JavaScript "Add a line" submits the form: show it again with one more row, unsaved.
        fields = ("name", "term", "class_group", "level")
        form = ScheduleForm(school, initial={k: request.POST.get(k) for k in fields}, schedule=schedule)
        rows.append(_blank_row(max((row["index"] for row in rows), default=-1) + 1))
        return render(request, "fees/setup_schedule_form.html", _schedule_context(form, rows, items, schedule, errors))
    form = ScheduleForm(school, request.POST, schedule=schedule)
    lines, sources = _clean_rows(rows, every)
    if len(rows) > setup.MAX_LINES * 2:
        errors["lines"] = [_("A schedule holds at most %(max)s fees.") % {"max": setup.MAX_LINES}]
    else:
        found = setup.schedule_line_errors(school=school, lines=lines, allowed_inactive=kept)
        route_errors(found, sources, prefix="lines", errors=errors, renames=_SERVICE_LINE_FIELDS)
    if form.is_valid() and not errors and not _row_errors(rows):
        d = form.cleaned_data
        try:
            if schedule is None:
                saved = services.fee_schedule_create(
                    school=school,
                    actor=request.user,
                    term=d["term"],
                    name=d["name"],
                    lines=lines,
                    class_group=d["class_group"],
                    level=d["level"],
                )
            else:
                saved = setup.fee_schedule_update(
                    school=school,
                    actor=request.user,
                    schedule=schedule,
                    name=d["name"],
                    lines=lines,
                    class_group=d["class_group"],
                    level=d["level"],
                )
        except FeesError as exc:
            route_errors(exc.fields, sources, prefix="lines", form=form, errors=errors, renames=_SERVICE_LINE_FIELDS)
            for message in errors.pop("__all__", []) + ([] if exc.fields else [exc.message]):
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Fee schedule “%(name)s” saved. Invoices already made keep their lines.") % {"name": saved.name},
            )
            return redirect(f"{reverse('fee-setup-schedules', args=[school.slug])}?term={saved.term_id}")
    context = _schedule_context(form, rows, items, schedule, errors)
    return render(request, "fees/setup_schedule_form.html", context, status=400)


@school_view(perm="fees.manage")
@require_GET
def schedule_line(request):
    """The HTMX "Add a line" fragment: one more blank row, numbered after the rows on the page."""
    indices = [int(m.group(1)) for key in request.GET if (m := _LINE_KEY.match(key))]
    index = min(max(indices, default=-1) + 1, 999)
    items = FeeItem.objects.for_school(request.school).filter(is_active=True).order_by("category", "name")
    return render(request, "fees/setup_line_row.html", {"row": _blank_row(index), "items": items})


@school_view(perm="fees.manage")
@require_POST
def schedule_delete(request, schedule_id):
    schedule = _schedule(request, schedule_id)
    try:
        setup.fee_schedule_delete(school=request.school, actor=request.user, schedule=schedule)
    except FeesError as exc:
        messages.error(request, " ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message)
        return redirect("fee-setup-schedule", request.school.slug, schedule.pk)
    messages.success(request, _("Fee schedule “%(name)s” deleted.") % {"name": schedule.name})
    return redirect("fee-setup-schedules", request.school.slug)
