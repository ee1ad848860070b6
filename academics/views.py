"""The timetable under /s/<slug>/timetable/: a class group's week, a teacher's week, and the slot form.

Anyone who may view students reads the timetable; `academics.manage_timetable` edits it. The slot
form asks the server for clashes as its fields change (HTMX posts it to `conflicts/`); without
JavaScript the "Check for clashes" button does the same, and saving refuses a clash with the same
sentences either way.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.bounds import parse_id
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view
from schools.seats import class_group_seats

from . import selectors, services
from .errors import AcademicsError
from .forms import SlotForm
from .models import ScheduleSlot

READ = "students.view"
MANAGE = "academics.manage_timetable"


def _can_edit(request):
    return request.membership.has_perm(MANAGE)


def _pick(objects, raw, default):
    """The object whose id the query string names (404 for one this school does not have)."""
    if not raw:
        return default
    chosen = next((obj for obj in objects if str(obj.pk) == raw), None)
    if chosen is None:
        raise Http404("Not found")
    return chosen


def _default_term(terms):
    return next((term for term in terms if term.is_current), terms[0] if terms else None)


def _slot(request, slot_id):
    slot = (
        ScheduleSlot.objects.for_school(request.school)
        .select_related("term__session", "class_group", "teacher")
        .filter(pk=slot_id)
        .first()
    )
    if slot is None:
        raise Http404("No such slot")
    return slot


def _grid_url(school, term, class_group):
    return reverse("timetable", args=[school.slug]) + "?" + urlencode({"term": term.pk, "class_group": class_group.pk})


@require_GET
@school_view(perm=READ)
def timetable(request):
    school = request.school
    terms = list(school.terms.select_related("session"))
    groups = list(school.class_groups)
    term = _pick(terms, request.GET.get("term"), _default_term(terms))
    group = _pick(groups, request.GET.get("class_group"), groups[0] if groups else None)
    context = {
        "terms": terms,
        "class_groups": groups,
        "term": term,
        "class_group": group,
        "can_edit": _can_edit(request),
    }
    if term is not None and group is not None:
        taken, capacity = class_group_seats(class_group=group, term=term)
        context.update(
            grid=selectors.week_grid(school=school, term=term, class_group=group), seats_taken=taken, capacity=capacity
        )
    return render(request, "academics/timetable.html", context)


@require_GET
@school_view(perm=READ)
def teacher_week(request):
    school = request.school
    terms = list(school.terms.select_related("session"))
    teachers = list(school.staff.filter(is_teacher=True))
    term = _pick(terms, request.GET.get("term"), _default_term(terms))
    # Any staff member the school has (a former teacher may still hold lessons), not only teachers.
    teacher = None
    raw = request.GET.get("teacher")
    if raw:
        teacher_id = parse_id(raw)
        teacher = school.staff.filter(pk=teacher_id).first() if teacher_id else None
        if teacher is None:
            raise Http404("No such teacher")
    elif teachers:
        teacher = teachers[0]
    context = {"terms": terms, "teachers": teachers, "term": term, "teacher": teacher, "can_edit": _can_edit(request)}
    if term is not None and teacher is not None:
        context["grid"] = selectors.week_grid(school=school, term=term, teacher=teacher)
    return render(request, "academics/teacher_week.html", context)


def _where(data):
    return {
        name: data.get(name) for name in ("term", "weekday", "start_time", "end_time", "teacher", "room", "class_group")
    }


def _slot_page(request, slot):
    school = request.school
    if slot is not None:
        initial = {
            "term": slot.term_id,
            "class_group": slot.class_group_id,
            "subject": slot.subject,
            "teacher": slot.teacher_id,
            "weekday": slot.weekday,
            "start_time": slot.start_time,
            "end_time": slot.end_time,
            "room": slot.room,
            "capacity": slot.capacity,
        }
    else:
        # "Add" in an empty cell of the grid names the term, class, day and period.
        fields = ("term", "class_group", "weekday", "start_time", "end_time", "teacher")
        initial = {name: request.GET[name] for name in fields if request.GET.get(name)}
        initial.setdefault("term", getattr(school.current_term(), "pk", None))
    form = SlotForm(request.POST or None, school=school, slot=slot, initial=initial)
    conflicts, checked, status = [], False, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "check" in request.POST:
            conflicts, checked = services.slot_conflicts(school=school, exclude_slot=slot, **_where(data)), True
        else:
            try:
                if slot is None:
                    saved = services.slot_create(school=school, actor=request.user, **data)
                    messages.success(request, gettext("%(lesson)s added.") % {"lesson": services.describe(saved)})
                else:
                    saved = services.slot_update(slot=slot, actor=request.user, **data)
                    messages.success(request, gettext("%(lesson)s saved.") % {"lesson": services.describe(saved)})
            except AcademicsError as exc:
                apply_domain_error(form, exc)
                conflicts, checked, status = exc.conflicts, bool(exc.conflicts), exc.status_code
            else:
                return redirect(_grid_url(school, saved.term, saved.class_group))
    if form.errors and status == 200:
        status = 400
    context = {"form": form, "slot": slot, "conflicts": conflicts, "checked": checked, "summary": error_summary(form)}
    if slot is not None:
        context["seats_taken"] = slot.seats.count()
    return render(request, "academics/slot_form.html", context, status=status)


@school_view(perm=MANAGE)
@require_http_methods(["GET", "POST"])
def slot_new(request):
    return _slot_page(request, None)


@school_view(perm=MANAGE)
@require_http_methods(["GET", "POST"])
def slot_edit(request, slot_id):
    return _slot_page(request, _slot(request, slot_id))


@school_view(perm=MANAGE)
@require_POST
def slot_delete(request, slot_id):
    slot = _slot(request, slot_id)
    try:
        services.slot_delete(slot=slot, actor=request.user)
    except AcademicsError as exc:
        messages.error(request, exc.message)
        return redirect("timetable-slot", request.school.slug, slot.pk)
    messages.success(request, gettext("%(lesson)s deleted.") % {"lesson": services.describe(slot)})
    return redirect(_grid_url(request.school, slot.term, slot.class_group))


@school_view(perm=MANAGE)
@require_POST
def slot_conflicts(request):
    """The clash panel alone, for HTMX as the slot form changes. Saves nothing."""
    raw = request.GET.get("slot", "")
    slot_id = parse_id(raw)
    slot = _slot(request, slot_id) if slot_id else None
    if raw and slot is None:
        raise Http404("No such slot")
    form = SlotForm(request.POST, school=request.school, slot=slot)
    form.is_valid()  # a half-filled form still names a day and times worth checking
    data = form.cleaned_data
    context = {"conflicts": [], "checked": False, "hint": ""}
    if any(data.get(name) is None for name in ("term", "weekday", "start_time", "end_time")):
        context["hint"] = gettext("Choose the term, day and times to check for clashes.")
    elif data["end_time"] <= data["start_time"]:
        context["hint"] = gettext("The lesson must end after it starts.")
    else:
        context["conflicts"] = services.slot_conflicts(school=request.school, exclude_slot=slot, **_where(data))
        context["checked"] = True
    return render(request, "academics/partials/conflicts.html", context)
