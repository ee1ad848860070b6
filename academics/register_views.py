"""The teacher's side of attendance under /s/<slug>/attendance/: the day's registers to take, and the
register page itself.

"Today's registers" lists the registers the signed-in member takes (their form classes' daily
registers and the lessons they teach; an attendance officer sees the school's), with who took each
and when, and any other register of the day for a cover lesson. Another day is one date picker away;
a day the school is closed says so and offers the last school day.

The register page is a plain form (every pupil present until marked, one radio group per pupil) that
works without JavaScript; static/js/register.js makes it keyboard-first and keeps the counts current,
and htmx posts it so a refused register comes back in place with the errors beside the pupils.
"""

import datetime
import re
from collections import Counter

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from classpoint.bounds import DateFormField, date_in_range, parse_id
from classpoint.forms import error_summary
from classpoint.tenancy import school_view

from .attendance.codes import policy_for
from .attendance.registers import MAX_MINUTES_LATE, MAX_NOTE, check_sitting, register_submit, term_on
from .attendance.selectors import register_sheet, sittings_on
from .errors import AcademicsError
from .models import AbsenceCode, ScheduleSlot

RECORD = "academics.record_attendance"
MANAGE = "academics.manage_attendance"
Kind = AbsenceCode.Kind
# The kinds the counts show, in the order a teacher reads them.
COUNTED = (Kind.PRESENT, Kind.ABSENT, Kind.LATE, Kind.EXCUSED)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MARK_FIELD = re.compile(r"code-([0-9]+)")
# How far back "the last school day" is looked for: a long holiday, not a closed year.
LOOK_BACK_DAYS = 200


class DayForm(forms.Form):
    date = DateFormField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ReasonForm(forms.Form):
    """The part of the register that is not a pupil's row: why a closed day's register changes."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("The day is over: say why the register changes (kept in the audit log)."),
    )


def _staff_of(request):
    """The member's own staff record at this school, or None (an admin need not be on the staff list)."""
    return request.school.staff.filter(user=request.user).first()


def _day_from_path(text):
    if not _ISO_DAY.fullmatch(text):
        raise Http404("No such day")
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise Http404("No such day") from None
    if not date_in_range(day):
        raise Http404("No such day")
    return day


def _is_school_day(day, policy, terms):
    return day.isoweekday() in policy.school_days and any(start <= day <= end for start, end in terms)


def _school_day_on_or_before(school, day, policy):
    """The latest day up to `day` that the school opens in one of its terms, or None."""
    earliest = day - datetime.timedelta(days=LOOK_BACK_DAYS)
    terms = list(school.terms.filter(start_date__lte=day, end_date__gte=earliest).values_list("start_date", "end_date"))
    while day >= earliest:
        if _is_school_day(day, policy, terms):
            return day
        day -= datetime.timedelta(days=1)
    return None


def _closed_because(school, date, today, policy):
    """Why `date` has no registers to take (in words), or ""."""
    day = f"{date:%A} {date.day} {date:%B %Y}"
    if date > today:
        return gettext("%(day)s has not come yet: its registers are taken on the day.") % {"day": day}
    if date.isoweekday() not in policy.school_days:
        return gettext("The school does not open on %(days)s, so %(day)s has no registers.") % {
            "days": f"{date:%A}s",
            "day": f"{date:%A} {date.day} {date:%B}",
        }
    if term_on(school=school, date=date) is None:
        return gettext("%(day)s is outside the school's terms, so it has no registers.") % {"day": day}
    return ""


