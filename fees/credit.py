"""Family credit: money the school holds for a family beyond what its invoices ask.

The family is the student's primary guardian (the student alone when there is none). The ledger is
`CreditEntry`; its balance is the sum of the family's entries. Money moves between the ledger and an
invoice as a pair written together: a credit entry and an `Allocation` of the opposite sign on the
invoice, so an invoice's allocations still add up to what it has paid.

Writes that lower a balance (applying credit, taking it back) hold the family's row lock and are the
only ones that read the balance; entries that raise it are plain inserts. Locks are taken family
first, then invoices.
"""

from django.db import transaction
from django.db.models import Sum

from classpoint.audit import audit
from schools.models import Guardian, Student, StudentGuardian

from .errors import FeesError, FeesErrorCode
from .instalments import invoice_settle
from .models import Allocation, CreditEntry, Invoice


def family_of(*, school, student_id):
    """The primary guardian's id, or None when the student has none (the student is the family)."""
    return (
        StudentGuardian.objects.for_school(school)
        .filter(student_id=student_id, is_primary=True)
        .values_list("guardian_id", flat=True)
        .first()
    )


def credit_entries(*, school, guardian_id, student_id):
    ledger = CreditEntry.objects.for_school(school)
    if guardian_id:
        return ledger.filter(guardian_id=guardian_id)
    return ledger.filter(guardian__isnull=True, student_id=student_id)


def credit_balance(*, school, guardian_id, student_id):
    return (
        credit_entries(school=school, guardian_id=guardian_id, student_id=student_id).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )


def credit_balance_for_student(student):
    guardian_id = family_of(school=student.school_id, student_id=student.pk)
    return credit_balance(school=student.school_id, guardian_id=guardian_id, student_id=student.pk)


