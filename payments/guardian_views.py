"""The guardian's secure invoice page: no account, reached by a signed link bound to one invoice
and one guardian. From it a guardian pays online or sends a bank-transfer proof. It is in the
guardian's language (classpoint/i18n.py): theirs, else the school's, unless they pick another."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from classpoint import i18n
from classpoint.forms import apply_domain_error
from classpoint.scoping import enter_school
from fees import selectors as fees_selectors
from schools import selectors as schools_selectors

from . import proofs, selectors, services
from .errors import PaymentsError
from .guardian_forms import INVOICE_STATUS, PAYMENT_KIND, PROOF_STATUS, GuardianProofForm, in_guardian_words
from .models import PaymentProof, Receipt


def _open(token):
    opened = proofs.guardian_link_open(token)
    if opened is None:
        raise Http404("This link is not valid or has expired")
    school_id, invoice_id, guardian_id = opened
    school = schools_selectors.school_active(school_id=school_id)
    if school is None:
        raise Http404("This link is not valid")
    # The signed link names the school: the rest of the request is scoped to it.
    enter_school(school)
    invoice = fees_selectors.invoice_with_lines(school=school, invoice_id=invoice_id)
    if invoice is None:
        raise Http404("This link is not valid")
    # A guardian unlinked from the child since the link was sent loses access with it.
    guardian = schools_selectors.guardian_of_student(
        school=school, guardian_id=guardian_id, student_id=invoice.student_id
    )
    if guardian is None:
        raise Http404("This link is not valid")
    return school, invoice, guardian


@never_cache
@require_http_methods(["GET"])
def guardian_receipt(request, token, receipt_id):
    """A receipt's PDF for the guardian: the same signed, expiring link as the invoice page, so it
    opens without an account and reaches only the receipts of that invoice (any other id is 404)."""
    school, invoice, _guardian = _open(token)
    receipt = Receipt.objects.for_school(school).filter(pk=receipt_id, transaction__invoice=invoice).first()
    if receipt is None:
        raise Http404("No such receipt")
    url, _expires_at = services.receipt_pdf_link(receipt=receipt)
    return redirect(url)


@never_cache
@require_http_methods(["GET", "POST"])
@i18n.guardian_page
def guardian_invoice(request, token):
    school, invoice, guardian = _open(token)
    i18n.settle(request, guardian.preferred_language, i18n.school_language(school))
    form = GuardianProofForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "pay":
            try:
                intent = services.intent_create(
                    invoice=invoice,
                    actor=None,
                    email=guardian.email or "payer@example.ng",
                    callback_url=request.build_absolute_uri(),
                )
            except PaymentsError as exc:
                exc = in_guardian_words(exc)
                messages.error(request, "; ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message)
                return redirect("guardian-invoice", token)
            return redirect(intent.checkout_url)
        if action == "proof":
            form = GuardianProofForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    proofs.proof_submit_upload(
                        invoice=invoice,
                        actor=None,
                        uploaded=form.cleaned_data["file"],
                        source=PaymentProof.Source.GUARDIAN,
                        guardian=guardian,
                        **form.claim(),
                    )
                except PaymentsError as exc:
                    apply_domain_error(form, in_guardian_words(exc), rename=form.FIELDS)
                else:
                    messages.success(
                        request,
                        _(
                            "Thank you: your transfer proof was received. The school will review it "
                            "and your receipt will follow."
                        ),
                    )
                    return redirect("guardian-invoice", token)
            status = 400
    sent = list(selectors.invoice_proofs(school=school, invoice=invoice))
    for proof in sent:
        proof.status_words = PROOF_STATUS.get(proof.status) or proof.get_status_display().lower()
    paid = list(selectors.invoice_confirmed_payments(school=school, invoice=invoice))
    for tx in paid:
        tx.kind_words = PAYMENT_KIND.get(tx.kind) or tx.get_kind_display().lower()
    context = {
        "school_name": school.name,
        "invoice": invoice,
        "invoice_status": INVOICE_STATUS.get(invoice.status) or invoice.get_status_display(),
        "guardian": guardian,
        "form": form,
        "token": token,
        "payable": invoice.has_balance_to_pay,
        "proofs": sent,
        "pending_proof": selectors.invoice_pending_proof(school=school, invoice=invoice),
        "payments": paid,
    }
    return render(request, "payments/guardian_invoice.html", context, status=status)
