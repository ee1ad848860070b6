import datetime

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings

from classpoint.models import AuditLog, OutboxEvent
from classpoint.outbox import worker
from classpoint.testing import run_concurrently
from fees.models import Invoice
from messaging.models import ConsentChange
from registrar import services
from registrar.errors import RegistrarError
from registrar.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    DocumentRequirement,
)
from schools.models import Enrollment, Guardian, SchoolProfile, Student, StudentGuardian
from schools.services import admission_number_allocate
from schools.tests import factories as f

from . import factories as rf

pytestmark = pytest.mark.django_db
S = Application.Status


def requests(template):
    return list(OutboxEvent.objects.filter(event_type="messaging.requested", payload__template=template))


def stored_files(school):
    try:
        _dirs, files = default_storage.listdir(f"applications/{school.pk}")
    except FileNotFoundError:
        return []
    return files + _dirs


# --- Submit ---------------------------------------------------------------------------------


def test_references_are_gapless_per_school(school, other_school):
    first, second = rf.submit(school), rf.submit(school)
    elsewhere = rf.submit(other_school)
    assert (first.reference, second.reference, elsewhere.reference) == ("APP-000001", "APP-000002", "APP-000001")


def test_a_refused_application_writes_nothing_and_uses_no_number(school):
    with pytest.raises(RegistrarError) as refused:
        rf.submit(
            school,
            child=rf.applicant(first_name=" ", date_of_birth="2099-01-01", class_level="SS 9"),
            guardians=[rf.guardian(phone="12", email="not-an-email")],
        )
    assert set(refused.value.fields) == {
        "applicant.first_name",
        "applicant.date_of_birth",
        "applicant.class_level",
        "guardians.0.phone",
        "guardians.0.email",
    }
    assert "JSS 1" in refused.value.fields["applicant.class_level"][0]
    assert not Application.objects.exists() and not OutboxEvent.objects.filter(event_type__startswith="selfreg")
    assert rf.submit(school).reference == "APP-000001"


@pytest.mark.parametrize(
    ("born", "message"),
    [(datetime.date(1990, 1, 1), "at most 25 years"), ("tomorrow", "future"), ("21/03/2014", "date of birth")],
)
def test_date_of_birth_is_checked(school, born, message):
    if born == "tomorrow":
        born = school.local_today() + datetime.timedelta(days=1)
    with pytest.raises(RegistrarError) as refused:
        rf.submit(school, child=rf.applicant(date_of_birth=born))
    assert message in refused.value.fields["applicant.date_of_birth"][0]


def test_guardians_one_or_two_each_reachable(school):
    for guardians, field in (
        ([], "guardians"),
        ([rf.guardian()] * 3, "guardians"),
        ([rf.guardian(phone="", email="")], "guardians.0.phone"),
    ):
        with pytest.raises(RegistrarError) as refused:
            rf.submit(school, guardians=guardians)
        assert field in refused.value.fields
    twin = rf.guardian()
    with pytest.raises(RegistrarError) as refused:
        rf.submit(school, guardians=[twin, {**twin, "first_name": "Musa"}])
    assert "guardians.1.phone" in refused.value.fields


def test_new_guardian_is_created_with_the_forms_consent(school):
    application = rf.submit(
        school,
        guardians=[rf.guardian(phone="0805 111 2222", email="Amina@Example.NG", consent_sms=True, consent_email=False)],
    )
    link = application.guardians.get()
    guardian = link.guardian
    assert (guardian.phone, guardian.email) == ("+2348051112222", "amina@example.ng")
    assert (guardian.consent_sms, guardian.consent_whatsapp, guardian.consent_email) == (True, False, False)
    assert guardian.preferred_channel == "sms" and link.is_primary
    change = ConsentChange.objects.get(guardian=guardian)
    assert (change.channel, change.granted, change.source) == ("sms", True, "form")
    assert application.reference in change.note


def test_an_existing_family_is_matched_by_phone_then_email_and_not_overwritten(school):
    known = f.GuardianFactory(
        school=school, first_name="Ngozi", phone="+2348031230000", email="ngozi@example.ng", consent_sms=False
    )
    by_phone = rf.submit(
        school, guardians=[rf.guardian(first_name="N.", phone="0803 123 0000", email="x@example.ng", consent_sms=True)]
    )
    by_email = rf.submit(school, guardians=[rf.guardian(phone="", email="NGOZI@example.ng")])
    for application in (by_phone, by_email):
        assert application.guardians.get().guardian_id == known.pk
    known.refresh_from_db()
    assert (known.first_name, known.email, known.consent_sms) == ("Ngozi", "ngozi@example.ng", False)
    typed = by_phone.guardians.get()
    assert (typed.first_name, typed.email, typed.consent_sms) == ("N.", "x@example.ng", True)
    assert Guardian.objects.for_school(school).filter(phone="+2348031230000").count() == 1
    assert not ConsentChange.objects.filter(guardian=known).exists()


