"""Class groups and enrollments in them; a class never takes more pupils than its capacity."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from classpoint.audit import audit

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import ClassGroup, Enrollment, Student
from ..seats import class_group_seats, lock_class_group
from ..year_errors import YearError, YearErrorCode
from ._base import field_changes

CLASS_FIELDS = ("name", "level", "capacity", "form_teacher")


@transaction.atomic
def class_group_create(*, school, actor, name, level, capacity=40, form_teacher=None):
    if school.class_groups.filter(name=name).exists():
        raise SchoolsError(
            _("Class exists."),
            code=SchoolsErrorCode.CLASS_EXISTS,
            fields={"name": [_("A class “%(name)s” already exists.") % {"name": name}]},
        )
    if form_teacher is not None and form_teacher.school_id != school.pk:
        raise SchoolsError(
            _("Teacher not found."), code=SchoolsErrorCode.TEACHER_NOT_FOUND, fields={"form_teacher": [_("Not found.")]}
        )
    group = ClassGroup.objects.create(
        school=school, name=name, level=level, capacity=capacity, form_teacher=form_teacher
    )
    audit(school=school, actor=actor, action="class_group.created", target=group)
    return group


@transaction.atomic
def class_group_update(*, class_group, actor, **data):
    data = {k: v for k, v in data.items() if k in CLASS_FIELDS}
    school = class_group.school
    if "name" in data and school.class_groups.filter(name=data["name"]).exclude(pk=class_group.pk).exists():
        raise SchoolsError(
            _("Class exists."), code=SchoolsErrorCode.CLASS_EXISTS, fields={"name": [_("Another class has this name.")]}
        )
    teacher = data.get("form_teacher")
    if teacher is not None and teacher.school_id != school.pk:
        raise SchoolsError(
            _("Teacher not found."), code=SchoolsErrorCode.TEACHER_NOT_FOUND, fields={"form_teacher": [_("Not found.")]}
        )
    changes = field_changes(class_group, data, CLASS_FIELDS)
    for key, value in data.items():
        setattr(class_group, key, value)
    class_group.save()
    if changes:
        audit(school=school, actor=actor, action="class_group.updated", target=class_group, changes=changes)
    return class_group


def class_group_uses(class_group):
    """What refers to the class group, as ["3 enrollments", "1 fee schedule"]: the apps above schools
    point at class groups too (timetables, fee schedules, placed applicants), and schools cannot name
    them, so they are found through the model's reverse relations."""
    uses = []
    # Hidden relations too (`related_name="+"`): Django's `related_objects` leaves those out, and a
    # delete would cascade into them unseen. An automatic M2M table is counted by its M2M field.
    relations = [
        field
        for field in ClassGroup._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and not field.related_model._meta.auto_created
    ]
    for relation in relations:
        model = relation.related_model
        # The base manager: an app's scoped default manager may not be in this school's scope here.
        count = model._base_manager.filter(**{relation.field.name: class_group}).count()
        if count:
            names = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
            uses.append(f"{count} {names}")
    return uses


@transaction.atomic
def class_group_delete(*, class_group, actor):
    """Delete a class group nothing was ever recorded against (one made by mistake); a class that
    has had pupils, fees or lessons is kept, since its history names it."""
    group = lock_class_group(class_group)
    uses = class_group_uses(group)
    if uses:
        message = _("%(group)s cannot be deleted: it is used by %(uses)s. Classes with a history are kept.") % {
            "group": group,
            "uses": ", ".join(uses),
        }
        raise YearError(message, code=YearErrorCode.CLASS_IN_USE, fields={"class_group": [message]})
    audit(school=group.school, actor=actor, action="class_group.deleted", target=group, target_label=group.name)
    group.delete()


def _check_same_school(school, **objs):
    for field, obj in objs.items():
        if obj is not None and obj.school_id != school.pk:
            raise SchoolsError(_("Not found."), code=SchoolsErrorCode.NOT_IN_SCHOOL, fields={field: [_("Not found.")]})