def _key(sitting):
    return (sitting.class_group.pk, sitting.slot.pk if sitting.slot else None)


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=RECORD)
def attendance_today(request):
    """The registers of a day (today unless ?date= names another): the member's own first, with how
    many are not taken yet; the rest of the school's registers below, for a cover lesson."""
    school = request.school
    today = school.local_today()
    # The picker shows the day on the page, today when the address names none.
    form = DayForm(request.GET if "date" in request.GET else {"date": today.isoformat()})
    form.fields["date"].widget.attrs["max"] = today.isoformat()
    date = (form.cleaned_data.get("date") if form.is_valid() else None) or today
    policy = policy_for(school)
    closed = _closed_because(school, date, today, policy)
    sees_all = request.membership.has_perm(MANAGE)
    staff = None if sees_all else _staff_of(request)
    mine, others, last_day = [], [], None
    if closed:
        # Offer the day a teacher most likely means: the last day the school opened.
        before = today if date > today else date - datetime.timedelta(days=1)
        last_day = _school_day_on_or_before(school, before, policy)
    else:
        everyone = sittings_on(school=school, date=date)
        if sees_all:
            mine = everyone
        elif staff is not None:
            mine = sittings_on(school=school, date=date, staff=staff)
            theirs = {_key(sitting) for sitting in mine}
            others = [sitting for sitting in everyone if _key(sitting) not in theirs]
        else:
            others = everyone
    context = {
        "form": form,
        "date": date,
        "today": today,
        "is_today": date == today,
        "closed": closed,
        "last_day": last_day,
        "sees_all": sees_all,
        "has_staff": staff is not None,
        "mine": mine,
        "others": others,
        "not_taken": sum(1 for sitting in mine if not sitting.taken),
    }
    template = "academics/attendance/register_today_body.html" if request.htmx else "academics/attendance/today.html"
    return render(request, template, context)


def _class_group(request, class_group_id):
    group = request.school.class_groups.select_related("form_teacher").filter(pk=class_group_id).first()
    if group is None:
        raise Http404("No such class group")
    return group


def _slot(request, slot_id):
    slot = (
        ScheduleSlot.objects.for_school(request.school)
        .select_related("class_group__form_teacher", "teacher")
        .filter(pk=slot_id)
        .first()
    )
    if slot is None:
        raise Http404("No such lesson")
    return slot


@require_http_methods(["GET", "POST"])
@school_view(perm=RECORD)
def attendance_register(request, class_group_id, date):
    """A class group's daily register. Any member who takes registers may take any class's (a cover
    teacher takes the register of the class in front of them)."""
    group = _class_group(request, class_group_id)
    return _register_page(request, class_group=group, date=_day_from_path(date))


@require_http_methods(["GET", "POST"])
@school_view(perm=RECORD)
def attendance_lesson_register(request, slot_id, date):
    """One lesson's register, for schools that take attendance lesson by lesson."""
    slot = _slot(request, slot_id)
    return _register_page(request, class_group=slot.class_group, date=_day_from_path(date), slot=slot)


def _register_page(request, *, class_group, date, slot=None):
    school = request.school
    today = school.local_today()
    try:
        term = check_sitting(school=school, class_group=class_group, date=date, slot=slot, today=today)
    except AcademicsError as exc:
        context = {
            "class_group": class_group,
            "slot": slot,
            "date": date,
            "why": [message for messages_ in exc.fields.values() for message in messages_] or [exc.message],
        }
        return render(request, "academics/attendance/register_unavailable.html", context, status=404)
    sheet = register_sheet(school=school, class_group=class_group, date=date, slot=slot, term=term)
    # A closed day's register changes only with a reason, so the form asks for one.
    asks_reason = sheet.taken and date < today
    form = ReasonForm(request.POST or None)
    posted, row_errors, status = None, {}, 200
    if request.method == "POST":
        posted, unreadable = _posted_marks(request.POST)
        status = 400  # unless the register goes through
        if form.is_valid():
            try:
                register = register_submit(
                    school=school,
                    class_group=class_group,
                    date=date,
                    slot=slot,
                    marks=[*posted.values(), *unreadable],
                    actor=request.user,
                    teacher=_staff_of(request),
                    reason=form.cleaned_data["reason"],
                )
            except AcademicsError as exc:
                row_errors = _refusal_on_page(form, exc)
                status = exc.status_code
            else:
                return _taken(request, register, label=_label(class_group, slot), edited=sheet.taken, today=today)
    rows = _rows(sheet, posted, row_errors)
    names = {row["student"].pk: row["name"] for row in rows}
    summary = error_summary(
        form,
        extra=[(names.get(student_id, ""), message) for student_id, errors in row_errors.items() for message in errors],
    )
    context = {
        "sheet": sheet,
        "class_group": class_group,
        "slot": slot,
        "date": date,
        "today": today,
        "is_today": date == today,
        "rows": rows,
        "codes": sheet.codes,
        "counts": _counts(rows),
        "form": form,
        "asks_reason": asks_reason or "reason" in form.errors,
        "summary": summary,
        "max_minutes": MAX_MINUTES_LATE,
        "max_note": MAX_NOTE,
        "register_label": _label(class_group, slot),
    }
    return render(request, "academics/attendance/register_page.html", context, status=status)


