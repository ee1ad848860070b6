"""Class groups and the current term's enrollments from the SIS, through schools' services.

A class group's capacity is raised to its SIS roster when the roster is larger (the SIS decided who
sits there; a capacity error on every nightly run would help nobody). Enrollments are written in the
school's current term only. A pupil the SIS no longer enrols (missing from a full roster, or marked
inactive) has their enrollment ended, never deleted: their registers and history stay.
"""

from collections import Counter

from schools import services
from schools.models import ClassGroup, Enrollment

from ..models import SisLink
from .tally import RECORD_ERRORS

CLASS_GROUP = SisLink.Kind.CLASS_GROUP
ENROLLMENT = SisLink.Kind.ENROLLMENT
DEFAULT_CAPACITY = 40
Status = Enrollment.Status


def sync_class_groups(ctx, records, enrollments):
    sizes = Counter(e.class_group_id for e in enrollments if e.active)
    groups = {g.pk: g for g in ClassGroup.objects.for_school(ctx.school)}
    by_name = {g.name.casefold(): g for g in groups.values()}
    for record in records:
        try:
            group = _class_group(ctx, record, groups, by_name, sizes[record.external_id])
        except RECORD_ERRORS as exc:
            ctx.tally.record_error("class_group", record.external_id, exc)
        else:
            if group is not None:
                ctx.groups[record.external_id] = group
    ctx.links.flush()
    for external_id, link in ctx.links.by_external[CLASS_GROUP].items():
        if link.local_id in groups:
            ctx.groups.setdefault(external_id, groups[link.local_id])


def _class_group(ctx, record, groups, by_name, size):
    group = groups.get(ctx.links.local_id(CLASS_GROUP, record.external_id))
    linked = False
    if group is None:
        named = by_name.get(record.name.casefold())
        if named is not None and ctx.links.external_id(CLASS_GROUP, named.pk) is None:
            group, linked = named, True
    if group is None:
        if not record.active or not size:
            return None  # an empty or past class is not worth creating
        group = services.class_group_create(
            school=ctx.school, actor=None, name=record.name, level=record.level, capacity=max(DEFAULT_CAPACITY, size)
        )
        groups[group.pk] = group
        by_name[group.name.casefold()] = group
        outcome = "created"
    else:
        changes = {k: v for k, v in (("name", record.name), ("level", record.level)) if v and getattr(group, k) != v}
        if size > group.capacity:
            changes["capacity"] = size
        if changes:
            services.class_group_update(class_group=group, actor=None, **changes)
        outcome = "updated" if changes else "unchanged"
    ctx.links.link(CLASS_GROUP, record.external_id, group.pk)
    ctx.tally.add("class_group", outcome)
    if linked:
        ctx.tally.add("class_group", "linked")
    return group


def sync_enrollments(ctx, records, *, complete):
    active = [record for record in records if record.active]
    if ctx.term is None:
        if active:
            message = "The school has no current term: enrollments wait until one is set."
            ctx.tally.fail("enrollment", "", message, n=len(active))
        return
    enrollments = {
        e.pk: e for e in Enrollment.objects.for_school(ctx.school).filter(term=ctx.term).select_related("class_group")
    }
    current = {e.student_id: e for e in enrollments.values() if e.status == Status.ACTIVE}
    seen, pupils_seen = set(), set()
    for record in active:
        seen.add(record.external_id)
        student, group = ctx.students.get(record.student_id), ctx.groups.get(record.class_group_id)
        if student is None or group is None:
            missing = "pupil" if student is None else "class group"
            ctx.tally.fail("enrollment", record.external_id, f"Its {missing} is not in Classpoint (see its error).")
            continue
        if student.pk in pupils_seen:
            message = "The SIS enrols this pupil in two class groups; Classpoint keeps one per term."
            ctx.tally.fail("enrollment", record.external_id, message)
            continue
        pupils_seen.add(student.pk)
        try:
            _enrollment(ctx, record, student, group, enrollments, current)
        except RECORD_ERRORS as exc:
            ctx.tally.record_error("enrollment", record.external_id, exc)
    ctx.links.flush()
    explicit = {record.external_id for record in records if not record.active}
    for external_id, link in list(ctx.links.by_external[ENROLLMENT].items()):
        if external_id in seen or not (complete or external_id in explicit):
            continue
        enrollment = enrollments.get(link.local_id)
        if enrollment is None or enrollment.status != Status.ACTIVE:
            continue
        try:
            services.enrollment_update(enrollment=enrollment, actor=None, status=Status.ENDED)
        except RECORD_ERRORS as exc:
            ctx.tally.record_error("enrollment", external_id, exc)
        else:
            ctx.tally.add("enrollment", "ended")


def _enrollment(ctx, record, student, group, enrollments, current):
    enrollment = enrollments.get(ctx.links.local_id(ENROLLMENT, record.external_id))
    if enrollment is not None and enrollment.student_id != student.pk:
        enrollment = None
    active = current.get(student.pk)
    linked = False
    if enrollment is None or (enrollment.status != Status.ACTIVE and active is not None):
        enrollment, linked = active, active is not None
    if enrollment is None:
        enrollment = services.enrollment_create(
            school=ctx.school, actor=None, student=student, term=ctx.term, class_group=group
        )
        enrollments[enrollment.pk] = current[student.pk] = enrollment
        outcome = "created"
    else:
        changes = {}
        if enrollment.class_group_id != group.pk:
            changes["class_group"] = group
        if enrollment.status != Status.ACTIVE:
            changes["status"] = Status.ACTIVE
        if changes:
            enrollment.school = ctx.school
            services.enrollment_update(enrollment=enrollment, actor=None, **changes)
            current[student.pk] = enrollment
        outcome = "updated" if changes else "unchanged"
    ctx.links.link(ENROLLMENT, record.external_id, enrollment.pk)
    ctx.tally.add("enrollment", outcome)
    if linked:
        ctx.tally.add("enrollment", "linked")
