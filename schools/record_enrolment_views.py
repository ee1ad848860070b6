"""The record's Enrolment tab: every class the pupil sat in, term by term, with when and why each
place ended; and, for those who manage students, moving the pupil to another class this term,
withdrawing them (the day and the reason) and re-admitting a pupil who left.

The rules (a full class, a second class in one term, a leaving day before the pupil started) are the
service's (services/enrolment.py); a refused form shows its errors beside the fields and changes
nothing."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from classpoint.audit import record_access
from classpoint.bounds import parse_id
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from . import selectors
from .errors import SchoolsError
from .record_forms import MoveForm, ReadmitForm, WithdrawForm
from .record_pages import open_student
from .services.enrolment import ON_ROLL, enrollment_move, student_readmit, student_withdraw

VIEW, MANAGE = "students.view", "students.manage"


def _page(request, student, *, move=None, withdraw=None, readmit=None, status=200):
    school = request.school
    place = selectors.student_current_place(student=student)
    term = place.term if place else school.current_term()
    on_roll = student.status in ON_ROLL
    can_manage = request.membership.has_perm(MANAGE)
    # The classes to choose from, for whoever may move or re-admit the pupil.
    groups = selectors.class_groups_with_places(school=school, term=term) if can_manage else []
    context = {
        "student": student,
        "tab": "enrolment",
        "place": place,
        "term": term,
        "enrollments": selectors.student_enrollments(student=student),
        "can_manage": can_manage,
        "today": school.local_today(),
    }
    if can_manage and on_roll and place is not None:
        context["move_form"] = move or MoveForm(groups=groups, current=place.class_group_id, prefix="move")
    if can_manage and on_roll:
        context["withdraw_form"] = withdraw or WithdrawForm(
            initial={"left_on": school.local_today()}, prefix="withdraw"
        )
    if can_manage and student.status == student.Status.WITHDRAWN and term is not None:
        context["readmit_form"] = readmit or ReadmitForm(groups=groups, prefix="readmit")
    forms = [form for form in (move, withdraw, readmit) if form is not None]
    context["summary"] = [item for form in forms for item in error_summary(form)]
    return render(request, "schools/record/enrolment.html", context, status=status)


@require_GET
@school_view(perm=VIEW)
def student_enrolment(request, student_id):
    return _page(request, open_student(request, student_id))


def _refused(request, student, **forms):
    student.refresh_from_db()  # a refused change leaves the pupil as they are in the database
    record_access(school=request.school, actor=request.user, target=student, via="workspace")
    return _page(request, student, status=400, **forms)


def _class_group(request, form):
    pk = parse_id(form.cleaned_data["class_group"])
    return request.school.class_groups.filter(pk=pk).first() if pk else None


def _groups(request, student):
    place = selectors.student_current_place(student=student)
    term = place.term if place else request.school.current_term()
    return place, selectors.class_groups_with_places(school=request.school, term=term)


@require_POST
@school_view(perm=MANAGE)
def student_move(request, student_id):
    student = open_student(request, student_id, record=False)
    place, groups = _groups(request, student)
    form = MoveForm(request.POST, groups=groups, current=place.class_group_id if place else None, prefix="move")
    if form.is_valid():
        try:
            moved = enrollment_move(
                student=student,
                actor=request.user,
                class_group=_class_group(request, form),
                reason=form.cleaned_data["reason"],
            )
        except SchoolsError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("%(student)s moved to %(class)s from today.") % {"student": student, "class": moved.class_group},
            )
            return redirect("student-enrolment", request.school.slug, student.pk)
    return _refused(request, student, move=form)


@require_POST
@school_view(perm=MANAGE)
def student_withdraw_view(request, student_id):
    student = open_student(request, student_id, record=False)
    form = WithdrawForm(request.POST, prefix="withdraw")
    if form.is_valid():
        try:
            student_withdraw(student=student, actor=request.user, **form.cleaned_data)
        except SchoolsError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("%(student)s withdrawn.") % {"student": student})
            return redirect("student-enrolment", request.school.slug, student.pk)
    return _refused(request, student, withdraw=form)


@require_POST
@school_view(perm=MANAGE)
def student_readmit_view(request, student_id):
    student = open_student(request, student_id, record=False)
    _place, groups = _groups(request, student)
    form = ReadmitForm(request.POST, groups=groups, prefix="readmit")
    if form.is_valid():
        try:
            enrollment = student_readmit(student=student, actor=request.user, class_group=_class_group(request, form))
        except SchoolsError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("%(student)s re-admitted into %(class)s.") % {"student": student, "class": enrollment.class_group},
            )
            return redirect("student-enrolment", request.school.slug, student.pk)
    return _refused(request, student, readmit=form)