def _taken(request, register, *, label, edited, today):
    """Back to the day's registers, saying what the register holds."""
    if edited:
        said = gettext("Register of %(label)s saved: %(tally)s.")
    else:
        said = gettext("Register of %(label)s taken: %(tally)s.")
    messages.success(request, said % {"label": label, "tally": _tally_words(register)})
    url = reverse("attendance-today", args=[request.school.slug])
    if register.date != today:
        url += f"?date={register.date.isoformat()}"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _posted_marks(data):
    """The rows of the submitted register, one for each `code-<student id>` field with the pupil's
    `minutes-<id>` and `note-<id>` beside it: ({student_id: row}, rows whose id names no pupil, passed
    on for the service to name)."""
    rows, unreadable = {}, []
    for name in data:
        match = _MARK_FIELD.fullmatch(name)
        if not match:
            continue
        raw = match.group(1)
        student_id = parse_id(raw)
        row = {
            "student_id": raw if student_id is None else student_id,
            "code": data.get(name, ""),
            "minutes_late": data.get(f"minutes-{raw}", ""),
            "note": data.get(f"note-{raw}", ""),
        }
        if student_id is None:
            unreadable.append(row)
        else:
            rows[student_id] = row
    return rows, unreadable


def _refusal_on_page(form, exc):
    """Show a refused register: each pupil's error beside their row (returned by student id), the
    rest (the reason, the day, the register as a whole) on the form, so in the summary at its top."""
    row_errors = {}
    for name, errors in exc.fields.items():
        student_id = parse_id(name.removeprefix("marks.")) if name.startswith("marks.") else None
        if student_id is not None:
            row_errors[student_id] = list(errors)
        else:
            for message in [errors] if isinstance(errors, str) else errors:
                form.add_error(name if name in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)
    return row_errors


def _rows(sheet, posted, row_errors):
    """The page's rows: each pupil's mark as the register holds it, or as just posted when the
    register was refused (what the teacher chose is not thrown away)."""
    rows = []
    for sheet_row in sheet.rows:
        student, mark = sheet_row.student, sheet_row.mark
        code = mark.code.code if mark else "P"
        minutes = mark.minutes_late if mark and mark.minutes_late else ""
        note = mark.note if mark else ""
        if posted is not None and student.pk in posted:
            sent = posted[student.pk]
            code, minutes, note = sent["code"], sent["minutes_late"], sent["note"]
        chosen = next((c for c in sheet.codes if c.code == str(code).strip().upper()), None)
        rows.append(
            {
                "student": student,
                "name": f"{student.last_name}, {student.first_name}",
                "code": chosen.code if chosen else "",
                "kind": chosen.kind if chosen else Kind.PRESENT,
                "minutes": minutes,
                "note": note,
                "mark": mark,
                "errors": row_errors.get(student.pk, []),
            }
        )
    return rows


def _counts(rows):
    counter = Counter(row["kind"] for row in rows)
    return [(kind, kind.label if kind != Kind.ABSENT else gettext("Absent"), counter.get(kind, 0)) for kind in COUNTED]


def _label(class_group, slot):
    return class_group.name if slot is None else f"{class_group.name} {slot.subject}"


def _tally_words(register):
    """ "28 present, 2 absent, 1 late": present always, the other kinds when there are any."""
    counter = Counter(register.marks.values_list("kind", flat=True))
    others = {
        Kind.ABSENT: gettext("%(n)s absent"),
        Kind.LATE: gettext("%(n)s late"),
        Kind.EXCUSED: gettext("%(n)s excused"),
    }
    words = [gettext("%(n)s present") % {"n": counter.get(Kind.PRESENT, 0)}]
    words += [others[kind] % {"n": counter[kind]} for kind in others if counter.get(kind)]
    return ", ".join(words)
