"""The transition table, walked in full: every allowed move works and leaves its trace (history,
audit, event); every other move is refused, names both statuses and changes nothing."""

import itertools

import pytest

from classpoint.models import AuditLog, OutboxEvent
from fees.models import Invoice
from registrar import services
from registrar.errors import RegistrarError
from registrar.models import Application, ApplicationEvent
from registrar.transitions import TRANSITIONS, allowed_moves, label
from schools.models import Student

from . import factories as rf

pytestmark = pytest.mark.django_db
S = Application.Status
OPEN = [S.PENDING, S.IN_REVIEW, S.NEEDS_INFO, S.APPROVED]
ALLOWED = {
    (S.PENDING, S.IN_REVIEW),
    (S.IN_REVIEW, S.NEEDS_INFO),
    (S.IN_REVIEW, S.APPROVED),
    (S.NEEDS_INFO, S.IN_REVIEW),
    (S.APPROVED, S.CONVERTED),
    *((s, S.REJECTED) for s in OPEN),
    *((s, S.WITHDRAWN) for s in OPEN),
}
MATRIX = list(itertools.product(S.values, S.values))


def test_the_table_is_the_admissions_process():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert allowed_moves(S.IN_REVIEW) == [S.NEEDS_INFO, S.APPROVED, S.REJECTED, S.WITHDRAWN]
    assert allowed_moves(S.CONVERTED) == [] and allowed_moves("nonsense") == []


@pytest.mark.parametrize(("from_status", "to_status"), sorted(p for p in MATRIX if p in ALLOWED))
def test_every_allowed_move_is_recorded_audited_and_emitted(school, registrar, from_status, to_status):
    # given
    application = rf.in_status(school, from_status, registrar)
    events_before = ApplicationEvent.objects.filter(application=application, kind="status").count()
    # when
    moved = services.application_transition(
        application=application,
        to_status=to_status,
        actor=registrar,
        note="checked",
        needs_info_items=["Last school report"],
    )
    # then
    application.refresh_from_db()
    assert moved.status == application.status == to_status
    event = ApplicationEvent.objects.filter(application=application, kind="status").latest("id")
    assert ApplicationEvent.objects.filter(application=application, kind="status").count() == events_before + 1
    assert (event.from_status, event.to_status, event.actor) == (from_status, to_status, registrar)
    assert application.status_changed_at == event.at
    assert AuditLog.objects.filter(
        action="application.status_changed", target_id=str(application.pk), changes__to=to_status
    ).exists()
    emitted = OutboxEvent.objects.get(event_type="selfreg.status.updated", payload__event_id=event.pk)
    assert emitted.payload == {
        "application_id": application.pk,
        "reference": application.reference,
        "from": from_status,
        "to": to_status,
        "event_id": event.pk,
    }
    converted = OutboxEvent.objects.filter(event_type="selfreg.converted", payload__application_id=application.pk)
    assert converted.exists() == (to_status == S.CONVERTED)


@pytest.mark.parametrize(("from_status", "to_status"), sorted(p for p in MATRIX if p not in ALLOWED))
def test_every_other_move_is_refused_naming_both_statuses(school, registrar, from_status, to_status):
    # given
    application = rf.in_status(school, from_status, registrar)
    history = ApplicationEvent.objects.filter(application=application).count()
    outbox = OutboxEvent.objects.count()
    # when
    with pytest.raises(RegistrarError) as refused:
        services.application_transition(
            application=application, to_status=to_status, actor=registrar, needs_info_items=["Photo"]
        )
    # then
    assert refused.value.code == "invalid_transition"
    assert f"from {label(from_status)} to {label(to_status)}" in refused.value.message
    assert refused.value.fields == {"to_status": [refused.value.message]}
    application.refresh_from_db()
    assert application.status == from_status
    assert ApplicationEvent.objects.filter(application=application).count() == history
    assert OutboxEvent.objects.count() == outbox


def test_an_unknown_status_is_a_field_error(school, registrar):
    application = rf.submit(school)
    with pytest.raises(RegistrarError) as refused:
        services.application_transition(application=application, to_status="accepted", actor=registrar)
    assert refused.value.code == "invalid_status" and "to_status" in refused.value.fields


