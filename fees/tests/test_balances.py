"""Fees' and payments' answers to the kernel's balances hook (classpoint/balances.py): what a pupil's
open invoices owe, what a term is billed, and where a guardian pays."""

import datetime

import pytest

from classpoint import balances as kernel
from fees import balances
from fees import services as fees
from fees.models import Invoice
from payments import balances as payment_balances
from payments.proofs import guardian_link_open
from schools.models import Term
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(school, bursar):
    """The school's pupil and a classmate in the first class, a tuition schedule for this term and the
    next, and the pupil's guardian."""
    term, group = school.current_term(), school.class_groups.get()
    second = Term.objects.create(
        school=school,
        session=term.session,
        name="Second term",
        start_date=datetime.date(2027, 1, 4),
        end_date=datetime.date(2027, 4, 9),
    )
    pupil = school.students.get(admission_number="GFA/0001")
    classmate = f.StudentFactory(school=school)
    f.enroll(classmate, term, group)
    item = fees.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    for t, amount in ((term, 10_000_000), (second, 12_000_000)):
        lines = [{"fee_item": item, "amount_minor": amount}]
        fees.fee_schedule_create(school=school, actor=bursar, term=t, class_group=group, name=t.name, lines=lines)
    guardian = pupil.guardian_links.get().guardian
    return {
        "term": term,
        "second": second,
        "group": group,
        "pupil": pupil,
        "classmate": classmate,
        "guardian": guardian,
    }


def invoice(school, bursar, student, term, group, *, issue=True, paid=0):
    made = fees.invoice_create(school=school, actor=bursar, student=student, term=term, class_group=group)
    if issue:
        made = fees.invoice_issue(invoice=made, actor=bursar)
    if paid:
        # Set-up, not the behaviour under test: a part payment as fees records it.
        status = Invoice.Status.PAID if paid >= made.total_minor else Invoice.Status.PARTIALLY_PAID
        Invoice.objects.filter(pk=made.pk).update(paid_minor=paid, status=status)
        made.refresh_from_db()
    return made


def test_owed_counts_issued_and_part_paid_invoices_only(school, bursar, family):
    # given: an issued invoice part paid; the classmate's draft, voided and paid ones
    pupil, classmate, term, second, group = (family[k] for k in ("pupil", "classmate", "term", "second", "group"))
    invoice(school, bursar, pupil, term, group, paid=2_500_000)
    invoice(school, bursar, classmate, term, group, issue=False)
    voided = invoice(school, bursar, classmate, second, group)
    fees.invoice_void(invoice=voided, actor=bursar, reason="Billed twice")
    paid_in_full = invoice(school, bursar, pupil, second, group, paid=12_000_000)

    # when
    owed = balances.owed_minor(school=school, student_ids=[pupil.pk, classmate.pk])

    # then
    assert paid_in_full.status == Invoice.Status.PAID
    assert owed == {pupil.pk: 7_500_000}
    assert kernel.owed_minor(school=school, student_ids=[pupil.pk, classmate.pk]) == {
        pupil.pk: 7_500_000,
        classmate.pk: 0,
    }


def test_overdue_invoices_are_still_owed(school, bursar, family):
    made = invoice(school, bursar, family["pupil"], family["term"], family["group"])
    Invoice.objects.filter(pk=made.pk).update(is_overdue=True)

    assert balances.owed_minor(school=school, student_ids=[family["pupil"].pk]) == {family["pupil"].pk: 10_000_000}


def test_due_for_term_counts_every_invoice_of_the_term_but_void(school, bursar, family):
    # given: next term's draft for the pupil, a voided one for the classmate
    pupil, classmate, second, group = (family[k] for k in ("pupil", "classmate", "second", "group"))
    invoice(school, bursar, pupil, second, group, issue=False)
    voided = invoice(school, bursar, classmate, second, group)
    fees.invoice_void(invoice=voided, actor=bursar, reason="Left the school")
    invoice(school, bursar, classmate, family["term"], group)

    # when
    due = kernel.due_for_term(school=school, student_ids=[pupil.pk, classmate.pk], term=second)

    # then
    assert due == {pupil.pk: 12_000_000, classmate.pk: 0}


def test_pay_link_opens_the_guardians_page_of_the_oldest_open_invoice(school, bursar, family):
    # given: next term's invoice made first, then this term's, due earlier; both open
    pupil, guardian, group = family["pupil"], family["guardian"], family["group"]
    later = invoice(school, bursar, pupil, family["second"], group)
    older = invoice(school, bursar, pupil, family["term"], group)
    Invoice.objects.filter(pk=later.pk).update(due_date=datetime.date(2027, 1, 20))
    Invoice.objects.filter(pk=older.pk).update(due_date=datetime.date(2026, 9, 30))

    # when
    link = kernel.pay_link(school=school, student_id=pupil.pk, guardian_id=guardian.pk)

    # then
    assert link.startswith("http") and "/payments/" in link
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert guardian_link_open(token) == (school.pk, older.pk, guardian.pk)


def test_no_pay_link_without_an_open_invoice_or_for_a_stranger(school, other_school, bursar, family):
    pupil = family["pupil"]
    stranger = f.GuardianFactory(school=school)

    nothing_owed = payment_balances.pay_link(school=school, student_id=pupil.pk, guardian_id=family["guardian"].pk)
    invoice(school, bursar, pupil, family["term"], family["group"])
    not_theirs = payment_balances.pay_link(school=school, student_id=pupil.pk, guardian_id=stranger.pk)
    other = payment_balances.pay_link(school=other_school, student_id=pupil.pk, guardian_id=family["guardian"].pk)

    assert nothing_owed == not_theirs == other == ""


def test_another_schools_invoices_are_not_counted(school, other_school, bursar, family):
    invoice(school, bursar, family["pupil"], family["term"], family["group"])

    assert balances.owed_minor(school=other_school, student_ids=[family["pupil"].pk]) == {}
    assert balances.due_for_term(school=other_school, student_ids=[family["pupil"].pk], term=family["term"]) == {}
