"""Scholarships and waivers: requested by a bursar, approved by someone else, applied after the
sibling discount, in single and bulk invoicing and on an invoice that already exists."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from classpoint.models import AuditLog
from fees import awards, batches, credit, services
from fees.errors import FeesError
from fees.models import CreditEntry, Invoice, SiblingDiscount, StudentAward
from fees.tests.test_credit import drain
from payments import services as payments
from schools.models import Role, Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(school, bursar):
    """Tuition ₦100,000 and a ₦20,000 uniform for the class."""
    term, group = school.current_term(), school.class_groups.get()
    tuition = services.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    uniform = services.fee_item_create(school=school, actor=bursar, code="uniform", name="Uniform", category="uniform")
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="JSS 1",
        lines=[{"fee_item": tuition, "amount_minor": 10_000_000}, {"fee_item": uniform, "amount_minor": 2_000_000}],
    )
    return term


@pytest.fixture
def pupil(school):
    return school.students.get(admission_number="GFA/0001")


def approved(school, bursar, approver, student, term, **award):
    request = {"kind": "scholarship", "mode": "percent", "reason": "Top of the entrance exam", **award}
    made = awards.award_request(school=school, actor=bursar, student=student, term=term, **request)
    return awards.award_approve(award=made, actor=approver)


def test_a_scholarship_applies_after_the_sibling_discount(school, bursar, alice, term, pupil):
    # given the pupil is a second child (10% off tuition) with an approved 50% tuition scholarship
    SiblingDiscount.objects.create(school=school, child_position=2, percent=Decimal("10"))
    elder = Student.objects.create(
        school=school, admission_number="E1", first_name="El", last_name="Der", date_of_birth=datetime.date(2010, 1, 1)
    )
    f.link(elder, pupil.guardian_links.get().guardian)
    f.enroll(elder, term, school.class_groups.get())
    approved(school, bursar, alice, pupil, term, percent="50", fee_category="tuition")
    # when the invoice is made
    invoice = services.invoice_create(school=school, actor=bursar, student=pupil, term=term)
    # then sibling ₦10,000 first, then the scholarship's ₦50,000 (half of the gross tuition)
    rows = list(invoice.discounts.values_list("kind", "amount_minor"))
    assert rows == [("sibling", 1_000_000), ("scholarship", 5_000_000)]
    assert (invoice.discount_minor, invoice.total_minor) == (6_000_000, 6_000_000)
    assert "Top of the entrance exam" in invoice.discounts.get(kind="scholarship").description


def test_discounts_never_pass_the_subtotal(school, bursar, alice, term, pupil):
    # a full tuition scholarship plus a waiver larger than what is left
    approved(school, bursar, alice, pupil, term, percent="100", fee_category="tuition")
    approved(
        school, bursar, alice, pupil, term, kind="waiver", mode="fixed", amount_minor=50_000_000, reason="Hardship"
    )
    invoice = services.invoice_create(school=school, actor=bursar, student=pupil, term=term)
    assert list(invoice.discounts.values_list("kind", "amount_minor")) == [
        ("scholarship", 10_000_000),
        ("waiver", 2_000_000),
    ]
    assert (invoice.total_minor, invoice.subtotal_minor) == (0, 12_000_000)


def test_pending_rejected_and_other_term_awards_do_not_apply(school, bursar, alice, term, pupil):
    awards.award_request(
        school=school,
        actor=bursar,
        student=pupil,
        term=term,
        kind="waiver",
        mode="fixed",
        amount_minor=100_000,
        reason="Waiting",
    )
    rejected = awards.award_request(
        school=school,
        actor=bursar,
        student=pupil,
        term=term,
        kind="waiver",
        mode="fixed",
        amount_minor=100_000,
        reason="Asked",
    )
    awards.award_reject(award=rejected, actor=alice, reason="Not eligible")
    invoice = services.invoice_create(school=school, actor=bursar, student=pupil, term=term)
    assert invoice.discount_minor == 0 and not invoice.discounts.exists()
    assert StudentAward.objects.get(pk=rejected.pk).decision_note == "Not eligible"


def test_the_requester_cannot_approve_their_own_award(school, alice, term, pupil):
    award = awards.award_request(
        school=school,
        actor=alice,
        student=pupil,
        term=term,
        kind="waiver",
        mode="percent",
        percent="20",
        reason="Staff child",
    )
    with pytest.raises(FeesError) as exc:
        awards.award_approve(award=award, actor=alice)
    assert exc.value.code == "same_person" and "approved_by" in exc.value.fields
    assert StudentAward.objects.get(pk=award.pk).status == "pending"


@pytest.mark.parametrize(
    ("award", "field"),
    [
        ({"mode": "percent", "percent": "0"}, "percent"),
        ({"mode": "percent", "percent": "120"}, "percent"),
        ({"mode": "fixed", "amount_minor": None}, "amount_minor"),
        ({"mode": "fixed", "amount_minor": -5}, "amount_minor"),
        ({"mode": "percent", "percent": "10", "reason": "  "}, "reason"),
        ({"mode": "percent", "percent": "10", "fee_category": "jewels"}, "fee_category"),
        ({"mode": "percent", "percent": "10", "kind": "gift"}, "kind"),
    ],
)
def test_a_bad_award_is_a_field_error(school, bursar, term, pupil, award, field):
    request = {"kind": "scholarship", "reason": "Because", **award}
    with pytest.raises(FeesError) as exc:
        awards.award_request(school=school, actor=bursar, student=pupil, term=term, **request)
    assert field in exc.value.fields
    assert not StudentAward.objects.exists()


def test_approving_applies_to_the_live_invoice_and_the_excess_paid_becomes_family_credit(
    school, bursar, alice, term, pupil
):
    # given an issued invoice paid in full (₦120,000)
    invoice = services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=bursar, student=pupil, term=term), actor=bursar
    )
    payments.transaction_record(invoice=invoice, kind="cash", amount_minor=12_000_000, currency="NGN", actor=bursar)
    drain()
    # when a 25% whole-invoice waiver is approved afterwards
    approved(school, bursar, alice, pupil, term, kind="waiver", percent="25")
    # then the invoice is ₦90,000, still paid, and the ₦30,000 paid beyond it is the family's credit
    invoice.refresh_from_db()
    assert (invoice.total_minor, invoice.paid_minor, invoice.status) == (9_000_000, 9_000_000, "paid")
    assert credit.credit_balance_for_student(pupil) == 3_000_000
    assert CreditEntry.objects.get().kind == "overpayment"
    assert sum(invoice.allocations.values_list("amount_minor", flat=True)) == invoice.paid_minor
    assert AuditLog.objects.filter(action="invoice.discounts_recalculated", target_id=str(invoice.pk)).exists()


def test_approving_a_partly_paid_invoice_lowers_the_balance_only(school, bursar, alice, term, pupil):
    invoice = services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=bursar, student=pupil, term=term), actor=bursar
    )
    payments.transaction_record(invoice=invoice, kind="cash", amount_minor=2_000_000, currency="NGN", actor=bursar)
    drain()
    approved(school, bursar, alice, pupil, term, mode="fixed", amount_minor=1_500_000, fee_category="uniform")
    invoice.refresh_from_db()
    # the uniform is only ₦20,000: a ₦15,000 award fits; the balance drops, nothing goes to credit
    assert (invoice.total_minor, invoice.balance_minor, invoice.status) == (10_500_000, 8_500_000, "partially_paid")
    assert not CreditEntry.objects.exists()


def test_bulk_invoicing_applies_approved_awards_the_same_way(school, bursar, alice, term, pupil):
    approved(school, bursar, alice, pupil, term, percent="50", fee_category="tuition")
    batches.invoice_batch_create(school=school, actor=bursar, term=term)
    drain()
    invoice = Invoice.objects.for_school(school).get(student=pupil)
    assert list(invoice.discounts.values_list("kind", "amount_minor", "award__reason")) == [
        ("scholarship", 5_000_000, "Top of the entrance exam")
    ]
    assert invoice.total_minor == 7_000_000 and invoice.status == "issued"


def test_revoke_takes_a_draft_back_and_is_refused_once_issued(school, bursar, alice, term, pupil):
    award = approved(school, bursar, alice, pupil, term, percent="50", fee_category="tuition")
    draft = services.invoice_create(school=school, actor=bursar, student=pupil, term=term)
    assert draft.total_minor == 7_000_000
    awards.award_revoke(award=award, actor=alice, reason="Entered for the wrong child")
    draft.refresh_from_db()
    assert (draft.total_minor, draft.discounts.count()) == (12_000_000, 0)
    # an award that reached an issued invoice stays
    second = approved(school, bursar, alice, pupil, term, kind="waiver", percent="10")
    services.invoice_issue(invoice=draft, actor=bursar)
    with pytest.raises(FeesError) as exc:
        awards.award_revoke(award=second, actor=alice, reason="Changed our mind")
    assert exc.value.code == "award_in_use"
    assert StudentAward.objects.get(pk=second.pk).status == "approved"


def test_existing_school_admin_roles_get_the_approve_permission(school):
    role = Role.objects.for_school(school).get(key="school_admin")
    assert "fees.approve_awards" in role.permissions  # new schools: from schools.roles
    role.permissions = [p for p in role.permissions if p != "fees.approve_awards"]
    role.save()
    migration = importlib.import_module("fees.migrations.0008_approve_awards_permission")
    migration.grant(apps, None)
    assert "fees.approve_awards" in Role.objects.get(pk=role.pk).permissions
    bursar_role = Role.objects.for_school(school).get(key="bursar")
    assert "fees.approve_awards" not in bursar_role.permissions


def test_awards_page_request_then_approve_by_someone_else(school, bursar, alice, term, pupil, verified_client):
    # given the bursar requests a waiver on the page
    client = verified_client(bursar)
    form = client.get(f"/s/greenfield/fees/awards/?student={pupil.pk}").content.decode()
    assert 'value="GFA/0001"' in form and 'for="id_reason"' in form
    response = client.post(
        "/s/greenfield/fees/awards/",
        {
            "admission_number": "gfa/0001",
            "term": term.pk,
            "kind": "waiver",
            "mode": "fixed",
            "amount": "5000",
            "fee_category": "",
            "reason": "Flood damage at home",
        },
    )
    assert response.status_code == 302
    award = StudentAward.objects.get()
    assert (award.status, award.amount_minor, award.requested_by) == ("pending", 500_000, bursar)
    # the bursar may not decide
    assert client.post(f"/s/greenfield/fees/awards/{award.pk}/approve/").status_code == 403
    # the admin sees it waiting, first, and approves it
    admin = verified_client(alice)
    listing = admin.get("/s/greenfield/fees/awards/").content.decode()
    assert "Flood damage at home" in listing and "Approve" in listing
    assert admin.post(f"/s/greenfield/fees/awards/{award.pk}/approve/", {"reason": "ok"}).status_code == 302
    award.refresh_from_db()
    assert (award.status, award.approved_by) == ("approved", alice)


def test_awards_form_shows_field_errors(school, bursar, term, verified_client):
    response = verified_client(bursar).post(
        "/s/greenfield/fees/awards/",
        {
            "admission_number": "NOPE",
            "term": term.pk,
            "kind": "waiver",
            "mode": "percent",
            "percent": "",
            "reason": "x",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400 and "No student with this admission number." in body
    assert not StudentAward.objects.exists()


def test_awards_api_request_approve_and_errors(school, bursar, alice, term, pupil, api):
    base = "/api/v1/schools/greenfield"
    api.force_authenticate(bursar)
    bad = api.post(
        f"{base}/awards/",
        {"student_id": pupil.pk, "term_id": term.pk, "kind": "waiver", "mode": "fixed", "reason": "x"},
        format="json",
    )
    assert bad.status_code == 400 and "amount_minor" in bad.json()["error"]["fields"]
    made = api.post(
        f"{base}/awards/",
        {
            "student_id": pupil.pk,
            "term_id": term.pk,
            "kind": "scholarship",
            "mode": "percent",
            "percent": "50",
            "fee_category": "tuition",
            "reason": "Merit",
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    award_id = made.json()["id"]
    assert made.json()["describe"] == "50% of tuition"
    assert api.post(f"{base}/awards/{award_id}/approve/", {}, format="json").status_code == 403
    api.force_authenticate(alice)
    own = api.post(
        f"{base}/awards/",
        {
            "student_id": pupil.pk,
            "term_id": term.pk,
            "kind": "waiver",
            "mode": "fixed",
            "amount_minor": 100,
            "reason": "Mine",
        },
        format="json",
    ).json()
    same = api.post(f"{base}/awards/{own['id']}/approve/", {}, format="json")
    assert same.status_code == 400 and "approved_by" in same.json()["error"]["fields"]
    done = api.post(f"{base}/awards/{award_id}/approve/", {"reason": "Well done"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "approved" and done.json()["approved_by"]
    listed = api.get(f"{base}/awards/?status=pending").json()
    assert [a["id"] for a in listed["results"]] == [own["id"]]
    rejected = api.post(f"{base}/awards/{own['id']}/reject/", {"reason": ""}, format="json")
    assert rejected.status_code == 400 and "reason" in rejected.json()["error"]["fields"]


def test_other_schools_award_is_404(school, other_school, bursar, alice, charlie, term, pupil, api, verified_client):
    award = awards.award_request(
        school=school, actor=bursar, student=pupil, term=term, kind="waiver", mode="fixed", amount_minor=100, reason="x"
    )
    api.force_authenticate(charlie)
    assert api.post(f"/api/v1/schools/riverside/awards/{award.pk}/approve/", {}, format="json").status_code == 404
    assert verified_client(charlie).post(f"/s/riverside/fees/awards/{award.pk}/approve/").status_code == 404
    foreign = other_school.students.first()
    api.force_authenticate(alice)
    response = api.post(
        "/api/v1/schools/greenfield/awards/",
        {
            "student_id": foreign.pk,
            "term_id": term.pk,
            "kind": "waiver",
            "mode": "fixed",
            "amount_minor": 100,
            "reason": "x",
        },
        format="json",
    )
    assert response.status_code == 400 and "student_id" in response.json()["error"]["fields"]
    assert StudentAward.objects.get().status == "pending"


def test_awards_form_shows_a_refusal_that_names_no_field(school, bursar, term, pupil, verified_client, monkeypatch):
    # given the service refuses the award without naming an input
    def refuse(**kwargs):
        raise FeesError("Awards for this term are closed.")

    monkeypatch.setattr(awards, "award_request", refuse)
    # when the bursar requests one
    response = verified_client(bursar).post(
        "/s/greenfield/fees/awards/",
        {
            "admission_number": "GFA/0001",
            "term": term.pk,
            "kind": "waiver",
            "mode": "fixed",
            "amount": "5000",
            "reason": "Flood damage at home",
        },
    )
    # then the form comes back saying why
    assert response.status_code == 400 and "Awards for this term are closed." in response.content.decode()
