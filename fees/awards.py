"""Scholarships and waivers, with four eyes: a bursar requests one, someone else with
`fees.approve_awards` approves or rejects it.

An approved award applies to invoices made afterwards (single and bulk, through fees.discounts) and,
at once, to the student's live invoice for the term, if there is one: its discounts and total are
recomputed, and if it now holds more than it asks, the excess becomes the family's credit.

Revoking is for mistakes caught early: an approved award can be revoked while it has not reached an
issued invoice (a draft loses the discount). Once an issued invoice carries it, the invoice is the
record guardians were sent; undo it there (void and re-invoice) rather than behind their back.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from classpoint.audit import audit

from . import credit, discounts
from .errors import FeesError, FeesErrorCode
from .instalments import invoice_settle
from .models import CreditEntry, FeeItem, Invoice, InvoiceDiscount, StudentAward


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def award_request(
    *, school, actor, student, term, kind, mode, reason, percent=None, amount_minor=None, fee_category=""
):
    for field, obj in {"student": student, "term": term}.items():
        if obj.school_id != school.pk:
            raise FeesError("Not found.", code=FeesErrorCode.NOT_FOUND, fields={field: ["Not found in this school."]})
    errors = {}
    if kind not in StudentAward.Kind.values:
        errors["kind"] = ["Choose scholarship or waiver."]
    if mode not in StudentAward.Mode.values:
        errors["mode"] = ["Choose a percentage or a fixed amount."]
    elif mode == StudentAward.Mode.PERCENT:
        try:
            percent = Decimal(str(percent)) if percent not in (None, "") else None
        except InvalidOperation:
            percent = None
        if percent is None or not (0 < percent <= 100) or percent != percent.quantize(Decimal("0.01")):
            errors["percent"] = ["Enter a percentage above 0 and at most 100 (two decimals at most)."]
        amount_minor = None
    else:
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
            errors["amount_minor"] = ["Enter an amount above zero."]
        percent = None
    if fee_category and fee_category not in FeeItem.Category.values:
        errors["fee_category"] = ["Choose a fee category, or none for the whole invoice."]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Say why the student gets it."]
    if errors:
        raise FeesError("Check the award.", code=FeesErrorCode.INVALID_AWARD, fields=errors)
    award = StudentAward.objects.create(
        school=school,
        student=student,
        term=term,
        kind=kind,
        mode=mode,
        percent=percent,
        amount_minor=amount_minor,
        fee_category=fee_category or "",
        reason=reason[:300],
        requested_by=_user(actor),
    )
    audit(
        school=school,
        actor=actor,
        action="award.requested",
        target=award,
        changes={
            "student": student.admission_number,
            "term": str(term),
            "kind": kind,
            "describe": award.describe,
            "reason": award.reason,
        },
    )
    return award


def _locked_award(award):
    return (
        StudentAward.objects.select_for_update(of=("self",))
        .select_related("school", "student", "term")
        .get(pk=award.pk)
    )


@transaction.atomic
def award_approve(*, award, actor, note=""):
    """Pending -> approved by someone other than the requester; applies to the live invoice at once."""
    award = _locked_award(award)
    if award.status != StudentAward.Status.PENDING:
        raise FeesError(
            "Not pending.",
            code=FeesErrorCode.NOT_PENDING,
            fields={"status": [f"The award is {award.get_status_display().lower()}."]},
        )
    if _user(actor) is None:
        raise FeesError(
            "Approver needed.",
            code=FeesErrorCode.APPROVER_REQUIRED,
            fields={"approved_by": ["An award is approved by a signed-in person."]},
        )
    if award.requested_by_id == actor.pk:
        message = "You requested this award: someone else must approve it."
        raise FeesError("Four eyes.", code=FeesErrorCode.SAME_PERSON, fields={"approved_by": [message]})
    award.status = StudentAward.Status.APPROVED
    award.approved_by, award.decided_at, award.decision_note = actor, timezone.now(), (note or "").strip()[:300]
    award.save(update_fields=["status", "approved_by", "decided_at", "decision_note"])
    audit(
        school=award.school,
        actor=actor,
        action="award.approved",
        target=award,
        changes={"describe": award.describe, "note": award.decision_note},
    )
    invoice_recalculate_awards(
        school=award.school, student=award.student, term=award.term, actor=actor, because=f"award:{award.pk}:approved"
    )
    return award


@transaction.atomic
def award_reject(*, award, actor, reason):
    award = _locked_award(award)
    if award.status != StudentAward.Status.PENDING:
        raise FeesError(
            "Not pending.",
            code=FeesErrorCode.NOT_PENDING,
            fields={"status": [f"The award is {award.get_status_display().lower()}."]},
        )
    if not (reason or "").strip():
        raise FeesError(
            "Give a reason.", code=FeesErrorCode.REASON_REQUIRED, fields={"reason": ["Say why the award is rejected."]}
        )
    award.status = StudentAward.Status.REJECTED
    award.approved_by, award.decided_at, award.decision_note = _user(actor), timezone.now(), reason.strip()[:300]
    award.save(update_fields=["status", "approved_by", "decided_at", "decision_note"])
    audit(
        school=award.school, actor=actor, action="award.rejected", target=award, changes={"reason": award.decision_note}
    )
    return award


@transaction.atomic
def award_revoke(*, award, actor, reason):
    """Approved -> revoked, only while no issued invoice carries it (see the module's docstring)."""
    award = _locked_award(award)
    if award.status != StudentAward.Status.APPROVED:
        raise FeesError(
            "Not approved.",
            code=FeesErrorCode.NOT_APPROVED,
            fields={"status": [f"The award is {award.get_status_display().lower()}."]},
        )
    if not (reason or "").strip():
        raise FeesError(
            "Give a reason.", code=FeesErrorCode.REASON_REQUIRED, fields={"reason": ["Say why the award is revoked."]}
        )
    used = (
        InvoiceDiscount.objects.for_school(award.school)
        .filter(award=award)
        .exclude(invoice__status__in=[Invoice.Status.DRAFT, Invoice.Status.VOID])
        .select_related("invoice")
        .first()
    )
    if used is not None:
        message = f"Invoice {used.invoice} was issued with it: void and re-invoice instead."
        raise FeesError("Award in use.", code=FeesErrorCode.AWARD_IN_USE, fields={"status": [message]})
    award.status = StudentAward.Status.REVOKED
    award.decision_note = reason.strip()[:300]
    award.save(update_fields=["status", "decision_note"])
    audit(school=award.school, actor=actor, action="award.revoked", target=award, changes={"reason": reason.strip()})
    invoice_recalculate_awards(
        school=award.school, student=award.student, term=award.term, actor=actor, because=f"award:{award.pk}:revoked"
    )
    return award


def invoice_recalculate_awards(*, school, student, term, actor, because):
    """Re-apply the student's approved awards of `term` to their live invoice (inside the caller's
    transaction). What was paid beyond the new total goes to the family's credit, once per `because`."""
    invoice = (
        Invoice.objects.for_school(school)
        .select_for_update()
        .filter(student=student, term=term)
        .exclude(status=Invoice.Status.VOID)
        .first()
    )
    if invoice is None:
        return None
    invoice.school = school
    lines = list(invoice.lines.select_related("fee_item"))
    current = list(invoice.discounts.all())
    sibling = sum(d.amount_minor for d in current if d.award_id is None)
    awards = discounts.approved_awards(school=school, term=term, student_ids=[student.pk])[student.pk]
    applied = discounts.award_discounts(lines=lines, awards=awards, taken={FeeItem.Category.TUITION: sibling})
    InvoiceDiscount.objects.for_school(school).filter(invoice=invoice, award__isnull=False).delete()
    InvoiceDiscount.objects.bulk_create(
        [
            InvoiceDiscount(
                school=school,
                invoice=invoice,
                kind=d.kind,
                description=d.description,
                amount_minor=d.amount_minor,
                award=d.award,
            )
            for d in applied
        ]
    )
    before = invoice.total_minor
    invoice.discount_minor = sibling + sum(d.amount_minor for d in applied)
    invoice.total_minor = invoice.subtotal_minor - invoice.discount_minor
    excess = invoice.paid_minor - max(invoice.total_minor, 0)
    if excess > 0:
        credit.credit_move_from_invoice(
            invoice=invoice,
            amount_minor=excess,
            kind=CreditEntry.Kind.OVERPAYMENT,
            actor=actor,
            source_key=f"{because}:invoice:{invoice.pk}",
            note=f"Paid beyond {invoice}'s total after a scholarship or waiver",
        )
    invoice_settle(invoice)
    audit(
        school=school,
        actor=actor,
        action="invoice.discounts_recalculated",
        target=invoice,
        changes={
            "because": because,
            "total_before_minor": before,
            "total_minor": invoice.total_minor,
            "discount_minor": invoice.discount_minor,
            "to_credit_minor": max(excess, 0),
        },
    )
    return invoice