def test_needs_info_needs_a_list_of_what_is_missing(school, registrar):
    application = rf.in_status(school, S.IN_REVIEW, registrar)
    for items in (None, [], ["  "], ""):
        with pytest.raises(RegistrarError) as refused:
            services.application_transition(
                application=application, to_status=S.NEEDS_INFO, actor=registrar, needs_info_items=items
            )
        assert "needs_info_items" in refused.value.fields
    application.refresh_from_db()
    assert application.status == S.IN_REVIEW


def test_needs_info_asks_the_family_with_the_documented_variables_and_an_upload_link(school, registrar):
    from messaging.rendering import VARIABLES

    application = rf.in_status(school, S.IN_REVIEW, registrar)
    services.application_transition(
        application=application,
        to_status=S.NEEDS_INFO,
        actor=registrar,
        needs_info_items=["birth_certificate", "Passport photo", " "],
    )
    request = OutboxEvent.objects.get(event_type="messaging.requested", payload__template="APPLICATION_NEEDS_INFO")
    context = request.payload["context"]
    assert set(context) <= set(VARIABLES["APPLICATION_NEEDS_INFO"])
    assert context["note"] == "Birth certificate; Passport photo"
    assert context["reference"] == application.reference and context["applicant_name"] == "Chinedu Bello"
    assert f"/s/{school.slug}/apply/more/" in context["status_link"]
    assert request.payload["guardian_ids"] == list(application.guardians.values_list("guardian_id", flat=True))
    application.refresh_from_db()
    assert application.needs_info_items == ["Birth certificate", "Passport photo"]
    # Back in review, the request is answered: the list is cleared.
    services.application_transition(application=application, to_status=S.IN_REVIEW, actor=registrar)
    application.refresh_from_db()
    assert application.needs_info_items == []


def test_approving_needs_a_placement(school, registrar):
    application = services.application_transition(application=rf.submit(school), to_status=S.IN_REVIEW, actor=registrar)
    with pytest.raises(RegistrarError) as refused:
        services.application_transition(application=application, to_status=S.APPROVED, actor=registrar)
    assert refused.value.fields == {"placement": ["Place the applicant in a class first."]}
    application.refresh_from_db()
    assert application.status == S.IN_REVIEW


def _approved_with_invoice(school, registrar):
    group = school.class_groups.order_by("id").first()
    rf.fee_schedule(school, group)
    application = rf.in_status(school, S.IN_REVIEW, registrar)
    return services.application_approve(application=application, actor=registrar, send_invoice=True)


@pytest.mark.parametrize("to_status", [S.REJECTED, S.WITHDRAWN])
def test_closing_an_admitted_application_withdraws_the_student_and_voids_the_invoice(school, registrar, to_status):
    application = _approved_with_invoice(school, registrar)
    services.application_transition(application=application, to_status=to_status, actor=registrar, note="no seat")
    student = Student.objects.get(pk=application.student_id)
    invoice = Invoice.objects.get(pk=application.invoice_id)
    assert student.status == Student.Status.WITHDRAWN
    assert invoice.status == Invoice.Status.VOID and application.reference in invoice.void_reason


def test_rejecting_an_admitted_application_with_money_paid_is_refused(school, registrar):
    from fees.services import invoice_apply_payment

    application = _approved_with_invoice(school, registrar)
    invoice_apply_payment(school=school, invoice_id=application.invoice_id, transaction_id=4242, amount_minor=1_000_000)
    with pytest.raises(RegistrarError) as refused:
        services.application_transition(application=application, to_status=S.REJECTED, actor=registrar)
    assert refused.value.code == "has_payments" and "refund" in refused.value.message
    application.refresh_from_db()
    assert application.status == S.APPROVED
    assert Student.objects.get(pk=application.student_id).status == Student.Status.ADMITTED
    assert Invoice.objects.get(pk=application.invoice_id).status == Invoice.Status.PARTIALLY_PAID
