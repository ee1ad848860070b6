"""Approval (the applicant is admitted, optionally invoiced) and conversion (the student enrolled)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.seats import seats_move_to_student
from classpoint.audit import audit
from classpoint.money import format_money
from classpoint.outbox import emit
from fees.errors import FeesError
from fees.services import invoice_create, invoice_issue, schedule_for
from schools.models import Enrollment, Student
from schools.services import admission_number_allocate, enrollment_create, guardian_link, student_create
from schools.services.people import guardian_update

from .. import links
from ..errors import RegistrarError, RegistrarErrorCode
from ..models import ApplicationDocument, ApplicationEvent, ApplicationGuardian
from ..transitions import check_move
from ._base import S, family_language, lock, message_context, move, request_family_message, term_of, user_or_none


def _admit(application, *, actor, status):
    """The application's Student (numbered from the school's pattern), linked to its guardians."""
    school = application.school
    student = student_create(
        school=school,
        actor=actor,
        admission_number=admission_number_allocate(school=school),
        first_name=application.first_name,
        last_name=application.last_name,
        other_names=application.other_names,
        date_of_birth=application.date_of_birth,
        gender=application.gender,
        status=status,
    )
    links_ = ApplicationGuardian.objects.for_school(school).filter(application=application).select_related("guardian")
    language = family_language(application)
    for link in links_.order_by("-is_primary", "id"):
        guardian_link(student=student, guardian=link.guardian, is_primary=link.is_primary, actor=actor)
        if language and not link.guardian.preferred_language:
            # A family already known to the school (a sibling) keeps a language it chose; one that
            # never chose is written to from now on in the language it applied in.
            guardian_update(guardian=link.guardian, actor=actor, preferred_language=language)
    application.student = student
    return student


def _invoice(application, *, actor, term):
    """Create and issue the first invoice from the placed class's fee schedule (issuing tells the
    guardians through `invoice.issued` -> INVOICE_ISSUED, with their pay link)."""
    school, group = application.school, application.placed_class_group
    if schedule_for(school=school, term=term, class_group=group) is None:
        message = _(
            "There is no fee schedule for %(group)s in %(term)s: set one up in Fees, or approve without an invoice."
        ) % {"group": group, "term": term}
        raise RegistrarError(message, code=RegistrarErrorCode.NO_FEE_SCHEDULE, fields={"invoice": [message]})
    student = application.student or _admit(application, actor=actor, status=Student.Status.ADMITTED)
    try:
        invoice = invoice_create(school=school, actor=actor, student=student, term=term, class_group=group)
        invoice = invoice_issue(invoice=invoice, actor=actor)
    except FeesError as exc:
        messages = [m for ms in exc.fields.values() for m in ms] or [exc.message]
        # The schedule was checked above and the student is new, so this is a race or a fees rule
        # registrar does not know: one registrar code, with fees' own words as the message.
        raise RegistrarError(
            " ".join(messages), code=RegistrarErrorCode.INVOICE_REFUSED, fields={"invoice": messages}
        ) from exc
    application.invoice = invoice
    return invoice


@transaction.atomic
def application_approve(*, application, actor, send_invoice=False, send_autopay_link=False, note=""):
    """in_review -> approved, for an applicant placed in a class. With `send_invoice`, the student is
    admitted (status "admitted", admission number) and the first invoice issued in the same
    transaction; `send_autopay_link` makes sure that invoice can be paid online at once from the
    link in its message (INVOICE_ISSUED carries each guardian's pay-now link: one message, not two)."""
    app = lock(application)
    check_move(app.status, S.APPROVED)
    if send_autopay_link and not send_invoice:
        message = _("The pay link is for the first invoice: choose “send invoice” too.")
        raise RegistrarError(
            message, code=RegistrarErrorCode.AUTOPAY_NEEDS_INVOICE, fields={"send_autopay_link": [message]}
        )
    if app.placed_class_group_id is None:
        message = _("Place the applicant in a class first.")
        raise RegistrarError(message, code=RegistrarErrorCode.NOT_PLACED, fields={"placement": [message]})
    note = (note or "").strip()[:2000]
    invoice = None
    if send_invoice:
        invoice = _invoice(app, actor=actor, term=term_of(app, "invoice"))
    move(app, S.APPROVED, actor=actor, note=note, fields=["student", "invoice"])
    if invoice is not None:
        payable = invoice.balance_minor > 0
        if send_autopay_link and not payable:
            pay_note = " Nothing is left to pay, so no pay link was needed."
        elif send_autopay_link:
            pay_note = " Each guardian's message carries their pay-now link."
        else:
            pay_note = ""
        ApplicationEvent.objects.create(
            school=app.school,
            application=app,
            kind=ApplicationEvent.Kind.INVOICE,
            actor=user_or_none(actor),
            note=(
                f"Invoice {invoice.number} issued for {format_money(invoice.total_minor, invoice.currency)} "
                f"({app.placed_class_group}); admission number {app.student.admission_number}.{pay_note}"
            ),
        )
    request_family_message(
        app,
        template="APPLICATION_APPROVED",
        reason="selfreg.approved",
        student_id=app.student_id,
        context=message_context(app, class_name=app.placed_class_group.name, status_link=links.status_url(app)),
        dedupe_key=f"application-approved:{app.pk}",
    )
    return app


@transaction.atomic
def application_convert(*, application, actor, send_welcome=False):
    """approved -> converted: the Student (the admitted one, or a new one), linked to the family's
    guardians, enrolled in the placed class for the term, holding the applicant's timetable seats
    and documents. Idempotent: converting a converted application returns its student and creates
    nothing (concurrent calls wait on the application's row lock and find it converted)."""
    app = lock(application)
    school = app.school
    if app.status == S.CONVERTED:
        return school.students.get(pk=app.student_id)
    check_move(app.status, S.CONVERTED)
    if app.placed_class_group_id is None:
        message = _("Place the applicant in a class first.")
        raise RegistrarError(message, code=RegistrarErrorCode.NOT_PLACED, fields={"placement": [message]})
    term, group = term_of(app, "term"), app.placed_class_group
    if app.student_id:
        student = school.students.select_for_update().get(pk=app.student_id)
        if student.status != Student.Status.ACTIVE:
            audit(
                school=school,
                actor=actor,
                action="student.updated",
                target=student,
                changes={"status": [student.status, Student.Status.ACTIVE]},
            )
            student.status = Student.Status.ACTIVE
            student.save(update_fields=["status", "updated_at"])
    else:
        student = _admit(app, actor=actor, status=Student.Status.ACTIVE)
    enrolled = school.enrollments.filter(student=student, term=term, status=Enrollment.Status.ACTIVE).exists()
    if not enrolled:
        # The placement held this seat (counted when it was placed); enrolling turns it into the enrollment.
        enrollment_create(
            school=school, actor=actor, student=student, term=term, class_group=group, check_capacity=False
        )
    seats_move_to_student(application=app, student=student)
    carried = ApplicationDocument.objects.for_school(school).filter(application=app).update(student=student)
    app.converted_at = timezone.now()
    move(
        app,
        S.CONVERTED,
        actor=actor,
        fields=["student", "converted_at"],
        note=f"Enrolled as {student.admission_number} in {group} for {term}.",
    )
    emit(
        school=school,
        event_type="selfreg.converted",
        dedupe_key=f"selfreg.converted:{app.pk}",
        payload={
            "application_id": app.pk,
            "reference": app.reference,
            "student_id": student.pk,
            "class_group_id": group.pk,
            "term_id": term.pk,
        },
    )
    audit(
        school=school,
        actor=actor,
        action="application.converted",
        target=app,
        changes={
            "student": student.admission_number,
            "class_group": group.name,
            "term": str(term),
            "documents": carried,
            "welcome": bool(send_welcome),
        },
    )
    if send_welcome:
        request_family_message(
            app,
            template="WELCOME",
            student_id=student.pk,
            context={"school_name": school.name, "student_name": student.full_name, "class_name": group.name},
            dedupe_key=f"welcome:{student.pk}",
            reason="selfreg.converted",
        )
    return student
