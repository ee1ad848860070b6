"""Fee set-up pages under /s/<slug>/fees/setup/: fee items, schedules per term, sibling discounts.
Anyone with fees.view reads them; fees.manage changes them. Writes go through fees.services
(creation) and fees.setup (the rest)."""

import datetime
import re

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.bounds import OUT_OF_RANGE_DATE, date_in_range
from classpoint.tenancy import school_view

from . import services, setup
from .dues import due_days
from .errors import FeesError
from .models import FeeItem, FeeSchedule, SiblingDiscount

BLANK_LINES_NEW = 4
BLANK_LINES_EDIT = 2
BLANK_RULES = 2
_LINE_KEY = re.compile(r"^lines-([0-9]{1,3})-(?:fee_item|amount|optional|due_date)$")
_RULE_KEY = re.compile(r"^rules-([0-9]{1,2})-(?:child_position|percent)$")


def _small_int(text):
    """An id or a position typed or posted as plain ASCII digits, else None (never a 500)."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text or "") else None


def _can_manage(request):
    return request.membership.has_perm("fees.manage")


def _forbidden(request):
    return render(request, "403.html", {"perm": "fees.manage"}, status=403)


def _summary(form, extra=()):
    """Every error on the page, for the summary at the top (each also shows beside its input)."""
    items = [
        (form.fields[name].label if name in form.fields else "", error)
        for name, errors in form.errors.items()
        for error in errors
    ]
    return items + list(extra)


# --- Fee items ------------------------------------------------------------------------------


class FeeItemForm(forms.Form):
    code = forms.SlugField(
        label="Code",
        max_length=40,
        help_text="Short and unique, e.g. tuition-jss. Fixed once the fee is on a schedule.",
    )
    name = forms.CharField(label="Name", max_length=120)
    category = forms.ChoiceField(label="Category", choices=FeeItem.Category.choices)
    default_amount = forms.CharField(
        label="Default amount",
        required=False,
        max_length=30,
        help_text="In major units, e.g. 45,000.00 — offered when the fee is added to a schedule.",
    )

    def __init__(self, *args, currency="NGN", code_locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_amount"].label = f"Default amount ({currency})"
        self.fields["default_amount"].widget.attrs["inputmode"] = "decimal"
        if code_locked:
            self.fields["code"].disabled = True

    def clean_default_amount(self):
        text = self.cleaned_data["default_amount"]
        if not text.strip():
            return 0
        try:
            return setup.parse_amount(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def _add_service_errors(form, exc, renames=None):
    renames = renames or {}
    for field, errors in exc.fields.items():
        field = renames.get(field, field)
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


def _item(request, item_id):
    item = FeeItem.objects.for_school(request.school).filter(pk=item_id).first()
    if item is None:
        raise Http404("No such fee item")
    return item


@require_GET
@school_view(perm="fees.view")
def items_list(request):
    items = FeeItem.objects.for_school(request.school).order_by("-is_active", "category", "name", "id")
    return render(request, "fees/setup_items.html", {"items": items, "can_manage": _can_manage(request)})


def _amount_text(amount_minor):
    """Minor units as the form shows them back ("45,000.00"), without the currency symbol."""
    major, minor = divmod(amount_minor, 100)
    return f"{major:,}.{minor:02d}"


@school_view(perm="fees.manage")
@require_http_methods(["GET", "POST"])
def item_edit(request, item_id=None):
    school = request.school
    item = _item(request, item_id) if item_id is not None else None
    code_locked = item is not None and setup.fee_item_in_use(school=school, item=item)
    initial = {"category": FeeItem.Category.TUITION}
    if item is not None:
        initial = {
            "code": item.code,
            "name": item.name,
            "category": item.category,
            "default_amount": _amount_text(item.default_amount_minor),
        }
    form = FeeItemForm(request.POST or None, initial=initial, currency=school.currency, code_locked=code_locked)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if item is None:
                item = services.fee_item_create(
                    school=school,
                    actor=request.user,
                    code=d["code"],
                    name=d["name"],
                    category=d["category"],
                    default_amount_minor=d["default_amount"],
                )
                messages.success(request, f"Fee item “{item.name}” added.")
            else:
                setup.fee_item_update(
                    school=school,
                    actor=request.user,
                    item=item,
                    name=d["name"],
                    category=d["category"],
                    default_amount_minor=d["default_amount"],
                    code=None if code_locked else d["code"],
                )
                messages.success(request, f"Fee item “{d['name']}” saved.")
        except FeesError as exc:
            _add_service_errors(form, exc, {"default_amount_minor": "default_amount"})
        else:
            return redirect("fee-setup", school.slug)
    context = {"form": form, "item": item, "code_locked": code_locked, "summary": _summary(form)}
    return render(request, "fees/setup_item_form.html", context, status=400 if form.errors else 200)


@school_view(perm="fees.manage")
@require_POST
def item_active(request, item_id):
    item = _item(request, item_id)
    active = request.POST.get("is_active") == "1"
    setup.fee_item_set_active(school=request.school, actor=request.user, item=item, is_active=active)
    if active:
        messages.success(request, f"“{item.name}” is active again.")
    else:
        messages.success(
            request,
            f"“{item.name}” is retired: no longer offered for new schedule lines. Schedules that list it keep it.",
        )
    return redirect("fee-setup", request.school.slug)


# --- Fee schedules --------------------------------------------------------------------------


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
    if _small_int(term_id) is not None:
        schedules = schedules.filter(term_id=_small_int(term_id))
    groups = []
    for schedule in schedules:
        lines = list(schedule.lines.all())
        schedule.line_list = lines
        schedule.total_minor = sum(line.amount_minor for line in lines if not line.optional)
        schedule.optional_minor = sum(line.amount_minor for line in lines if line.optional)
        if not groups or groups[-1][0].pk != schedule.term_id:
            groups.append((schedule.term, []))
        groups[-1][1].append(schedule)
    context = {"groups": groups, "terms": terms, "term_id": term_id, "can_manage": _can_manage(request)}
    return render(request, "fees/setup_schedules.html", context)


class ScheduleForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120, help_text="e.g. JSS 1 — First term")
    term = forms.ModelChoiceField(queryset=None, label="Term")
    class_group = forms.ModelChoiceField(
        queryset=None, required=False, label="For one class", empty_label="— (every class of a level instead)"
    )
    level = forms.ChoiceField(
        label="Or for every class of a level", required=False, help_text="A class's own schedule wins over its level's."
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
    raise ValueError("Enter a date like 2026-09-30 (or 30/09/2026).")


def _clean_rows(rows, items):
    """(lines for the service, the rows they came from). Errors land on the rows under the
    field's name; blank rows are skipped."""
    lines, sources = [], []
    for row in rows:
        if not (row["fee_item"] or row["amount"] or row["due_date"]):
            continue
        line = {"optional": row["optional"], "due_date": None, "amount_minor": 0}
        item = items.get(_small_int(row["fee_item"]))
        if item is None:
            row["errors"]["fee_item"] = ["Choose a fee."]
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