def credit_balances(*, school, student_ids):
    """student_id -> (guardian_id, family balance) for many students, in three queries."""
    families = dict(
        StudentGuardian.objects.for_school(school)
        .filter(student_id__in=student_ids, is_primary=True)
        .values_list("student_id", "guardian_id")
    )
    ledger = CreditEntry.objects.for_school(school)
    by_guardian = dict(
        ledger.filter(guardian_id__in=set(families.values()))
        .values("guardian_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("guardian_id", "total")
    )
    by_student = dict(
        ledger.filter(guardian__isnull=True, student_id__in=[s for s in student_ids if s not in families])
        .values("student_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("student_id", "total")
    )
    return {
        sid: (families.get(sid), by_guardian.get(families[sid], 0) if sid in families else by_student.get(sid, 0))
        for sid in student_ids
    }


def family_lock(*, school, guardian_id, student_id):
    # Reading a balance and then spending it must not interleave with another spend of it.
    if guardian_id:
        list(Guardian.objects.for_school(school).select_for_update().filter(pk=guardian_id).values_list("pk"))
    else:
        list(Student.objects.for_school(school).select_for_update().filter(pk=student_id).values_list("pk"))


def _entry(*, invoice, guardian_id, kind, amount_minor, source_key, note, actor):
    return CreditEntry.objects.create(
        school_id=invoice.school_id,
        guardian_id=guardian_id,
        student_id=invoice.student_id,
        invoice=invoice,
        kind=kind,
        amount_minor=amount_minor,
        source_key=source_key,
        note=note[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def credit_record(*, invoice, kind, amount_minor, source_key, note, actor=None, guardian_id=None, known_family=False):
    """A ledger entry for the family of the invoice's student, once per `source_key` (None if it exists)."""
    if CreditEntry.objects.for_school(invoice.school_id).filter(source_key=source_key).exists():
        return None
    if not known_family:
        guardian_id = family_of(school=invoice.school_id, student_id=invoice.student_id)
    return _entry(
        invoice=invoice,
        guardian_id=guardian_id,
        kind=kind,
        amount_minor=amount_minor,
        source_key=source_key,
        note=note,
        actor=actor,
    )


def credit_move_from_invoice(*, invoice, amount_minor, kind, source_key, note, actor=None):
    """Take `amount_minor` of what the (locked) invoice has paid into the family's credit. The caller
    settles the invoice afterwards."""
    entry = credit_record(
        invoice=invoice, kind=kind, amount_minor=amount_minor, source_key=source_key, note=note, actor=actor
    )
    if entry is None:
        return None
    Allocation.objects.create(
        school_id=invoice.school_id, invoice=invoice, credit_entry=entry, amount_minor=-amount_minor
    )
    invoice.paid_minor -= amount_minor
    return entry


def _spend(*, invoice, guardian_id, actor, how):
    """Apply what the family holds to the (locked) invoice's balance; the family is locked."""
    available = credit_balance(school=invoice.school_id, guardian_id=guardian_id, student_id=invoice.student_id)
    amount = min(available, invoice.balance_minor)
    if amount <= 0:
        return 0
    count = CreditEntry.objects.for_school(invoice.school_id).filter(invoice=invoice, kind=CreditEntry.Kind.APPLIED)
    entry = _entry(
        invoice=invoice,
        guardian_id=guardian_id,
        kind=CreditEntry.Kind.APPLIED,
        amount_minor=-amount,
        source_key=f"applied:invoice:{invoice.pk}:{count.count() + 1}",
        note=f"Applied to {invoice}",
        actor=actor,
    )
    Allocation.objects.create(school_id=invoice.school_id, invoice=invoice, credit_entry=entry, amount_minor=amount)
    invoice.paid_minor += amount
    invoice_settle(invoice)
    audit(
        school=invoice.school,
        actor=actor,
        action="invoice.credit_applied",
        target=invoice,
        changes={
            "applied_minor": amount,
            "how": how,
            "family_credit_left_minor": available - amount,
            "balance_minor": invoice.balance_minor,
        },
    )
    return amount


def credit_apply_on_issue(*, invoice, actor, guardian_id=None, known_family=False):
    """Inside issuing (the invoice is locked and issued): use the family's credit on it, if any."""
    if not known_family:
        guardian_id = family_of(school=invoice.school_id, student_id=invoice.student_id)
    if credit_balance(school=invoice.school_id, guardian_id=guardian_id, student_id=invoice.student_id) <= 0:
        return 0
    family_lock(school=invoice.school_id, guardian_id=guardian_id, student_id=invoice.student_id)
    return _spend(invoice=invoice, guardian_id=guardian_id, actor=actor, how="on issue")


@transaction.atomic
def invoice_apply_credit(*, invoice, actor):
    """A bursar applies the family's credit to an issued invoice. Returns the amount applied."""
    guardian_id = family_of(school=invoice.school_id, student_id=invoice.student_id)
    family_lock(school=invoice.school_id, guardian_id=guardian_id, student_id=invoice.student_id)
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("school").get(pk=invoice.pk)
    if not invoice.has_balance_to_pay:
        raise FeesError(
            "Nothing to apply credit to.",
            code=FeesErrorCode.NOT_PAYABLE,
            fields={"status": [f"The invoice is {invoice.get_status_display().lower()}."]},
        )
    applied = _spend(invoice=invoice, guardian_id=guardian_id, actor=actor, how="by hand")
    if not applied:
        raise FeesError(
            "No credit.", code=FeesErrorCode.NO_CREDIT, fields={"credit": ["The family has no credit to apply."]}
        )
    return applied


def credit_take_back(*, invoice, guardian_id, amount_minor, source_key, note, actor=None):
    """A reversed payment had left `amount_minor` in the family's credit: take it out once. If the
    family already spent that credit on other invoices, take the shortfall back from them, newest
    first, so their balances show it owing again. The family is locked."""
    school = invoice.school_id
    if (
        credit_record(
            invoice=invoice,
            kind=CreditEntry.Kind.REVERSAL,
            amount_minor=-amount_minor,
            source_key=source_key,
            note=note,
            actor=actor,
            guardian_id=guardian_id,
            known_family=True,
        )
        is None
    ):
        return
    shortfall = -credit_balance(school=school, guardian_id=guardian_id, student_id=invoice.student_id)
    if shortfall <= 0:
        return
    family = credit_entries(school=school, guardian_id=guardian_id, student_id=invoice.student_id)
    funded = (
        Allocation.objects.for_school(school)
        .filter(credit_entry__in=family)
        .values("invoice_id")
        .annotate(net=Sum("amount_minor"))
        .filter(net__gt=0)
        .order_by("-invoice_id")
    )
    for row in funded:
        if shortfall <= 0:
            break
        funded_invoice = (
            Invoice.objects.select_for_update(of=("self",)).select_related("school").get(pk=row["invoice_id"])
        )
        take = min(row["net"], funded_invoice.paid_minor, shortfall)
        if take <= 0:
            continue
        entry = _entry(
            invoice=funded_invoice,
            guardian_id=guardian_id,
            kind=CreditEntry.Kind.REVERSAL,
            amount_minor=take,
            source_key=f"{source_key}:invoice:{funded_invoice.pk}",
            note=f"Taken back from {funded_invoice}: the payment behind the credit was reversed",
            actor=actor,
        )
        Allocation.objects.create(school_id=school, invoice=funded_invoice, credit_entry=entry, amount_minor=-take)
        funded_invoice.paid_minor -= take
        invoice_settle(funded_invoice)
        audit(
            school=funded_invoice.school,
            actor=actor,
            action="invoice.credit_taken_back",
            target=funded_invoice,
            changes={"taken_minor": take, "balance_minor": funded_invoice.balance_minor, "because": source_key},
        )
        shortfall -= take
