"""Fee data for other apps' tests: an invoice issued through the fees services, as a bursar would."""

from fees import services as fees


def issued_invoice(school, actor, admission_number=None, amount_minor=10_000_000):
    """A tuition schedule for the school's class in the current term, and one issued invoice for the
    pupil with `admission_number` (the school's only pupil when not given)."""
    term, group = school.current_term(), school.class_groups.get()
    item = fees.fee_item_create(school=school, actor=actor, code="tuition", name="Tuition")
    fees.fee_schedule_create(
        school=school,
        actor=actor,
        term=term,
        class_group=group,
        name="Term fees",
        lines=[{"fee_item": item, "amount_minor": amount_minor}],
    )
    pupils = school.students.all()
    student = pupils.get(admission_number=admission_number) if admission_number else pupils.get()
    return fees.invoice_issue(
        invoice=fees.invoice_create(school=school, actor=actor, student=student, term=term), actor=actor
    )
