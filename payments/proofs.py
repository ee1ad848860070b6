"""Bank-transfer proofs: a slip uploaded by a guardian (secure link) or by staff opens a PENDING
transaction that credits nothing; a bursar approves it (then `payment.confirmed` does the rest, as
for any payment) or rejects it with a reason the guardian is told."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from classpoint import links
from classpoint.audit import audit
from classpoint.files import new_key, sniff_type
from classpoint.messages import request_message
from schools.models import StudentGuardian

from .errors import PaymentsError, PaymentsErrorCode
from .events import payment_confirmed_emit
from .models import PaymentProof, PaymentTransaction

_LINK_SALT = "classpoint.payments.guardian-link"


def upload_prefix(school):
    return f"proofs/{school.pk}/uploads"


def sniff(head):
    """The content type of a proof from its first bytes (never its name or declared type), or None
    if it is not a PDF, JPEG or PNG."""
    return sniff_type(head)


def check_file(head, size, field="file"):
    """Size first, then the sniffed type. Returns the content type."""
    if size <= 0:
        message = "The file is empty."
        raise PaymentsError(message, code=PaymentsErrorCode.INVALID_FILE, fields={field: [message]})
    if size > settings.PROOF_MAX_BYTES:
        limit = settings.PROOF_MAX_BYTES // (1024 * 1024)
        message = f"The file is over {limit} MB."
        raise PaymentsError(message, code=PaymentsErrorCode.FILE_TOO_LARGE, fields={field: [message]})
    content_type = sniff(head)
    if content_type is None:
        message = "Upload a PDF, JPEG or PNG of the transfer slip."
        raise PaymentsError(message, code=PaymentsErrorCode.UNSUPPORTED_TYPE, fields={field: [message]})
    return content_type


def _validate_claim(*, invoice, amount_minor, paid_on, school):
    if not invoice.has_balance_to_pay:
        raise PaymentsError(
            "Not payable.",
            code=PaymentsErrorCode.NOT_PAYABLE,
            fields={"invoice": ["Only issued, unpaid invoices take transfer proofs."]},
        )
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise PaymentsError(
            "Amount must be positive.",
            code=PaymentsErrorCode.AMOUNT_NOT_POSITIVE,
            fields={"amount_minor": ["Enter the amount transferred."]},
        )
    if paid_on is None:
        raise PaymentsError(
            "Date needed.",
            code=PaymentsErrorCode.DATE_REQUIRED,
            fields={"paid_on": ["Enter the date of the transfer."]},
        )
    if paid_on > school.local_today():
        raise PaymentsError(
            "Date in the future.",
            code=PaymentsErrorCode.DATE_IN_FUTURE,
            fields={"paid_on": ["The transfer date cannot be in the future."]},
        )


@transaction.atomic
def proof_submit(
    *,
    invoice,
    actor,
    file_key,
    amount_minor,
    paid_on,
    bank_reference="",
    payer_name="",
    source=PaymentProof.Source.STAFF,
    guardian=None,
    file_name="",
):
    """Attach an uploaded slip to an invoice: a PaymentProof and its PENDING transaction.
    The stored file is sniffed here too, since an upload URL accepts whatever the client sends."""
    school = invoice.school
    # Serialise proofs per invoice so two submissions of one bank reference cannot both pass the check.
    invoice = type(invoice).objects.select_for_update().get(pk=invoice.pk)
    _validate_claim(invoice=invoice, amount_minor=amount_minor, paid_on=paid_on, school=school)
    if not file_key.startswith(upload_prefix(school) + "/") or ".." in file_key:
        message = "No such upload for this school."
        raise PaymentsError(message, code=PaymentsErrorCode.UNKNOWN_FILE, fields={"file_key": [message]})
    if not default_storage.exists(file_key):
        message = "Nothing was uploaded there yet."
        raise PaymentsError(message, code=PaymentsErrorCode.UNKNOWN_FILE, fields={"file_key": [message]})
    if PaymentProof.objects.for_school(school).filter(file_key=file_key).exists():
        message = "This upload is already attached to a proof."
        raise PaymentsError(message, code=PaymentsErrorCode.DUPLICATE_FILE, fields={"file_key": [message]})
    size = default_storage.size(file_key)
    with default_storage.open(file_key, "rb") as handle:
        head = handle.read(16)
    try:
        content_type = check_file(head, size, field="file_key")
    except PaymentsError:
        # No proof will ever use a file refused for what it is: keep no orphan in storage.
        default_storage.delete(file_key)
        raise
    reference = (bank_reference or "").strip()[:128]
    if (
        reference
        and PaymentProof.objects.for_school(school)
        .filter(bank_reference__iexact=reference)
        .exclude(status=PaymentProof.Status.REJECTED)
        .exists()
    ):
        message = f"A proof with reference “{reference}” was already sent."
        raise PaymentsError(
            "Reference already used.", code=PaymentsErrorCode.DUPLICATE_REFERENCE, fields={"bank_reference": [message]}
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    tx = PaymentTransaction.objects.create(
        school=school,
        invoice=invoice,
        kind=PaymentTransaction.Kind.BANK_TRANSFER,
        gateway="bank-transfer",
        amount_minor=amount_minor,
        currency=invoice.currency,
        status=PaymentTransaction.Status.PENDING,
        note=f"Transfer {reference}".strip()[:300],
        recorded_by=user,
    )
    proof = PaymentProof.objects.create(
        school=school,
        invoice=invoice,
        transaction=tx,
        guardian=guardian,
        file_key=file_key,
        file_name=(file_name or file_key.rsplit("/", 1)[-1])[:255],
        content_type=content_type,
        size_bytes=size,
        amount_minor=amount_minor,
        currency=invoice.currency,
        bank_reference=reference,
        paid_on=paid_on,
        payer_name=(payer_name or "").strip()[:120],
        source=source,
        submitted_by=user,
    )
    audit(
        school=school,
        actor=actor,
        action="payment_proof.submitted",
        target=proof,
        changes={
            "invoice": invoice.number,
            "amount_minor": amount_minor,
            "reference": reference,
            "source": source,
            "guardian_id": guardian.pk if guardian else None,
        },
    )
    return proof


def proof_submit_upload(*, invoice, actor, uploaded, **claim):
    """The workspace and the guardian page: check the upload, store it, then submit it.
    Checks the claim first so a bad form stores no file."""
    school = invoice.school
    _validate_claim(
        invoice=invoice, amount_minor=claim.get("amount_minor"), paid_on=claim.get("paid_on"), school=school
    )
    if uploaded is None:
        message = "Choose the transfer slip (PDF, JPEG or PNG)."
        raise PaymentsError(message, code=PaymentsErrorCode.NO_FILE, fields={"file": [message]})
    head = uploaded.read(16)
    uploaded.seek(0)
    check_file(head, uploaded.size)
    key = default_storage.save(new_key(upload_prefix(school), uploaded.name), uploaded)
    try:
        return proof_submit(invoice=invoice, actor=actor, file_key=key, file_name=uploaded.name, **claim)
    except PaymentsError:
        default_storage.delete(key)  # nothing is kept for a refused submission
        raise


@transaction.atomic
def proof_review(*, proof_id, school, actor, approve, reason=""):
    """Approve (the PENDING transaction is confirmed and `payment.confirmed` allocates it and issues
    the receipt) or reject with a reason (the guardians are told why). Decided once: a second
    reviewer, even at the same moment, is told it was already decided."""
    proof = (
        PaymentProof.objects.for_school(school)
        .select_for_update()
        .select_related("invoice", "transaction")
        .filter(pk=proof_id)
        .first()
    )
    if proof is None:
        raise PaymentsError(
            "Not found.", code=PaymentsErrorCode.NOT_FOUND, fields={"proof": ["Not found in this school."]}
        )
    if proof.status != PaymentProof.Status.PENDING:
        raise PaymentsError(
            "Already reviewed.",
            code=PaymentsErrorCode.ALREADY_REVIEWED,
            fields={"proof": [f"This proof was already {proof.status}."]},
        )
    reason = (reason or "").strip()
    if not approve and not reason:
        raise PaymentsError(
            "Give a reason.",
            code=PaymentsErrorCode.REASON_REQUIRED,
            fields={"reason": ["Tell the guardian why the proof is rejected."]},
        )
    invoice = type(proof.invoice).objects.select_for_update().get(pk=proof.invoice_id)
    if approve and not invoice.is_payable:
        # Voided while the proof waited: the transfer is refunded, not credited.
        message = f"The invoice is {invoice.get_status_display().lower()}: reject the proof and refund the payer."
        raise PaymentsError("Not payable.", code=PaymentsErrorCode.NOT_PAYABLE, fields={"proof": [message]})
    now = timezone.now()
    tx = PaymentTransaction.objects.select_for_update().get(pk=proof.transaction_id)
    proof.status = PaymentProof.Status.APPROVED if approve else PaymentProof.Status.REJECTED
    proof.reject_reason = "" if approve else reason[:300]
    proof.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
    proof.reviewed_at = now
    proof.save(update_fields=["status", "reject_reason", "reviewed_by", "reviewed_at"])
    if approve:
        tx.status = PaymentTransaction.Status.CONFIRMED
        tx.confirmed_at = now
        tx.save(update_fields=["status", "confirmed_at"])
        payment_confirmed_emit(tx)
    else:
        tx.status = PaymentTransaction.Status.REJECTED
        tx.note = f"Proof rejected: {reason}"[:300]
        tx.save(update_fields=["status", "note"])
        _tell_rejected(proof=proof, invoice=invoice, reason=reason)
    audit(
        school=school,
        actor=actor,
        action="payment_proof.approved" if approve else "payment_proof.rejected",
        target=proof,
        changes={
            "invoice": invoice.number,
            "amount_minor": proof.amount_minor,
            "transaction_id": tx.pk,
            "reason": proof.reject_reason,
        },
    )
    return proof


def _tell_rejected(*, proof, invoice, reason):
    student = invoice.student
    guardian_ids = (
        [proof.guardian_id]
        if proof.guardian_id
        else list(
            StudentGuardian.objects.for_school(invoice.school)
            .filter(student=student)
            .values_list("guardian_id", flat=True)
        )
    )
    if not guardian_ids:
        return
    context = {
        "school_name": invoice.school.name,
        "student_name": f"{student.first_name} {student.last_name}",
        "invoice_number": invoice.number,
        "amount": {"money": [int(proof.amount_minor), proof.currency]},
        "paid_on": {"date": proof.paid_on.isoformat()},
        "bank_reference": proof.bank_reference,
        "reason": reason,
    }
    request_message(
        school=invoice.school,
        template="PAYMENT_PROOF_REJECTED",
        guardian_ids=guardian_ids,
        context=context,
        dedupe_key=f"proof-rejected:{proof.pk}",
        student_id=student.pk,
        reason="payment_proof.rejected",
    )


# --- The guardian's secure link -------------------------------------------------------------


def guardian_link(*, invoice, guardian):
    """A URL a guardian can open without an account to see one invoice, pay it online or send a
    transfer proof. Signed (not stored), bound to school, invoice and guardian; it expires."""
    token = links.sign({"s": invoice.school_id, "i": invoice.pk, "g": guardian.pk}, salt=_LINK_SALT)
    return links.absolute_url("guardian-invoice", token)


def guardian_link_open(token):
    """(school_id, invoice_id, guardian_id) from a link token, or None if forged or expired."""
    max_age = settings.GUARDIAN_LINK_MAX_AGE_DAYS * 86400
    return links.verify(token, salt=_LINK_SALT, max_age=max_age, keys=("s", "i", "g"))
