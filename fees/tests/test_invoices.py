import pytest

from classpoint.models import AuditLog, OutboxEvent
from classpoint.money import format_money
from classpoint.testing import run_concurrently
from fees import services
from fees.errors import FeesError
from fees.models import FeeItem, Invoice
from fees.money import percent_of
from schools.models import Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees_setup(school, bursar):
    term = school.current_term()
    group = school.class_groups.get()
    tuition = services.fee_item_create(
        school=school, actor=bursar, code="tuition", name="Tuition", default_amount_minor=15_000_000
    )
    bus = services.fee_item_create(school=school, actor=bursar, code="bus", name="School bus", category="transport")
    schedule = services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="JSS 1 first term",
        lines=[
            {"fee_item": tuition, "amount_minor": 15_000_000},
            {"fee_item": bus, "amount_minor": 2_500_000, "optional": True},
        ],
    )
    return {"term": term, "group": group, "tuition": tuition, "bus": bus, "schedule": schedule}


def test_invoice_takes_lines_from_the_schedule_and_class_from_the_enrollment(school, bursar, fees_setup):
    # given a student enrolled in the class (fixture), with no class group given
    student = school.students.get(admission_number="GFA/0001")
    # when
    invoice = services.invoice_create(school=school, actor=bursar, student=student, term=fees_setup["term"])
    # then
    assert invoice.class_group == fees_setup["group"] and invoice.status == "draft" and invoice.number is None
    assert invoice.total_minor == 15_000_000 and [line.description for line in invoice.lines.all()] == ["Tuition"]
    with_bus = services.invoice_void(invoice=invoice, actor=bursar, reason="redo with bus")
    assert with_bus.status == "void"
    again = services.invoice_create(
        school=school, actor=bursar, student=student, term=fees_setup["term"], include_optional=True
    )
    assert again.total_minor == 17_500_000


def test_level_schedule_applies_when_the_class_has_none(school, bursar, fees_setup):
    from schools.models import ClassGroup

    other = ClassGroup.objects.create(school=school, name="JSS 1B", level="JSS 1")
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=fees_setup["term"],
        level="JSS 1",
        name="JSS 1",
        lines=[{"fee_item": fees_setup["tuition"], "amount_minor": 9_900_000}],
    )
    student = f.StudentFactory(school=school)
    f.enroll(student, fees_setup["term"], other)
    invoice = services.invoice_create(school=school, actor=bursar, student=student, term=fees_setup["term"])
    assert invoice.total_minor == 9_900_000


def test_issue_numbers_audits_and_emits(school, bursar, fees_setup):
    student = school.students.get(admission_number="GFA/0001")
    invoice = services.invoice_create(school=school, actor=bursar, student=student, term=fees_setup["term"])
    issued = services.invoice_issue(invoice=invoice, actor=bursar)
    year = school.local_today().year
    assert issued.number == f"INV-{year}-000001" and issued.status == "issued"
    assert OutboxEvent.objects.filter(event_type="invoice.issued", payload={"invoice_id": invoice.pk}).count() == 1
    assert AuditLog.objects.filter(action="invoice.issued", target_id=str(invoice.pk)).exists()
    with pytest.raises(FeesError, match="Not a draft"):
        services.invoice_issue(invoice=issued, actor=bursar)


def test_one_live_invoice_per_student_per_term(school, bursar, fees_setup):
    student = school.students.get(admission_number="GFA/0001")
    services.invoice_create(school=school, actor=bursar, student=student, term=fees_setup["term"])
    with pytest.raises(FeesError) as exc:
        services.invoice_create(school=school, actor=bursar, student=student, term=fees_setup["term"])
    assert exc.value.code == "already_invoiced"


def test_void_is_refused_once_money_was_paid(school, bursar, fees_setup):
    student = school.students.get(admission_number="GFA/0001")
    invoice = services.invoice_create(school=school, actor=bursar, student=student, term=fees_setup["term"])
    Invoice.objects.filter(pk=invoice.pk).update(paid_minor=100)
    with pytest.raises(FeesError) as exc:
        services.invoice_void(invoice=invoice, actor=bursar, reason="mistake")
    assert exc.value.code == "has_payments"
    invoice.refresh_from_db()
    assert invoice.status == "draft"


