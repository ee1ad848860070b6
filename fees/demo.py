"""The fees' part of the demo: fee items, a schedule per level for the current term, and issued
invoices for the demo school's JSS 1 pupils, so the bursar's pages have something to show. Once
only: a school that has fee items is left as it is. The invoices issued are left in the context for
the payments' part, which pays some of them."""

import datetime

from classpoint.demo import seeds_demo
from schools.demo import LEVELS

from . import services
from .models import FeeItem


@seeds_demo
def seed_fees(context):
    school, bursar = context.school, context.staff["bursar"]
    term = school.current_term()
    if term is None or FeeItem.objects.for_school(school).exists():
        return
    items = {
        code: services.fee_item_create(
            school=school, actor=None, code=code, name=name, category=category, default_amount_minor=amount
        )
        for code, name, category, amount in [
            ("tuition", "Tuition", "tuition", 18_500_000),
            ("levy", "Development levy", "other", 2_500_000),
            ("books", "Books", "books", 3_200_000),
            ("bus", "School bus", "transport", 4_000_000),
        ]
    }
    for level in LEVELS:
        services.fee_schedule_create(
            school=school,
            actor=None,
            term=term,
            level=level,
            name=f"{level}, {term.name}",
            lines=[
                {
                    "fee_item": items["tuition"],
                    "amount_minor": 18_500_000 + 1_000_000 * LEVELS.index(level),
                    "due_date": term.start_date,
                },
                {"fee_item": items["levy"], "amount_minor": 2_500_000},
                {"fee_item": items["books"], "amount_minor": 3_200_000},
                {"fee_item": items["bus"], "amount_minor": 4_000_000, "optional": True},
            ],
        )
    students = school.students.filter(
        enrollments__term=term, enrollments__class_group__level="JSS 1", enrollments__status="active"
    ).order_by("admission_number")
    today = school.local_today()
    for i, student in enumerate(students):
        # Invoices go out as a bursary sends them: a first run six weeks ago and a second three
        # weeks ago (now overdue, for the defaulters list), the rest today. Each is dated by the
        # same rule as any invoice, so none is issued after its due date.
        issued_on = today - datetime.timedelta(weeks=(6, 3, 0)[i % 3])
        invoice = services.invoice_create(school=school, actor=bursar, student=student, term=term)
        context.invoices.append(services.invoice_issue(invoice=invoice, actor=bursar, issued_on=issued_on))
