"""Every write to fees: keyword-only, atomic, audited; events emitted inside the transaction."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from classpoint.audit import audit
from classpoint.counters import next_value
from classpoint.outbox import emit
from schools.models import Enrollment

from . import credit, discounts, dues
from .errors import FeesError, FeesErrorCode
from .instalments import invoice_settle
from .models import (
    Allocation,
    CreditEntry,
    FeeItem,
    FeeSchedule,
    FeeScheduleLine,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
)

log = logging.getLogger(__name__)


def _same_school(school, **objects):
    for field, obj in objects.items():
        if obj is not None and obj.school_id != school.pk:
            raise FeesError(
                _("Not found."), code=FeesErrorCode.NOT_FOUND, fields={field: [_("Not found in this school.")]}
            )


@transaction.atomic
def fee_item_create(*, school, actor, code, name, category=FeeItem.Category.TUITION, default_amount_minor=0):
    if FeeItem.objects.for_school(school).filter(code=code).exists():
        raise FeesError(
            _("Code in use."),
            code=FeesErrorCode.DUPLICATE_CODE,
            fields={"code": [_("A fee item “%(code)s” exists.") % {"code": code}]},
        )
    if default_amount_minor < 0:
        raise FeesError(
            _("Negative amount."),
            code=FeesErrorCode.NEGATIVE_AMOUNT,
            fields={"default_amount_minor": [_("Amounts cannot be negative.")]},
        )
    item = FeeItem.objects.create(
        school=school, code=code, name=name, category=category, default_amount_minor=default_amount_minor
    )
    audit(
        school=school,
        actor=actor,
        action="fee_item.created",
        target=item,
        changes={"code": code, "amount_minor": default_amount_minor},
    )
    return item


@transaction.atomic
def fee_schedule_create(*, school, actor, term, name, lines, class_group=None, level=""):
    """`lines`: [{"fee_item": FeeItem, "amount_minor": int, "optional": bool, "due_date": date|None}]."""
    _same_school(school, term=term, class_group=class_group)
    if (class_group is None) == (not level):
        raise FeesError(
            _("Choose a class or a level."),
            code=FeesErrorCode.CLASS_OR_LEVEL_REQUIRED,
            fields={"class_group": [_("Choose a class group or a level.")]},
        )
    if not lines:
        raise FeesError(
            _("A schedule needs lines."),
            code=FeesErrorCode.LINES_REQUIRED,
            fields={"lines": [_("Add at least one fee.")]},
        )
    clash = FeeSchedule.objects.for_school(school).filter(term=term)
    clash = clash.filter(class_group=class_group) if class_group else clash.filter(level=level)
    if clash.exists():
        field = "class_group" if class_group else "level"
        raise FeesError(
            _("Schedule exists."),
            code=FeesErrorCode.DUPLICATE_SCHEDULE,
            fields={field: [_("This term already has a schedule for it.")]},
        )
    schedule = FeeSchedule.objects.create(school=school, term=term, class_group=class_group, level=level, name=name)
    seen = set()
    for index, line in enumerate(lines):
        item = line["fee_item"]
        _same_school(school, fee_item=item)
        if item.pk in seen:
            raise FeesError(
                _("Duplicate fee."),
                code=FeesErrorCode.DUPLICATE_FEE,
                fields={f"lines.{index}.fee_item": [_("This fee is already listed.")]},
            )
        if line["amount_minor"] < 0:
            raise FeesError(
                _("Negative amount."),
                code=FeesErrorCode.NEGATIVE_AMOUNT,
                fields={f"lines.{index}.amount_minor": [_("Amounts cannot be negative.")]},
            )
        seen.add(item.pk)
        FeeScheduleLine.objects.create(
            school=school,
            schedule=schedule,
            fee_item=item,
            amount_minor=line["amount_minor"],
            optional=line.get("optional", False),
            due_date=line.get("due_date"),
        )
    audit(
        school=school,
        actor=actor,
        action="fee_schedule.created",
        target=schedule,
        changes={"term": str(term), "lines": len(lines)},
    )
    return schedule


def schedule_for(*, school, term, class_group):
    """The class's own schedule for the term, else its level's, else None."""
    schedules = FeeSchedule.objects.for_school(school).filter(term=term).prefetch_related("lines__fee_item")
    return (
        schedules.filter(Q(class_group=class_group) | Q(level=class_group.level, class_group__isnull=True))
        .order_by(
            "level"  # "" (the class's own) sorts before the level's name
        )
        .first()
    )


def class_group_of(*, school, student, term):
    """The student's class in the term from their active enrollment (as the old system derived it)."""
    enrollment = (
        Enrollment.objects.for_school(school)
        .filter(student=student, term=term, status=Enrollment.Status.ACTIVE)
        .select_related("class_group")
        .first()
    )
    return enrollment.class_group if enrollment else None


