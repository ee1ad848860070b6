"""Staff actions on one invoice's payments, shown on fees' invoice page through the `payments_panel`
template tags: a pay link, a counter payment, a reversal, and the payments section the page polls
while a payment settles. Each action lands back on the invoice page with what it did."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.bounds import parse_id
from classpoint.tenancy import school_view
from fees import selectors as fees_selectors
from fees.money import to_minor

from . import selectors, services
from .errors import PaymentsError
from .forms import CounterPaymentForm


def _invoice(request, invoice_id):
    invoice = fees_selectors.invoice_of_school(school=request.school, invoice_id=invoice_id)
    if invoice is None:
        raise Http404("No such invoice")
    return invoice


def _back(request, invoice):
    return redirect("invoice-detail", request.school.slug, invoice.pk)


def _error(request, exc):
    detail = "; ".join(m for msgs in exc.fields.values() for m in msgs)
    messages.error(request, f"{exc.message} {detail}".strip())


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="fees.view")
def invoice_payments(request, invoice_id):
    """The invoice page's payments section alone, with the page's figures swapped out of band: what
    the section polls while a payment is being applied. Without htmx, the whole invoice page."""
    invoice = _invoice(request, invoice_id)
    if not request.htmx:
        return _back(request, invoice)
    context = {
        "invoice": invoice,
        "fragment": True,
        "can_refund": request.membership.has_perm("payments.refund"),
        **selectors.invoice_payments(school=request.school, invoice=invoice),
    }
    return render(request, "payments/partials/invoice_payments.html", context)


@school_view(perm="fees.manage")  # outermost: another school's invoice is 404 whatever the method
@require_POST
def invoice_pay_link(request, invoice_id):
    invoice = _invoice(request, invoice_id)
    try:
        intent = services.intent_create(
            invoice=invoice, actor=request.user, email=request.user.email or "payer@example.ng"
        )
    except PaymentsError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Pay link ready: %(url)s") % {"url": intent.checkout_url})
    return _back(request, invoice)


@school_view(perm="fees.manage")
@require_POST
def invoice_payment_record(request, invoice_id):
    """Cash or POS taken at the desk; crediting and the receipt follow through the outbox."""
    invoice = _invoice(request, invoice_id)
    form = CounterPaymentForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {errors[0]}")
        return _back(request, invoice)
    d = form.cleaned_data
    try:
        services.transaction_record(
            invoice=invoice,
            kind=d["kind"],
            amount_minor=to_minor(d["amount"]),
            currency=invoice.currency,
            actor=request.user,
            gateway=f"counter-{d['kind']}" if d["reference"] else "",
            provider_reference=d["reference"] or None,
        )
    except PaymentsError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Payment recorded; the receipt follows."))
    return _back(request, invoice)


@school_view(perm="fees.manage")
@require_POST
def invoice_payment_reverse(request, invoice_id):
    invoice = _invoice(request, invoice_id)
    if not request.membership.has_perm("payments.refund"):
        return render(request, "403.html", status=403)
    tx_id = parse_id(request.POST.get("transaction", ""))
    if tx_id is None or not invoice.transactions.filter(pk=tx_id).exists():
        raise Http404("No such payment")
    try:
        services.transaction_reverse(
            transaction_id=tx_id, school=request.school, actor=request.user, reason=request.POST.get("reason", "")
        )
    except PaymentsError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Payment reversed; the receipt is void and the balance is restored."))
    return _back(request, invoice)