@transaction.atomic
def enrollment_create(*, school, actor, student, term, class_group, check_capacity=True):
    """Enrol `student` in `class_group` for `term`. `check_capacity=False` only where the seat is
    already held for this student (a placed applicant being enrolled: the placement becomes the
    enrollment, one seat either way)."""
    _check_same_school(school, student=student, term=term, class_group=class_group)
    # Lock the student's row: two concurrent enrollments for one student serialise here, and the
    # partial unique constraint is the last word if anything slips past.
    Student.objects.select_for_update().filter(pk=student.pk).first()
    if school.enrollments.filter(student=student, term=term, status=Enrollment.Status.ACTIVE).exists():
        raise SchoolsError(
            _("Already enrolled."),
            code=SchoolsErrorCode.ALREADY_ENROLLED,
            fields={
                "student": [
                    _("%(student)s already has an active enrollment in %(term)s; move it instead.")
                    % {"student": student, "term": term}
                ]
            },
        )
    if check_capacity:
        _check_room(term=term, class_group=class_group, student=student)
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(school=school, student=student, term=term, class_group=class_group)
    except IntegrityError as exc:
        raise SchoolsError(
            _("Already enrolled."), code=SchoolsErrorCode.ALREADY_ENROLLED, fields={"student": [_("Already enrolled.")]}
        ) from exc
    audit(
        school=school,
        actor=actor,
        action="enrollment.created",
        target=student,
        changes={"term": str(term), "class_group": class_group.name},
    )
    return enrollment


def _check_room(*, term, class_group, student):
    """A class never takes more pupils than its capacity, counting the applicants the registrar has
    placed in it as well as its enrollments. The class group's row lock serialises this with
    concurrent enrollments and placements (which take the same lock), so two requests never both
    take the last seat. The placed applicants are counted by the registrar's own counter, registered
    with schools/seats.py: schools never imports the layers above it."""
    lock_class_group(class_group)
    taken, capacity = class_group_seats(class_group=class_group, term=term, exclude_student=student)
    if taken >= capacity:
        message = _(
            "%(class_group)s is full: %(taken)s of %(capacity)s places are taken for %(term)s (counting "
            "applicants placed in it). Choose another class or raise its capacity."
        ) % {"class_group": class_group, "taken": taken, "capacity": capacity, "term": term}
        raise SchoolsError(_("The class is full."), code=SchoolsErrorCode.CLASS_FULL, fields={"class_group": [message]})


@transaction.atomic
def enrollment_update(*, enrollment, actor, class_group=None, status=None):
    school = enrollment.school
    _check_same_school(school, class_group=class_group)
    changes = {}
    moving = class_group is not None and class_group.pk != enrollment.class_group_id
    will_be_active = (status or enrollment.status) == Enrollment.Status.ACTIVE
    if will_be_active and (moving or enrollment.status != Enrollment.Status.ACTIVE):
        # Taking a seat in a class it does not hold one in yet (moved, or made active again).
        _check_room(
            term=enrollment.term,
            class_group=class_group if moving else enrollment.class_group,
            student=enrollment.student,
        )
    if moving:
        changes["class_group"] = [enrollment.class_group.name, class_group.name]
        enrollment.class_group = class_group
    if status is not None and status != enrollment.status:
        if (
            status == Enrollment.Status.ACTIVE
            and school.enrollments.filter(
                student_id=enrollment.student_id, term_id=enrollment.term_id, status=Enrollment.Status.ACTIVE
            )
            .exclude(pk=enrollment.pk)
            .exists()
        ):
            raise SchoolsError(
                _("Already enrolled."),
                code=SchoolsErrorCode.ALREADY_ENROLLED,
                fields={"status": [_("Another enrollment is active in this term.")]},
            )
        changes["status"] = [enrollment.status, status]
        enrollment.status = status
        # Leaving ends the pupil's days in the class today; coming back opens them again.
        enrollment.ended_on = school.local_today() if status == Enrollment.Status.ENDED else None
    enrollment.save()
    if changes:
        audit(school=school, actor=actor, action="enrollment.updated", target=enrollment.student, changes=changes)
    return enrollment