def _route_errors(fields, sources, *, prefix, form=None, errors=None, renames=None):
    """Put a service's field errors where the page shows them: `<prefix>.<i>.<field>` on the row
    that line `i` came from (blank rows are not lines), the rest on the form or the page."""
    renames = renames or {}
    for key, messages_ in fields.items():
        parts = key.split(".")
        if parts[0] == prefix and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(sources):
            row_errors = sources[int(parts[1])]["errors"]
            field = renames.get(parts[2], parts[2])
            if field not in row_errors:  # the form's own message for that input comes first
                row_errors[field] = list(messages_)
        elif form is not None and key in form.fields:
            for message in messages_:
                form.add_error(key, message)
        elif errors is not None:
            errors.setdefault(prefix if key == prefix else "__all__", []).extend(messages_)


def _row_errors(rows):
    return {f"lines.{row['index']}.{field}": errors for row in rows for field, errors in row["errors"].items()}


_SERVICE_LINE_FIELDS = {"amount_minor": "amount", "fee_item_id": "fee_item"}
_LINE_FIELDS = {"fee_item": "fee", "amount": "amount", "due_date": "due date", "optional": "optional"}


def _schedule_context(form, rows, items, schedule, errors):
    summary = _summary(
        form,
        [
            (f"Line {row['index'] + 1}, {_LINE_FIELDS.get(field, field)}", error)
            for row in rows
            for field, errs in row["errors"].items()
            for error in errs
        ],
    )
    summary += [("Lines", error) for error in errors.get("lines", [])]
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
                "amount": _amount_text(line.amount_minor),
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
        errors["lines"] = [f"A schedule holds at most {setup.MAX_LINES} fees."]
    else:
        found = setup.schedule_line_errors(school=school, lines=lines, allowed_inactive=kept)
        _route_errors(found, sources, prefix="lines", errors=errors, renames=_SERVICE_LINE_FIELDS)
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
            _route_errors(exc.fields, sources, prefix="lines", form=form, errors=errors, renames=_SERVICE_LINE_FIELDS)
            for message in errors.pop("__all__", []) + ([] if exc.fields else [exc.message]):
                form.add_error(None, message)
        else:
            messages.success(request, f"Fee schedule “{saved.name}” saved. Invoices already made keep their lines.")
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
    messages.success(request, f"Fee schedule “{schedule.name}” deleted.")
    return redirect("fee-setup-schedules", request.school.slug)