def test_two_guardians_sharing_an_email_get_two_guardian_rows(school):
    application = rf.submit(
        school,
        guardians=[rf.guardian(email="family@example.ng"), rf.guardian(first_name="Musa", email="family@example.ng")],
    )
    assert len(set(application.guardians.values_list("guardian_id", flat=True))) == 2


def test_submission_is_searchable_told_audited_and_emitted(school):
    application = rf.submit(school, guardians=[rf.guardian(phone="08051112222", email="amina@example.ng")])
    for part in ("chinedu", "bello", "app-000001", "+2348051112222", "08051112222", "amina@example.ng"):
        assert part in application.search_text
    received = requests("APPLICATION_RECEIVED")
    assert len(received) == 1
    context = received[0].payload["context"]
    assert context["reference"] == "APP-000001" and context["class_name"] == "JSS 1"
    assert f"/s/{school.slug}/apply/status/" in context["status_link"]
    emitted = OutboxEvent.objects.get(event_type="selfreg.status.updated")
    assert (emitted.payload["from"], emitted.payload["to"]) == ("", "pending")
    assert AuditLog.objects.filter(action="application.submitted", target_id=str(application.pk)).exists()
    event = application.events.get(kind="status")
    assert (event.from_status, event.to_status) == ("", "pending")


# --- Duplicates -----------------------------------------------------------------------------


def test_the_same_child_from_the_same_family_is_flagged(school):
    mother = rf.guardian()
    first = rf.submit(school, guardians=[mother])
    again = rf.submit(school, child=rf.applicant(first_name="CHINEDU", last_name="bello"), guardians=[mother])
    flag = again.duplicate_flags.get()
    assert flag.other_application == first and first.reference in flag.reason
    assert again.open_duplicates == 1 and first.duplicate_flags.count() == 0
    assert again.events.filter(kind="duplicate").exists()


def test_no_flag_for_another_family_another_birthday_or_a_withdrawn_application(school, registrar):
    first = rf.submit(school)
    assert rf.submit(school).open_duplicates == 0  # same child, another family (new phone and email)
    mother = first.guardians.get()
    same_family = {"phone": mother.phone, "email": mother.email}
    other_day = rf.submit(
        school, child=rf.applicant(date_of_birth=datetime.date(2014, 3, 22)), guardians=[rf.guardian(**same_family)]
    )
    assert other_day.open_duplicates == 0
    services.application_transition(application=first, to_status=S.WITHDRAWN, actor=registrar)
    assert (
        rf.submit(school, guardians=[rf.guardian(**same_family)])
        .duplicate_flags.filter(other_application=first)
        .count()
        == 0
    )


def test_an_existing_student_is_flagged_with_or_without_a_shared_guardian(school):
    student = f.StudentFactory(
        school=school, first_name="Chinedu", last_name="Bello", date_of_birth=datetime.date(2014, 3, 21)
    )
    parent = f.GuardianFactory(school=school)
    f.link(student, parent)
    mine = rf.submit(school, guardians=[rf.guardian(phone=parent.phone)])
    stranger = rf.submit(school)
    assert "same guardian" in mine.duplicate_flags.get(student=student).reason
    assert "same guardian" not in stranger.duplicate_flags.get(student=student).reason


def test_dismissing_a_flag_keeps_the_application(school, registrar):
    mother = rf.guardian()
    rf.submit(school, guardians=[mother])
    again = rf.submit(school, guardians=[mother])
    flag = services.duplicate_resolve(flag=again.duplicate_flags.get(), actor=registrar, action="dismiss")
    again.refresh_from_db()
    assert flag.status == "dismissed" and flag.resolved_by == registrar
    assert again.open_duplicates == 0 and again.status == S.PENDING
    with pytest.raises(RegistrarError) as refused:
        services.duplicate_resolve(flag=flag, actor=registrar, action="merge")
    assert refused.value.code == "already_resolved"