def test_schedule_with_another_schools_item_is_refused(school, other_school, bursar, fees_setup):
    foreign = FeeItem.objects.create(school=other_school, code="x", name="X")
    with pytest.raises(FeesError):
        services.fee_schedule_create(
            school=school,
            actor=bursar,
            term=fees_setup["term"],
            level="SS 1",
            name="SS1",
            lines=[{"fee_item": foreign, "amount_minor": 1}],
        )


def test_money_helpers():
    assert format_money(15_000_050, "NGN") == "₦150,000.50"
    assert format_money(-5, "USD") == "-$0.05"
    assert percent_of(12_345, 10) == 1_235  # half up, never a float


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_take_gapless_unique_numbers(school, bursar, fees_setup):
    # given 40 draft invoices for 40 students
    term, group = fees_setup["term"], fees_setup["group"]
    drafts = []
    for i in range(40):
        student = Student.objects.create(school=school, admission_number=f"C{i}", first_name="C", last_name=str(i))
        f.enroll(student, term, group)
        drafts.append(services.invoice_create(school=school, actor=bursar, student=student, term=term))

    def issue(chunk):
        for invoice in chunk:
            services.invoice_issue(invoice=invoice, actor=bursar)

    # when eight workers issue them at once
    errors = run_concurrently(issue, [drafts[i::8] for i in range(8)])
    # then the numbers are exactly 1..40
    assert not errors
    numbers = sorted(
        int(n.rsplit("-", 1)[1]) for n in Invoice.objects.for_school(school).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 41))


def test_sibling_discount_for_the_younger_children(school, bursar, fees_setup):
    import datetime
    from decimal import Decimal

    from fees.models import SiblingDiscount

    # given a family of three in the class, and 10% off tuition from the 2nd child, 20% from the 3rd
    SiblingDiscount.objects.create(school=school, child_position=2, percent=Decimal("10"))
    SiblingDiscount.objects.create(school=school, child_position=3, percent=Decimal("20"))
    eldest = school.students.get(admission_number="GFA/0001")
    eldest.date_of_birth = datetime.date(2012, 1, 1)
    eldest.save()
    guardian = eldest.guardian_links.get().guardian
    kids = []
    for i, born in enumerate([datetime.date(2014, 1, 1), datetime.date(2016, 1, 1)]):
        kid = Student.objects.create(
            school=school, admission_number=f"K{i}", first_name="K", last_name=str(i), date_of_birth=born
        )
        f.link(kid, guardian)
        f.enroll(kid, fees_setup["term"], fees_setup["group"])
        kids.append(kid)
    # when they are invoiced (the youngest first, to show order comes from age, not from invoicing)
    youngest = services.invoice_create(school=school, actor=bursar, student=kids[1], term=fees_setup["term"])
    first = services.invoice_create(school=school, actor=bursar, student=eldest, term=fees_setup["term"])
    middle = services.invoice_create(school=school, actor=bursar, student=kids[0], term=fees_setup["term"])
    # then
    assert (first.discount_minor, middle.discount_minor, youngest.discount_minor) == (0, 1_500_000, 3_000_000)
    assert youngest.total_minor == 12_000_000
    assert "20% of tuition, child 3" in youngest.discounts.get().description


def test_bulk_invoicing_applies_the_same_sibling_discount(school, bursar, fees_setup):
    from decimal import Decimal

    from classpoint.outbox import worker
    from fees import batches
    from fees.models import SiblingDiscount

    SiblingDiscount.objects.create(school=school, child_position=2, percent=Decimal("50"))
    eldest = school.students.get(admission_number="GFA/0001")
    kid = Student.objects.create(school=school, admission_number="K9", first_name="K", last_name="Nine")
    f.link(kid, eldest.guardian_links.get().guardian)
    f.enroll(kid, fees_setup["term"], fees_setup["group"])
    batches.invoice_batch_create(school=school, actor=bursar, term=fees_setup["term"])
    worker.drain()
    totals = sorted(Invoice.objects.for_school(school).values_list("discount_minor", flat=True))
    assert totals == [0, 7_500_000]