# --- Sibling discounts ----------------------------------------------------------------------


def _posted_rules(data):
    indices = sorted({int(m.group(1)) for key in data if (m := _RULE_KEY.match(key))})
    return [
        {
            "index": i,
            "child_position": data.get(f"rules-{i}-child_position", "").strip(),
            "percent": data.get(f"rules-{i}-percent", "").strip(),
            "errors": {},
        }
        for i in indices
    ]


@school_view(perm="fees.view")
@require_http_methods(["GET", "POST"])
def discounts(request):
    school = request.school
    current = list(SiblingDiscount.objects.for_school(school).order_by("child_position"))
    can_manage = _can_manage(request)
    if request.method == "GET":
        rows = [
            {
                "index": i,
                "child_position": str(rule.child_position),
                "percent": f"{rule.percent.normalize():f}",
                "errors": {},
            }
            for i, rule in enumerate(current)
        ]
        rows += [
            {"index": len(rows) + i, "child_position": "", "percent": "", "errors": {}} for i in range(BLANK_RULES)
        ]
        return render(
            request,
            "fees/setup_discounts.html",
            {"rules": current, "rows": rows, "can_manage": can_manage, "summary": []},
        )
    if not can_manage:
        return _forbidden(request)
    rows = _posted_rules(request.POST)
    rules, sources = [], []
    for row in rows:
        if not (row["child_position"] or row["percent"]):
            continue  # an emptied row removes its rule
        rule = {"child_position": _small_int(row["child_position"]), "percent": None}
        if rule["child_position"] is None:
            row["errors"]["child_position"] = ["Enter the child's position: 2 for the second child, 3 for the third…"]
        try:
            rule["percent"] = setup.parse_percent(row["percent"])
        except ValueError as exc:
            row["errors"]["percent"] = [str(exc)]
        rules.append(rule)
        sources.append(row)
    page_errors = {}
    _route_errors(setup.sibling_rule_errors(rules), sources, prefix="rules", errors=page_errors)
    if not any(row["errors"] for row in rows):
        try:
            setup.sibling_discounts_replace(school=school, actor=request.user, rules=rules)
        except FeesError as exc:
            _route_errors(exc.fields, sources, prefix="rules", errors=page_errors)
            page_errors.setdefault("__all__", []).append(exc.message)
        else:
            messages.success(request, "Sibling discounts saved. They apply to invoices made from now on.")
            return redirect("fee-setup-discounts", school.slug)
    summary = [(f"Rule {row['index'] + 1}", error) for row in rows for errs in row["errors"].values() for error in errs]
    summary += [("", error) for errs in page_errors.values() for error in errs]
    errors = {f"rules.{row['index']}.{field}": errs for row in rows for field, errs in row["errors"].items()}
    context = {"rules": current, "rows": rows, "can_manage": can_manage, "summary": summary, "errors": errors}
    return render(request, "fees/setup_discounts.html", context, status=400)


# --- Due dates ------------------------------------------------------------------------------


class DueDaysForm(forms.Form):
    invoice_due_days = forms.IntegerField(
        label="Days to pay an invoice issued late",
        min_value=0,
        max_value=setup.MAX_DUE_DAYS,
        help_text="An invoice is due on its fee schedule's due date. When it is issued after that date (a pupil "
        "admitted mid-term, a draft sent later), it is due this many days after the day it is issued instead.",
    )


@require_http_methods(["GET", "POST"])
@school_view(perm="fees.view")
def due_dates(request):
    school = request.school
    can_manage = _can_manage(request)
    if request.method == "POST" and not can_manage:
        return _forbidden(request)
    form = DueDaysForm(request.POST or None, initial={"invoice_due_days": due_days(school)})
    if not can_manage:
        form.fields["invoice_due_days"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            setup.invoice_due_days_set(school=school, actor=request.user, days=form.cleaned_data["invoice_due_days"])
        except FeesError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, "Saved. Invoices issued from now on follow it.")
            return redirect("fee-setup-due-dates", school.slug)
    context = {"form": form, "can_manage": can_manage, "summary": _summary(form)}
    return render(request, "fees/setup_due_dates.html", context, status=400 if form.errors else 200)