def test_merging_withdraws_the_duplicate_into_the_first_application(school, registrar):
    mother = rf.guardian()
    first = rf.submit(school, guardians=[mother])
    father = rf.guardian(first_name="Musa")
    again = rf.submit(school, guardians=[mother, father], documents=[("birth_certificate", rf.upload())])
    services.duplicate_resolve(flag=again.duplicate_flags.get(), actor=registrar, action="merge")
    again.refresh_from_db()
    first.refresh_from_db()
    assert again.status == S.WITHDRAWN and again.open_duplicates == 0
    assert first.documents.get().kind == "birth_certificate"
    assert first.guardians.count() == 2 and first.guardians.get(is_primary=False).first_name == "Musa"
    assert first.events.filter(kind="duplicate", note__contains=again.reference).exists()


def test_merging_into_an_existing_student_hands_over_the_documents(school, registrar):
    student = f.StudentFactory(
        school=school, first_name="Chinedu", last_name="Bello", date_of_birth=datetime.date(2014, 3, 21)
    )
    application = rf.submit(school, documents=[("photo", rf.upload(rf.PNG, "me.png", "image/png"))])
    services.duplicate_resolve(flag=application.duplicate_flags.get(), actor=registrar, action="merge")
    application.refresh_from_db()
    assert application.status == S.WITHDRAWN
    assert application.documents.get().student == student


# --- Documents ------------------------------------------------------------------------------


def test_documents_are_judged_by_their_first_bytes_and_size(school, registrar):
    application = rf.submit(school)
    kept = services.document_add(
        application=application,
        kind="birth_certificate",
        via="staff",
        actor=registrar,
        upload=rf.upload(rf.JPEG, "scan.pdf", "application/pdf"),
    )
    assert kept.content_type == "image/jpeg" and default_storage.exists(kept.file.name)
    refused = [
        ("birth_certificate", rf.upload(rf.EXE, "cert.pdf"), "unsupported_type"),
        ("photo", rf.upload(rf.PDF, "photo.pdf"), "unsupported_type"),
        ("last_report", rf.upload(b"", "empty.pdf"), "empty_file"),
        ("passport", rf.upload(), "invalid_kind"),
    ]
    for kind, upload, code in refused:
        with pytest.raises(RegistrarError) as error:
            services.document_add(application=application, kind=kind, upload=upload, via="staff", actor=registrar)
        assert error.value.code == code
    with override_settings(APPLICATION_DOCUMENT_MAX_BYTES=32), pytest.raises(RegistrarError) as error:
        services.document_add(application=application, kind="last_report", upload=rf.upload(), via="staff")
    assert error.value.code == "file_too_large" and "MB" in error.value.message
    assert application.documents.count() == 1 and len(stored_files(school)) == 1


def test_a_refused_application_keeps_none_of_its_files(school):
    with pytest.raises(RegistrarError) as refused:
        rf.submit(school, documents=[("birth_certificate", rf.upload()), ("photo", rf.upload(rf.EXE, "me.png"))])
    assert "documents.photo" in refused.value.fields
    assert stored_files(school) == [] and not ApplicationDocument.objects.exists()


def test_the_checklist_follows_the_schools_requirements_per_level(school, registrar):
    DocumentRequirement.objects.create(school=school, level="", kind="birth_certificate")
    DocumentRequirement.objects.create(school=school, level="", kind="photo")
    DocumentRequirement.objects.create(school=school, level="JSS 1", kind="photo", is_required=False)
    DocumentRequirement.objects.create(school=school, level="JSS 1", kind="last_report")
    assert services.requirements_for(school=school, level="JSS 1") == ["birth_certificate", "last_report"]
    assert services.requirements_for(school=school, level="SS 1") == ["birth_certificate", "photo"]
    application = rf.submit(school, documents=[("birth_certificate", rf.upload())])
    assert services.missing_documents_for(application) == ["last_report"]
    assert application.missing_documents == 1
    document = application.documents.get()
    with pytest.raises(RegistrarError) as refused:
        services.document_review(document=document, actor=registrar, status="rejected")
    assert "note" in refused.value.fields
    services.document_review(document=document, actor=registrar, status="rejected", note="Blurred")
    application.refresh_from_db()
    assert application.missing_documents == 2
    assert application.events.filter(kind="document", note__contains="rejected: Blurred").exists()
    services.document_add(application=application, kind="birth_certificate", upload=rf.upload(), via="staff")
    verified = application.documents.get(status="received")
    services.document_review(document=verified, actor=registrar, status="verified")
    application.refresh_from_db()
    assert application.missing_documents == 1


