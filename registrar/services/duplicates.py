"""Possible duplicates flagged on arrival, resolved by staff: merged away or dismissed."""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from classpoint.audit import audit
from schools.models import Student, StudentGuardian

from ..errors import RegistrarError, RegistrarErrorCode
from ..models import (
    OPEN_STATUSES,
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationGuardian,
    DuplicateFlag,
)
from ._base import S, lock, move, recount_duplicates, recount_missing, release_seats, user_or_none


def flag_duplicates(application, guardian_ids):
    """Possible duplicates of a new application: the same child (names and date of birth) applied
    before with a shared guardian, or already is a student."""
    school = application.school
    same_child = {
        "first_name__iexact": application.first_name,
        "last_name__iexact": application.last_name,
        "date_of_birth": application.date_of_birth,
    }
    flags = []
    others = (
        Application.objects.for_school(school)
        .filter(**same_child, guardians__guardian_id__in=guardian_ids)
        .exclude(pk=application.pk)
        .exclude(status=S.WITHDRAWN)
        .distinct()
        .order_by("submitted_at", "id")
    )
    for other in others:
        reason = (
            f"Same child (names and date of birth) and same guardian as {other.reference}, "
            f"which is {other.get_status_display().lower()}."
        )
        flags.append(DuplicateFlag(school=school, application=application, other_application=other, reason=reason))
    shares_a_guardian = StudentGuardian.objects.filter(student_id=OuterRef("pk"), guardian_id__in=guardian_ids)
    students = (
        Student.objects.for_school(school)
        .filter(**same_child)
        .annotate(shared=Exists(shares_a_guardian))
        .order_by("id")
    )
    for student in students:
        reason = (
            f"{student.full_name} ({student.admission_number}), a {student.get_status_display().lower()} "
            f"student, has the same names and date of birth"
            f"{' and the same guardian' if student.shared else ''}."
        )
        flags.append(DuplicateFlag(school=school, application=application, student=student, reason=reason[:300]))
    DuplicateFlag.objects.bulk_create(flags)
    ApplicationEvent.objects.bulk_create(
        [
            ApplicationEvent(
                school=school,
                application=application,
                kind=ApplicationEvent.Kind.DUPLICATE,
                note=f"Possible duplicate: {flag.reason}",
            )
            for flag in flags
        ]
    )
    application.open_duplicates = len(flags)
    return flags


@transaction.atomic
def duplicate_resolve(*, flag, actor, action):
    """Dismiss a possible duplicate (not the same child), or merge: the new application is withdrawn
    into the one it duplicates (its documents and any new guardian move there) or, when the child
    is already a student, its documents go to that student."""
    if action not in ("merge", "dismiss"):
        raise RegistrarError(
            _("Choose merge or dismiss."),
            code=RegistrarErrorCode.INVALID_DUPLICATE_ACTION,
            fields={"action": [_("Choose merge or dismiss.")]},
        )
    app = lock(flag.application)
    school = app.school
    flag = DuplicateFlag.objects.for_school(school).select_for_update().get(pk=flag.pk)
    if flag.status != DuplicateFlag.Status.OPEN:
        message = _("This possible duplicate was already %(status)s.") % {"status": flag.get_status_display().lower()}
        raise RegistrarError(message, code=RegistrarErrorCode.ALREADY_RESOLVED, fields={"action": [message]})
    if action == "merge":
        note = _merge(app, flag, actor=actor)
    else:
        note = f"Not a duplicate: {flag.reason}"
    flag.status = DuplicateFlag.Status.MERGED if action == "merge" else DuplicateFlag.Status.DISMISSED
    flag.resolved_by, flag.resolved_at = user_or_none(actor), timezone.now()
    flag.save(update_fields=["status", "resolved_by", "resolved_at"])
    ApplicationEvent.objects.create(
        school=school, application=app, kind=ApplicationEvent.Kind.DUPLICATE, actor=user_or_none(actor), note=note
    )
    recount_duplicates(app)
    audit(
        school=school,
        actor=actor,
        action=f"application.duplicate_{flag.status}",
        target=app,
        changes={"flag_id": flag.pk, "other_application": flag.other_application_id, "student": flag.student_id},
    )
    return flag


def _merge(app, flag, *, actor):
    school = app.school
    if app.status not in OPEN_STATUSES or (app.status == S.APPROVED and app.student_id):
        message = _(
            "%(reference)s is %(status)s: it cannot be merged away. Dismiss the flag, or reject the application."
        ) % {"reference": app.reference, "status": app.get_status_display().lower()}
        raise RegistrarError(message, code=RegistrarErrorCode.CANNOT_MERGE, fields={"action": [message]})
    other = None
    if flag.other_application_id:
        other = Application.objects.for_school(school).select_for_update().get(pk=flag.other_application_id)
    docs = ApplicationDocument.objects.for_school(school).filter(application=app)
    if other is not None and other.status in OPEN_STATUSES:
        target = other.reference
        moved = docs.update(application=other)
        known = set(
            ApplicationGuardian.objects.for_school(school)
            .filter(application=other)
            .values_list("guardian_id", flat=True)
        )
        for link in (
            ApplicationGuardian.objects.for_school(school).filter(application=app).exclude(guardian_id__in=known)
        ):
            ApplicationGuardian.objects.create(
                school=school,
                application=other,
                guardian_id=link.guardian_id,
                is_primary=False,
                first_name=link.first_name,
                last_name=link.last_name,
                relationship=link.relationship,
                phone=link.phone,
                email=link.email,
                consent_sms=link.consent_sms,
                consent_whatsapp=link.consent_whatsapp,
                consent_email=link.consent_email,
            )
        ApplicationEvent.objects.create(
            school=school,
            application=other,
            kind=ApplicationEvent.Kind.DUPLICATE,
            actor=user_or_none(actor),
            note=f"{app.reference} merged into this application ({moved} document(s) moved).",
        )
        recount_missing(other)
    else:
        student = flag.student or (other.student if other is not None else None)
        if student is None:
            message = _(
                "%(reference)s is %(status)s: there is nothing open to merge into. Dismiss the flag instead."
            ) % {"reference": other.reference, "status": other.get_status_display().lower()}
            raise RegistrarError(message, code=RegistrarErrorCode.CANNOT_MERGE, fields={"action": [message]})
        target = f"student {student.admission_number}"
        moved = docs.update(student=student)
    recount_missing(app)
    release_seats(app)
    move(app, S.WITHDRAWN, actor=actor, note=f"Merged into {target} as a duplicate.")
    return f"Merged into {target}: {flag.reason}"
