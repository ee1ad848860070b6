"""A receipt's PDF for staff: rendered on first need, then served through an expiring link."""

from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from classpoint.files import download_url
from classpoint.tenancy import school_view

from . import services
from .documents import pdf_filename, pdf_is_current
from .models import Receipt


def receipt_pdf_link(receipt):
    """(url, expires_at) of the receipt's current PDF, rendering it first when missing or stale."""
    if not pdf_is_current(receipt):
        receipt = services.receipt_render_pdf(receipt_id=receipt.pk)
    return download_url(receipt.pdf_key, filename=pdf_filename(receipt))


@require_GET
@school_view(perm="payments.view")
def receipt_pdf(request, receipt_id):
    receipt = Receipt.objects.for_school(request.school).filter(pk=receipt_id).first()
    if receipt is None:
        raise Http404("No such receipt")
    url, _expires_at = receipt_pdf_link(receipt)
    return redirect(url)
