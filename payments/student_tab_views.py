"""The Fees tab of a pupil's record: the pupil's invoices, what they still owe, the payments made
against them (with receipts), and the family's credit. Read-only: each invoice links to its page,
where money is recorded."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from classpoint.tenancy import school_view
from fees import selectors as fees_selectors
from schools.record_pages import open_student

from .models import PaymentTransaction

PAYMENTS_SHOWN = 50


@require_GET
@school_view(perm="fees.view")
def student_fees(request, student_id):
    school = request.school
    student = open_student(request, student_id)
    fees = fees_selectors.student_fees(school=school, student=student)
    context = {"student": student, "tab": "fees", **fees}
    if request.membership.has_perm("payments.view"):
        invoice_ids = [invoice.pk for invoice in fees["invoices"]]
        context["payments"] = list(
            PaymentTransaction.objects.for_school(school)
            .filter(invoice_id__in=invoice_ids)
            .select_related("invoice", "receipt")
            .order_by("-created_at", "-id")[:PAYMENTS_SHOWN]
        )
    return render(request, "payments/student_fees.html", context)