def test_closed_applications_take_no_documents(school, registrar):
    application = rf.in_status(school, S.REJECTED, registrar)
    with pytest.raises(RegistrarError) as refused:
        services.document_add(
            application=application, kind="photo", via="staff", upload=rf.upload(rf.PNG, "p.png", "image/png")
        )
    assert refused.value.code == "application_closed"


# --- Needs info -----------------------------------------------------------------------------


def test_the_guardians_reply_sends_the_application_back_to_review(school, registrar):
    application = rf.in_status(school, S.NEEDS_INFO, registrar)
    services.needs_info_reply(application=application, documents_in=[("birth_certificate", rf.upload())])
    application.refresh_from_db()
    assert application.status == S.IN_REVIEW and application.needs_info_items == []
    event = application.events.filter(kind="status").latest("id")
    assert (event.actor, event.note) == (None, "Guardian sent the requested documents")
    assert application.documents.get().uploaded_via == "link"
    with pytest.raises(RegistrarError) as refused:
        services.needs_info_reply(application=application, documents_in=[("photo", rf.upload(rf.PNG, "p.png"))])
    assert refused.value.code == "not_waiting"


# --- Approve --------------------------------------------------------------------------------


def test_approval_with_invoice_admits_the_student_and_issues_the_invoice(school, registrar):
    group = school.class_groups.order_by("id").first()
    rf.fee_schedule(school, group, amount_minor=15_000_000)
    SchoolProfile.objects.filter(school=school).update(admission_number_pattern="{SLUG}/{YEAR}/{SEQ:3}")
    second = rf.guardian(first_name="Musa")
    application = rf.in_status(school, S.IN_REVIEW, registrar, guardians=[rf.guardian(), second])
    # when
    approved = services.application_approve(
        application=application, actor=registrar, send_invoice=True, send_autopay_link=True
    )
    # then
    assert approved.status == S.APPROVED
    student = Student.objects.get(pk=approved.student_id)
    assert student.status == Student.Status.ADMITTED and student.admission_number == "GREENFIELD/2026/001"
    links = StudentGuardian.objects.filter(student=student).order_by("-is_primary")
    assert [link.guardian_id for link in links] == list(
        approved.guardians.order_by("-is_primary", "id").values_list("guardian_id", flat=True)
    )
    assert links[0].is_primary and not links[1].is_primary
    invoice = Invoice.objects.get(pk=approved.invoice_id)
    assert invoice.status == "issued" and invoice.number.startswith("INV-") and invoice.total_minor == 15_000_000
    assert invoice.class_group == group and invoice.student == student
    assert approved.events.filter(kind="invoice", note__contains=invoice.number).exists()
    worker.drain()
    issued = requests("INVOICE_ISSUED")
    assert len(issued) == 2  # one per guardian, each with their own pay-now link, and no second message
    assert all("/payments/pay/" in r.payload["context"]["pay_link"] for r in issued)
    assert {r.payload["guardian_ids"][0] for r in issued} == {link.guardian_id for link in links}
    assert len(requests("APPLICATION_APPROVED")) == 1


def test_approval_without_fee_schedule_changes_nothing(school, registrar):
    application = rf.in_status(school, S.IN_REVIEW, registrar)
    with pytest.raises(RegistrarError) as refused:
        services.application_approve(application=application, actor=registrar, send_invoice=True)
    assert refused.value.code == "no_fee_schedule" and "invoice" in refused.value.fields
    application.refresh_from_db()
    assert application.status == S.IN_REVIEW and application.student_id is None
    assert not Student.objects.for_school(school).filter(first_name="Chinedu").exists()
    assert not Invoice.objects.filter(student__first_name="Chinedu").exists()


def test_autopay_link_needs_the_invoice(school, registrar):
    application = rf.in_status(school, S.IN_REVIEW, registrar)
    with pytest.raises(RegistrarError) as refused:
        services.application_approve(application=application, actor=registrar, send_autopay_link=True)
    assert "send_autopay_link" in refused.value.fields


def test_admission_numbers_skip_numbers_already_taken(school):
    from django.db import transaction

    f.StudentFactory(school=school, admission_number="2026/0001")
    with transaction.atomic():
        assert admission_number_allocate(school=school) == "2026/0002"
        assert admission_number_allocate(school=school) == "2026/0003"


# --- Convert --------------------------------------------------------------------------------


