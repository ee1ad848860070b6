"""A receipt's PDF for staff: rendered on first need, then served through an expiring link."""

from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from classpoint.tenancy import school_view

from . import services
from .models import Receipt


@require_GET
@school_view(perm="payments.view")
def receipt_pdf(request, receipt_id):
    receipt = Receipt.objects.for_school(request.school).filter(pk=receipt_id).first()
    if receipt is None:
        raise Http404("No such receipt")
    url, _expires_at = services.receipt_pdf_link(receipt=receipt)
    return redirect(url)
