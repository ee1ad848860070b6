"""The guardian's secure invoice page: no account, reached by a signed link bound to one invoice
and one guardian. From it a guardian pays online or sends a bank-transfer proof."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from classpoint.forms import apply_domain_error
from classpoint.scoping import enter_school
from fees import selectors as fees_selectors
from schools import selectors as schools_selectors

from . import proofs, selectors, services
from .errors import PaymentsError
from .forms import ProofForm
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
def guardian_invoice(request, token):
    school, invoice, guardian = _open(token)
    form = ProofForm()
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
                messages.error(request, "; ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message)
                return redirect("guardian-invoice", token)
            return redirect(intent.checkout_url)
        if action == "proof":
            form = ProofForm(request.POST, request.FILES)
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
                    apply_domain_error(form, exc, rename=form.FIELDS)
                else:
                    messages.success(
                        request,
                        "Thank you: your transfer proof was received. The school will review it "
                        "and your receipt will follow.",
                    )
                    return redirect("guardian-invoice", token)
            status = 400
    context = {
        "school_name": school.name,
        "invoice": invoice,
        "guardian": guardian,
        "form": form,
        "token": token,
        "payable": invoice.has_balance_to_pay,
        "proofs": selectors.invoice_proofs(school=school, invoice=invoice),
        "pending_proof": selectors.invoice_pending_proof(school=school, invoice=invoice),
        "payments": selectors.invoice_confirmed_payments(school=school, invoice=invoice),
    }
    return render(request, "payments/guardian_invoice.html", context, status=status)