def test_conversion_enrolls_the_student_with_family_seats_and_documents(school, registrar):
    sibling = Student.objects.for_school(school).get(admission_number="GFA/0001")
    parent = sibling.guardian_links.get().guardian
    application = rf.in_status(
        school,
        S.APPROVED,
        registrar,
        guardians=[rf.guardian(phone=parent.phone)],
        documents=[("birth_certificate", rf.upload())],
    )
    student = services.application_convert(application=application, actor=registrar, send_welcome=True)
    application.refresh_from_db()
    assert application.status == S.CONVERTED and application.student == student and application.converted_at
    assert student.status == Student.Status.ACTIVE and student.admission_number == "2026/0001"
    # The sibling's guardian, reused: one family.
    assert list(student.guardian_links.values_list("guardian_id", flat=True)) == [parent.pk]
    enrollment = Enrollment.objects.get(student=student)
    assert (enrollment.class_group, enrollment.term) == (application.placed_class_group, school.current_term())
    assert application.documents.get().student == student
    converted = OutboxEvent.objects.get(event_type="selfreg.converted")
    assert converted.payload["student_id"] == student.pk
    welcome = requests("WELCOME")
    assert len(welcome) == 1 and welcome[0].payload["context"]["class_name"] == application.placed_class_group.name


def test_converting_twice_returns_the_same_student_and_creates_nothing(school, registrar):
    application = rf.in_status(school, S.APPROVED, registrar)
    student = services.application_convert(application=application, actor=registrar)
    counts = (
        Student.objects.count(),
        Enrollment.objects.count(),
        ApplicationEvent.objects.count(),
        OutboxEvent.objects.count(),
        AuditLog.objects.count(),
    )
    again = services.application_convert(application=application, actor=registrar, send_welcome=True)
    assert again == student
    assert counts == (
        Student.objects.count(),
        Enrollment.objects.count(),
        ApplicationEvent.objects.count(),
        OutboxEvent.objects.count(),
        AuditLog.objects.count(),
    )


def test_converting_an_admitted_student_activates_them(school, registrar):
    group = school.class_groups.order_by("id").first()
    rf.fee_schedule(school, group)
    application = rf.in_status(school, S.IN_REVIEW, registrar)
    application = services.application_approve(application=application, actor=registrar, send_invoice=True)
    admitted = application.student
    student = services.application_convert(application=application, actor=registrar)
    assert student.pk == admitted.pk and student.status == Student.Status.ACTIVE
    assert Student.objects.for_school(school).filter(first_name="Chinedu").count() == 1


def test_conversion_moves_the_applicants_timetable_seats(school, registrar):
    from academics.models import ScheduleSlot, SlotSeat
    from registrar.placement import application_place

    group = school.class_groups.order_by("id").first()
    slot = ScheduleSlot.objects.create(
        school=school,
        term=school.current_term(),
        class_group=group,
        subject="Maths",
        weekday=1,
        start_time=datetime.time(8),
        end_time=datetime.time(9),
    )
    application = services.application_transition(application=rf.submit(school), to_status=S.IN_REVIEW, actor=registrar)
    application_place(application=application, actor=registrar, class_group=group, slot_ids=[slot.pk])
    application = services.application_approve(application=application, actor=registrar)
    student = services.application_convert(application=application, actor=registrar)
    assert SlotSeat.objects.get(slot=slot).student == student


def test_rejecting_gives_the_timetable_seats_back(school, registrar):
    from academics.models import ScheduleSlot, SlotSeat
    from registrar.placement import application_place

    group = school.class_groups.order_by("id").first()
    slot = ScheduleSlot.objects.create(
        school=school,
        term=school.current_term(),
        class_group=group,
        subject="Maths",
        weekday=2,
        start_time=datetime.time(8),
        end_time=datetime.time(9),
    )
    application = rf.submit(school)
    application_place(application=application, actor=registrar, class_group=group, slot_ids=[slot.pk])
    services.application_transition(application=application, to_status=S.REJECTED, actor=registrar)
    assert not SlotSeat.objects.filter(slot=slot).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_conversions_make_one_student(school, registrar):
    # given an approved application
    application = rf.in_status(school, S.APPROVED, registrar)
    students = []

    def convert(_):
        students.append(services.application_convert(application=application, actor=registrar).pk)

    # when four registrars press "Convert" at once
    errors = run_concurrently(convert, list(range(4)))
    # then all get the same student, made once
    assert errors == []
    assert len(students) == 4 and len(set(students)) == 1
    assert Student.objects.for_school(school).filter(first_name="Chinedu").count() == 1
    assert Enrollment.objects.filter(student_id=students[0]).count() == 1
    assert OutboxEvent.objects.filter(event_type="selfreg.converted").count() == 1
    assert ApplicationEvent.objects.filter(application=application, to_status=S.CONVERTED).count() == 1
