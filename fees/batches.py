"""Bulk invoicing: a term's invoices for a class group or the whole school, in chunks.

Each chunk of students is one transaction: invoice numbers are taken as one block from the
school's gapless counter, invoices and lines are bulk-inserted already issued, and one
`invoice.issued` event per invoice is written to the outbox. Discounts (sibling, then approved
scholarships and waivers) come from fees.discounts, as for a single invoice, and a family's credit
is used on its new invoices as when one is issued by hand. Re-running skips students who already
have a live invoice for the term; a student whose class has no fee schedule is reported, not
invoiced.
"""

from django.db import transaction
from django.utils import timezone

from classpoint.audit import audit
from classpoint.counters import next_values
from classpoint.outbox import emit, emit_many
from schools.models import Enrollment

from . import credit, discounts, dues
from .errors import FeesError, FeesErrorCode
from .models import FeeSchedule, Invoice, InvoiceBatch, InvoiceDiscount, InvoiceLine

CHUNK = 200


@transaction.atomic
def invoice_batch_create(*, school, actor, term, class_group=None):
    for field, obj in {"term": term, "class_group": class_group}.items():
        if obj is not None and obj.school_id != school.pk:
            raise FeesError("Not found.", code=FeesErrorCode.NOT_FOUND, fields={field: ["Not found in this school."]})
    batch = InvoiceBatch.objects.create(
        school=school,
        term=term,
        class_group=class_group,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit(
        school=school,
        actor=actor,
        action="invoice_batch.requested",
        target=batch,
        changes={"term": str(term), "class_group": class_group.name if class_group else "all"},
    )
    emit(
        school=school,
        event_type="invoices.batch_requested",
        payload={"batch_id": batch.pk},
        dedupe_key=f"invoice-batch:{batch.pk}",
    )
    return batch


def invoice_batch_preview(*, school, term, class_group=None):
    """What a batch would do now, without doing it: how many students it would invoice and for how
    much (after discounts), how many it would skip as already invoiced and how many have no fee
    schedule. Priced as `_invoice_chunk` prices, in a fixed number of queries."""
    enrollments = Enrollment.objects.for_school(school).filter(term=term, status=Enrollment.Status.ACTIVE)
    if class_group is not None:
        enrollments = enrollments.filter(class_group=class_group)
    pairs = list(enrollments.values_list("student_id", "class_group_id"))
    already = set(
        Invoice.objects.for_school(school)
        .filter(term=term, student_id__in=enrollments.values("student_id"))
        .exclude(status=Invoice.Status.VOID)
        .values_list("student_id", flat=True)
    )
    schedules = _schedules(school, term)
    todo = [(s, schedules[g]) for s, g in pairs if s not in already and schedules.get(g) is not None]
    student_ids = [s for s, _ in todo]
    positions = discounts.child_positions(school=school, term=term, student_ids=student_ids)
    awards = discounts.approved_awards(school=school, term=term, student_ids=student_ids)
    school_rules = discounts.rules(school)
    total = 0
    for student_id, schedule in todo:
        lines = [line for line in schedule.lines.all() if not line.optional]
        applied = discounts.invoice_discounts(
            lines=lines, position=positions[student_id], school_rules=school_rules, awards=awards.get(student_id, [])
        )
        total += sum(line.amount_minor for line in lines) - sum(d.amount_minor for d in applied)
    return {
        "to_invoice": len(todo),
        "already_invoiced": sum(1 for s, _ in pairs if s in already),
        "no_schedule": sum(1 for s, g in pairs if s not in already and schedules.get(g) is None),
        "total_minor": total,
    }


def invoice_batch_run(batch_id):
    """Process a batch once (pending -> running is the claim)."""
    if not InvoiceBatch.objects.filter(pk=batch_id, status=InvoiceBatch.Status.PENDING).update(
        status=InvoiceBatch.Status.RUNNING
    ):
        return None
    batch = InvoiceBatch.objects.select_related("school", "term", "class_group", "created_by").get(pk=batch_id)
    school, term = batch.school, batch.term
    enrollments = Enrollment.objects.for_school(school).filter(term=term, status=Enrollment.Status.ACTIVE)
    if batch.class_group_id:
        enrollments = enrollments.filter(class_group_id=batch.class_group_id)
    pairs = list(enrollments.order_by("student__last_name", "student_id").values_list("student_id", "class_group_id"))
    InvoiceBatch.objects.filter(pk=batch.pk).update(total=len(pairs))
    schedules = _schedules(school, term)
    counts = {"created": 0, "skipped": 0, "failed": 0}
    problems = []
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        _invoice_chunk(batch, chunk, schedules, counts, problems)
        InvoiceBatch.objects.filter(pk=batch.pk).update(
            done=start + len(chunk),
            created_count=counts["created"],
            skipped_count=counts["skipped"],
            failed_count=counts["failed"],
            problems=problems[:20],
        )
    InvoiceBatch.objects.filter(pk=batch.pk).update(status=InvoiceBatch.Status.SUCCEEDED, finished_at=timezone.now())
    audit(school=school, actor=batch.created_by, action="invoice_batch.finished", target=batch, changes=counts)
    batch.refresh_from_db()
    return batch


def _schedules(school, term):
    """class_group_id -> schedule, level -> schedule, with lines, in two queries."""
    by_class, by_level = {}, {}
    for schedule in FeeSchedule.objects.for_school(school).filter(term=term).prefetch_related("lines__fee_item"):
        if schedule.class_group_id:
            by_class[schedule.class_group_id] = schedule
        else:
            by_level[schedule.level] = schedule
    levels = dict(school.class_groups.values_list("pk", "level"))
    return {gid: by_class.get(gid) or by_level.get(level) for gid, level in levels.items()}


@transaction.atomic
def _invoice_chunk(batch, chunk, schedules, counts, problems):
    school, term = batch.school, batch.term
    already = set(
        Invoice.objects.for_school(school)
        .filter(term=term, student_id__in=[s for s, _ in chunk])
        .exclude(status=Invoice.Status.VOID)
        .values_list("student_id", flat=True)
    )
    todo = []
    for student_id, group_id in chunk:
        if student_id in already:
            counts["skipped"] += 1
        elif schedules.get(group_id) is None:
            counts["failed"] += 1
            problems.append({"student_id": student_id, "message": "No fee schedule for the student's class."})
        else:
            todo.append((student_id, group_id, schedules[group_id]))
    if not todo:
        return
    student_ids = [s for s, _, _ in todo]
    positions = discounts.child_positions(school=school, term=term, student_ids=student_ids)
    awards = discounts.approved_awards(school=school, term=term, student_ids=student_ids)
    school_rules = discounts.rules(school)
    today = school.local_today()
    days_to_pay = dues.due_days(school)
    numbers = next_values(school=school, key=f"invoice-{today.year}", count=len(todo))
    invoices, notes = [], []
    for (student_id, group_id, schedule), number in zip(todo, numbers, strict=True):
        lines = [line for line in schedule.lines.all() if not line.optional]
        subtotal = sum(line.amount_minor for line in lines)
        applied = discounts.invoice_discounts(
            lines=lines, position=positions[student_id], school_rules=school_rules, awards=awards.get(student_id, [])
        )
        notes.append(applied)
        discount = sum(d.amount_minor for d in applied)
        scheduled = dues.scheduled_due_date(lines=lines, term=term)
        due = dues.invoice_due_date(school=school, scheduled=scheduled, issued_on=today, days=days_to_pay)
        invoices.append(
            Invoice(
                school=school,
                student_id=student_id,
                term=term,
                class_group_id=group_id,
                currency=school.currency,
                status=Invoice.Status.ISSUED,
                number=f"INV-{today.year}-{number:06d}",
                issue_date=today,
                due_date=due,
                subtotal_minor=subtotal,
                discount_minor=discount,
                total_minor=subtotal - discount,
                created_by=batch.created_by,
            )
        )
    Invoice.objects.bulk_create(invoices)
    InvoiceDiscount.objects.bulk_create(
        [
            row
            for invoice, applied in zip(invoices, notes, strict=True)
            for row in discounts.discount_rows(school=school, invoice=invoice, applied=applied)
        ]
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                school=school,
                invoice=invoice,
                fee_item=line.fee_item,
                description=line.fee_item.name,
                amount_minor=line.amount_minor,
                due_date=line.due_date,
            )
            for invoice, (_, _, schedule) in zip(invoices, todo, strict=True)
            for line in schedule.lines.all()
            if not line.optional
        ]
    )
    families = credit.credit_balances(school=school, student_ids=student_ids)
    for invoice in invoices:
        guardian_id, available = families[invoice.student_id]
        if available > 0:
            credit.credit_apply_on_issue(
                invoice=invoice, actor=batch.created_by, guardian_id=guardian_id, known_family=True
            )
    emit_many(
        school=school,
        events=[("invoice.issued", {"invoice_id": invoice.pk}, f"invoice.issued:{invoice.pk}") for invoice in invoices],
    )
    counts["created"] += len(invoices)