@transaction.atomic
def invoice_create(*, school, actor, student, term, class_group=None, include_optional=False, due_date=None):
    """A draft invoice from the fee schedule of the student's class (or level) for the term."""
    _same_school(school, student=student, term=term, class_group=class_group)
    class_group = class_group or class_group_of(school=school, student=student, term=term)
    if class_group is None:
        message = _("%(student)s has no class in %(term)s; give one or enrol them.") % {
            "student": student,
            "term": term,
        }
        raise FeesError(_("No class."), code=FeesErrorCode.NO_CLASS_GROUP, fields={"class_group": [message]})
    schedule = schedule_for(school=school, term=term, class_group=class_group)
    if schedule is None:
        raise FeesError(
            _("No fee schedule."),
            code=FeesErrorCode.NO_SCHEDULE,
            fields={
                "class_group": [
                    _("No fee schedule for %(class_group)s in %(term)s.") % {"class_group": class_group, "term": term}
                ]
            },
        )
    lines = [line for line in schedule.lines.all() if include_optional or not line.optional]
    subtotal = sum(line.amount_minor for line in lines)
    position = discounts.child_positions(school=school, term=term, student_ids=[student.pk])[student.pk]
    awards = discounts.approved_awards(school=school, term=term, student_ids=[student.pk])[student.pk]
    applied = discounts.invoice_discounts(
        lines=lines, position=position, school_rules=discounts.rules(school), awards=awards
    )
    discount = sum(d.amount_minor for d in applied)
    today = school.local_today()
    if due_date is not None and due_date < today:
        message = _("The due date cannot be before today.")
        raise FeesError(_("Due date in the past."), code=FeesErrorCode.DUE_DATE_PAST, fields={"due_date": [message]})
    # A draft's due date is provisional: invoice_issue applies the same rule again on the day of issue.
    scheduled = due_date or dues.scheduled_due_date(lines=lines, term=term)
    due = dues.invoice_due_date(school=school, scheduled=scheduled, issued_on=today)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                school=school,
                student=student,
                term=term,
                class_group=class_group,
                currency=school.currency,
                subtotal_minor=subtotal,
                discount_minor=discount,
                total_minor=subtotal - discount,
                due_date=due,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise FeesError(
            _("Already invoiced."),
            code=FeesErrorCode.ALREADY_INVOICED,
            fields={
                "student": [_("%(student)s already has an invoice for %(term)s.") % {"student": student, "term": term}]
            },
        ) from exc
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                school=school,
                invoice=invoice,
                fee_item=line.fee_item,
                description=line.fee_item.name,
                amount_minor=line.amount_minor,
                optional=line.optional,
                due_date=line.due_date,
            )
            for line in lines
        ]
    )
    InvoiceDiscount.objects.bulk_create(discounts.discount_rows(school=school, invoice=invoice, applied=applied))
    changes = {"student": student.admission_number, "total_minor": subtotal - discount, "discount_minor": discount}
    audit(school=school, actor=actor, action="invoice.created", target=invoice, changes=changes)
    return invoice


