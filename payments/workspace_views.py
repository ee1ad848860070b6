"""Staff pages for payments: the bank-transfer proof review queue and staff-uploaded proofs."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.files import download_url
from classpoint.forms import apply_domain_error
from classpoint.tenancy import school_view
from fees import selectors as fees_selectors

from . import proofs, selectors
from .errors import PaymentsError
from .forms import ProofForm
from .models import PaymentProof


def _proof(request, proof_id):
    proof = selectors.proof_of_school(school=request.school, proof_id=proof_id)
    if proof is None:
        raise Http404("No such proof")
    return proof


@require_GET
@school_view(perm="payments.review_proofs")
def proofs_queue(request):
    status = request.GET.get("status", "pending")
    status = status if status in PaymentProof.Status.values else "pending"
    page = Paginator(selectors.proofs_queue(school=request.school, status=status), 25).get_page(request.GET.get("page"))
    pending = selectors.proofs_pending_count(school=request.school)
    context = {"page": page, "status": status, "statuses": PaymentProof.Status.choices, "pending": pending}
    return render(request, "payments/proofs_queue.html", context)


@require_GET
@school_view(perm="payments.review_proofs")
def proof_detail(request, proof_id):
    proof = _proof(request, proof_id)
    others = selectors.invoice_proofs(school=request.school, invoice=proof.invoice, exclude=proof)
    return render(request, "payments/proof_detail.html", {"proof": proof, "invoice": proof.invoice, "others": others})


@require_GET
@school_view(perm="payments.review_proofs")
def proof_file(request, proof_id):
    """The slip itself, through a short-lived link (never a public URL)."""
    proof = _proof(request, proof_id)
    url, _expires_at = download_url(proof.file_key, filename=proof.file_name, expires_seconds=300)
    return redirect(url)


@school_view(perm="payments.review_proofs")  # outermost: another school's proof is 404 whatever the method
@require_POST
def proof_review(request, proof_id):
    proof = _proof(request, proof_id)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose approve or reject."))
        return redirect("proof-detail", request.school.slug, proof.pk)
    try:
        proofs.proof_review(
            proof_id=proof.pk,
            school=request.school,
            actor=request.user,
            approve=decision == "approve",
            reason=request.POST.get("reason", ""),
        )
    except PaymentsError as exc:
        detail = "; ".join(m for msgs in exc.fields.values() for m in msgs)
        messages.error(request, detail or exc.message)
        return redirect("proof-detail", request.school.slug, proof.pk)
    if decision == "approve":
        messages.success(request, _("Proof approved: the payment is credited and the receipt follows."))
    else:
        messages.success(request, _("Proof rejected; the guardian will be told why."))
    return redirect("proofs-queue", request.school.slug)


@require_http_methods(["GET", "POST"])
@school_view(perm="fees.manage")
def proof_upload(request, invoice_id):
    """A bursar attaches a slip a guardian brought or emailed; it joins the review queue."""
    invoice = fees_selectors.invoice_of_school(school=request.school, invoice_id=invoice_id)
    if invoice is None:
        raise Http404("No such invoice")
    form = ProofForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            proof = proofs.proof_submit_upload(
                invoice=invoice,
                actor=request.user,
                uploaded=form.cleaned_data["file"],
                source=PaymentProof.Source.STAFF,
                **form.claim(),
            )
        except PaymentsError as exc:
            apply_domain_error(form, exc, rename=form.FIELDS)
        else:
            messages.success(request, _("Transfer proof submitted; it is waiting for review."))
            if request.membership.has_perm("payments.review_proofs"):
                return redirect("proof-detail", request.school.slug, proof.pk)
            return redirect("invoice-detail", request.school.slug, invoice.pk)
    status = 400 if form.errors else 200
    return render(request, "payments/proof_upload.html", {"form": form, "invoice": invoice}, status=status)
