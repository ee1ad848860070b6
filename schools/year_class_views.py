"""Class groups under /s/<slug>/year/classes/: the list (pupils this term against places), adding a
class, a class's own page, and deleting one nothing was ever recorded against. Reading takes
`students.view`; changing takes `school.manage`."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from classpoint.bounds import MAX_ID
from classpoint.forms import error_summary
from classpoint.tenancy import school_view

from .errors import SchoolsError
from .models import Enrollment
from .rollover_levels import level_key
from .services.classes import class_group_create, class_group_delete, class_group_update, class_group_uses
from .year_forms import ClassGroupForm, levels_in_order
from .year_views import MANAGE, VIEW, forbidden, may_manage, save_with

T = "schools/year/"


def _staff(school):
    return list(school.staff.order_by("last_name", "first_name", "id"))


def _classes(school, term):
    groups = list(school.class_groups.select_related("form_teacher"))
    counts = {}
    if term is not None:
        counts = dict(
            school.enrollments.filter(term=term, status=Enrollment.Status.ACTIVE)
            .values("class_group_id")
            .annotate(n=Count("id"))
            .values_list("class_group_id", "n")
        )
    for group in groups:
        group.pupils = counts.get(group.pk, 0)
    return sorted(groups, key=lambda g: (level_key(g.level), g.name.lower()))


@require_http_methods(["GET", "POST"])
@school_view(perm=VIEW)
def classes_page(request):
    school = request.school
    term = school.current_term()
    form = ClassGroupForm(request.POST if request.method == "POST" else None, staff=_staff(school))
    status = 200
    if request.method == "POST":
        if not may_manage(request):
            return forbidden(request)
        group, status = save_with(form, lambda **data: class_group_create(school=school, actor=request.user, **data))
        if group is not None:
            messages.success(request, _("Added %(class)s (%(level)s).") % {"class": group, "level": group.level})
            return redirect("year-classes", school.slug)
    classes = _classes(school, term)
    context = {
        "current": "classes",
        "term": term,
        "classes": classes,
        "levels": levels_in_order(g.level for g in classes),
        "form": form,
        "summary": error_summary(form),
        "can_manage": may_manage(request),
    }
    return render(request, T + "classes.html", context, status=status)


def _class_group(request, class_group_id):
    school = request.school
    found = school.class_groups.filter(pk=class_group_id).first() if class_group_id <= MAX_ID else None
    if found is None:
        raise Http404("No such class")
    return found


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def class_page(request, class_group_id):
    school = request.school
    group = _class_group(request, class_group_id)
    initial = {
        "name": group.name,
        "level": group.level,
        "capacity": group.capacity,
        "form_teacher": str(group.form_teacher_id or ""),
    }
    form = ClassGroupForm(request.POST if request.method == "POST" else None, staff=_staff(school), initial=initial)
    status = 200
    if request.method == "POST":
        saved, status = save_with(
            form, lambda **data: class_group_update(class_group=group, actor=request.user, **data)
        )
        if saved is not None:
            messages.success(request, _("Saved %(class)s.") % {"class": saved})
            return redirect("year-classes", school.slug)
        group.refresh_from_db()
    return _class_page(request, group, form, status=status)


def _class_page(request, group, form, *, delete_errors=(), status=200):
    school = request.school
    term = school.current_term()
    pupils = (
        school.enrollments.filter(term=term, class_group=group, status=Enrollment.Status.ACTIVE).count() if term else 0
    )
    context = {
        "current": "classes",
        "group": group,
        "term": term,
        "pupils": pupils,
        "uses": class_group_uses(group),
        "levels": levels_in_order(school.class_groups.values_list("level", flat=True)),
        "form": form,
        "summary": error_summary(form, [("", e) for e in delete_errors]),
    }
    return render(request, T + "class.html", context, status=status)


@require_POST
@school_view(perm=MANAGE)
def class_delete(request, class_group_id):
    school = request.school
    group = _class_group(request, class_group_id)
    try:
        class_group_delete(class_group=group, actor=request.user)
    except SchoolsError as exc:
        initial = {
            "name": group.name,
            "level": group.level,
            "capacity": group.capacity,
            "form_teacher": str(group.form_teacher_id or ""),
        }
        form = ClassGroupForm(staff=_staff(school), initial=initial)
        return _class_page(request, group, form, delete_errors=[exc.message], status=exc.status_code)
    messages.success(request, _("Deleted %(class)s.") % {"class": group})
    return redirect("year-classes", school.slug)