@transaction.atomic
def invoice_issue(*, invoice, actor, issued_on=None):
    """Draft -> issued: takes the next gapless number, dates it (a due date that passed while it was
    a draft starts again from the day of issue), uses the family's credit on it, and tells the
    guardians (via the outbox). `issued_on` (default: the school's today) lets the demo seed
    invoices sent weeks ago."""
    school = invoice.school
    guardian_id = credit.family_of(school=school, student_id=invoice.student_id)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise FeesError(
            _("Not a draft."),
            code=FeesErrorCode.NOT_DRAFT,
            fields={"status": [_("The invoice is %(status)s.") % {"status": invoice.status}]},
        )
    today = issued_on or school.local_today()
    invoice.number = f"INV-{today.year}-{next_value(school=school, key=f'invoice-{today.year}'):06d}"
    invoice.status = Invoice.Status.ISSUED
    invoice.issue_date = today
    invoice.due_date = dues.issue_due_date(invoice=invoice, issued_on=today)
    invoice.save(update_fields=["number", "status", "issue_date", "due_date", "updated_at"])
    audit(
        school=school,
        actor=actor,
        action="invoice.issued",
        target=invoice,
        changes={"number": invoice.number, "total_minor": invoice.total_minor},
    )
    credit.credit_apply_on_issue(invoice=invoice, actor=actor, guardian_id=guardian_id, known_family=True)
    emit(
        school=school,
        event_type="invoice.issued",
        payload={"invoice_id": invoice.pk},
        dedupe_key=f"invoice.issued:{invoice.pk}",
    )
    return invoice


@transaction.atomic
def invoice_void(*, invoice, actor, reason):
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not (reason or "").strip():
        raise FeesError(
            _("Give a reason."),
            code=FeesErrorCode.REASON_REQUIRED,
            fields={"reason": [_("Say why the invoice is void.")]},
        )
    if invoice.status == Invoice.Status.VOID:
        raise FeesError(
            _("Already void."), code=FeesErrorCode.ALREADY_VOID, fields={"status": [_("The invoice is already void.")]}
        )
    # Family credit spent on the invoice goes back to the family; money from payments must be
    # reversed or refunded first.
    credited = invoice.allocations.filter(credit_entry__isnull=False).values_list("amount_minor", flat=True)
    from_credit = max(sum(credited), 0)
    if invoice.paid_minor > from_credit:
        raise FeesError(
            _("Payments recorded."),
            code=FeesErrorCode.HAS_PAYMENTS,
            fields={"status": [_("Money was paid on this invoice: refund or reverse the payments first.")]},
        )
    if invoice.paid_minor:
        credit.credit_move_from_invoice(
            invoice=invoice,
            amount_minor=invoice.paid_minor,
            kind=CreditEntry.Kind.ADJUSTMENT,
            source_key=f"void:invoice:{invoice.pk}",
            note=f"Returned from {invoice} (void)",
            actor=actor,
        )
    invoice.status = Invoice.Status.VOID
    invoice.void_reason = reason.strip()[:300]
    invoice.save(update_fields=["status", "void_reason", "paid_minor", "updated_at"])
    audit(school=invoice.school, actor=actor, action="invoice.voided", target=invoice, changes={"reason": reason})
    return invoice


def _log_foreign_invoice(what, school, invoice_id):
    # Events carry the school they belong to; a payload naming another school's invoice is a bug or
    # a forgery, and acting on it would move money across schools.
    log.warning(
        "ignored a %s for invoice %s: not an invoice of school %s, the event's",
        what,
        invoice_id,
        getattr(school, "pk", school),
    )


