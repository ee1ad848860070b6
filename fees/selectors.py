"""Reads for the bursar's pages."""

from django.db.models import Q, Sum

from .models import Invoice


def invoices_list(*, school, term_id=None, class_group_id=None, status="", overdue=False, q=""):
    invoices = Invoice.objects.for_school(school).select_related("student", "class_group", "term")
    if term_id:
        invoices = invoices.filter(term_id=term_id)
    if class_group_id:
        invoices = invoices.filter(class_group_id=class_group_id)
    if status:
        invoices = invoices.filter(status=status)
    if overdue:
        invoices = invoices.filter(is_overdue=True)
    for word in (q or "").lower().split()[:4]:
        invoices = invoices.filter(Q(number__icontains=word) | Q(student__search_text__contains=word))
    return invoices.order_by("-created_at", "-id")


def invoice_totals(invoices):
    """Billed, paid and outstanding over a filtered list, in one aggregate query."""
    totals = invoices.exclude(status=Invoice.Status.VOID).aggregate(billed=Sum("total_minor"), paid=Sum("paid_minor"))
    billed, paid = totals["billed"] or 0, totals["paid"] or 0
    return {"billed": billed, "paid": paid, "outstanding": billed - paid}
