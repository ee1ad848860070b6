"""`{% load payments_panel %}`: payments' part of fees' invoice page, drawn by payments.

Inclusion tags, not a fragment the page fetches with hx-get after it loads: the page shows its
payments in the same response and without JavaScript, as before, and fees names payments only in
its template (these tag names), never in an import, so fees stays below payments. The forms post
to payments' URLs, which land back on the invoice page; the section polls `invoice-payments` while
a payment settles.

    {% invoice_payments invoice as payments %}           the figures, once per page
    {% invoice_payment_actions invoice %}                pay link, transfer proof, record payment
    {% invoice_payments_panel invoice payments %}        transactions, receipts, reverse, pay links
    {% invoice_guardian_links invoice %}                 each guardian's secure link
"""

from django import template

from .. import selectors
from ..forms import CounterPaymentForm

register = template.Library()


@register.simple_tag(takes_context=True)
def invoice_payments(context, invoice):
    """The invoice's payments and what is still being applied: the page's figures (`applying_minor`)
    and its payments section read the same answer."""
    return selectors.invoice_payments(school=context["school"], invoice=invoice)


@register.inclusion_tag("payments/partials/invoice_payments.html", takes_context=True)
def invoice_payments_panel(context, invoice, payments=None):
    membership = context["membership"]
    if payments is None:
        payments = selectors.invoice_payments(school=context["school"], invoice=invoice)
    return {
        "school": context["school"],
        "membership": membership,
        "invoice": invoice,
        "can_refund": membership.has_perm("payments.refund"),
        **payments,
    }


@register.inclusion_tag("payments/partials/invoice_payment_actions.html", takes_context=True)
def invoice_payment_actions(context, invoice):
    """The forms to take a payment; the page shows them to whoever may manage fees, on a payable invoice."""
    return {
        "school": context["school"],
        "invoice": invoice,
        "payment_form": CounterPaymentForm(),
        # Switched off, the pay link's page answers 404: no button to make one.
        "online_payments": bool(context.get("features", {}).get("online_payments", True)),
    }


@register.inclusion_tag("payments/partials/invoice_guardian_links.html", takes_context=True)
def invoice_guardian_links(context, invoice):
    """Each guardian's secure link to see and pay the invoice, for staff who may manage fees, while
    there is something to pay."""
    show = (
        invoice.has_balance_to_pay
        and context["membership"].has_perm("fees.manage")
        # Switched off, online payments' guardian pages answer 404: no links to them.
        and bool(context.get("features", {}).get("online_payments", True))
    )
    return {"guardian_links": selectors.invoice_guardian_links(invoice=invoice) if show else []}
