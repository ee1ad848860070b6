"""The invoice as a PDF, rendered on each request (it changes as it is paid, so none is stored)."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from classpoint.files import safe_filename
from classpoint.tenancy import school_view

from .documents import render_invoice_pdf
from .models import Invoice


def invoice_for_document(school, invoice_id):
    """The invoice with what its PDF reads; 404 for a missing id and another school's alike."""
    invoice = (
        Invoice.objects.for_school(school)
        .select_related("school__profile", "student", "class_group", "term__session")
        .prefetch_related("lines", "discounts")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice")
    return invoice


def pdf_response(invoice):
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    name = safe_filename(invoice.number or f"draft-invoice-{invoice.pk}")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    # A family's money on a shared computer: not for intermediate or browser caches.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@school_view(perm="fees.view")
def invoice_pdf(request, invoice_id):
    return pdf_response(invoice_for_document(request.school, invoice_id))