@transaction.atomic
def invoice_apply_payment(*, school, invoice_id, transaction_id, amount_minor, actor=None):
    """Apply a confirmed payment to its invoice once (the Allocation's unique transaction id), under
    a row lock on the invoice, filling instalments oldest first. Money beyond the balance (or paid on
    a void invoice) becomes the family's credit, recorded once per transaction. An invoice outside
    `school` (the event's) is left alone."""
    if Allocation.objects.filter(transaction_id=transaction_id).exists():
        return None
    invoices = Invoice.objects.for_school(school).select_for_update(of=("self",)).select_related("school")
    invoice = invoices.filter(pk=invoice_id).first()
    if invoice is None:
        _log_foreign_invoice("payment", school, invoice_id)
        return None
    if Allocation.objects.filter(transaction_id=transaction_id).exists():  # a concurrent delivery got here first
        return None
    due = 0 if invoice.status == Invoice.Status.VOID else max(invoice.balance_minor, 0)
    applied = min(amount_minor, due)
    extra = amount_minor - applied
    allocation = Allocation.objects.create(
        school_id=invoice.school_id,
        invoice=invoice,
        transaction_id=transaction_id,
        amount_minor=applied,
        credit_minor=extra,
    )
    invoice.paid_minor += applied
    invoice_settle(invoice)
    if extra:
        credit.credit_record(
            invoice=invoice,
            kind=CreditEntry.Kind.OVERPAYMENT,
            amount_minor=extra,
            actor=actor,
            source_key=f"payment:{transaction_id}",
            note=f"Paid beyond the balance of {invoice}",
        )
    audit(
        school=invoice.school,
        actor=actor,
        action="invoice.payment_applied",
        target=invoice,
        changes={
            "transaction_id": transaction_id,
            "applied_minor": applied,
            "credit_minor": extra,
            "balance_minor": invoice.balance_minor,
        },
    )
    return allocation


@transaction.atomic
def invoice_reverse_payment(*, school, invoice_id, transaction_id, actor=None):
    """Undo what a reversed payment applied, once: the reversal's Allocation carries the negated
    transaction id (transaction ids are positive), so a redelivery finds it and does nothing.
    Instalments give back from the newest filled. What the invoice no longer holds of the payment
    (an overpayment, or paid moved to credit since) comes out of the family's credit."""
    original = (
        Allocation.objects.for_school(school).filter(transaction_id=transaction_id, invoice_id=invoice_id).first()
    )
    if original is None:
        if Allocation.objects.filter(transaction_id=transaction_id).exclude(school=school).exists():
            _log_foreign_invoice("reversal", school, invoice_id)
        return None
    if Allocation.objects.filter(transaction_id=-transaction_id).exists():
        return None
    student_id = Invoice.objects.for_school(school).filter(pk=invoice_id).values_list("student_id", flat=True).get()
    guardian_id = credit.family_of(school=original.school_id, student_id=student_id)
    credit.family_lock(school=original.school_id, guardian_id=guardian_id, student_id=student_id)
    invoice = (
        Invoice.objects.for_school(school).select_for_update(of=("self",)).select_related("school").get(pk=invoice_id)
    )
    if Allocation.objects.filter(transaction_id=-transaction_id).exists():
        return None
    restored = min(original.amount_minor, invoice.paid_minor)
    from_credit = original.amount_minor - restored + original.credit_minor
    reversal = Allocation.objects.create(
        school_id=invoice.school_id,
        invoice=invoice,
        transaction_id=-transaction_id,
        amount_minor=-restored,
        credit_minor=-from_credit,
    )
    invoice.paid_minor -= restored
    invoice_settle(invoice)
    if from_credit:
        credit.credit_take_back(
            invoice=invoice,
            guardian_id=guardian_id,
            amount_minor=from_credit,
            actor=actor,
            source_key=f"reversal:{transaction_id}",
            note=f"Payment on {invoice} reversed",
        )
        invoice.refresh_from_db(fields=["paid_minor", "status"])  # the shortfall may have come back off it
    audit(
        school=invoice.school,
        actor=actor,
        action="invoice.payment_reversed",
        target=invoice,
        changes={
            "transaction_id": transaction_id,
            "restored_minor": restored,
            "from_credit_minor": from_credit,
            "balance_minor": invoice.balance_minor,
        },
    )
    return reversal
