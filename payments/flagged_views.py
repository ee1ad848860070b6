"""Staff pages for flagged payments: the queue under /s/<slug>/payments/flagged/, one payment's page,
and the two decisions (accept and credit, or close with a reason).

Each payment is a card. With htmx a decision swaps only its card: the outcome, or the card with
the reason it was refused (a missing reason is 400, a payment someone else decided first is 409,
which static/js/flagged-payments.js lets htmx swap like any answer), plus the queue's count out of
band. Without JavaScript a decision lands back on the queue, or on the payment's page with the
error beside its field.

Who decides: members with `payments.review_proofs` (bursars and school admins by default). It is
the same judgement as a transfer proof's, money that came in and is credited or refused, so a
second permission would only have to be granted to the same people, in every school's roles."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from classpoint.forms import apply_domain_error
from classpoint.money import format_money
from classpoint.tenancy import school_view

from . import flagged, selectors
from .errors import PaymentsError

PERM = "payments.review_proofs"


class AcceptForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note (optional)"), required=False, max_length=300)


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for closing"),
        max_length=300,
        help_text=gettext_lazy("Kept on the payment and in the audit log, e.g. “refunded to the payer on 3 May”."),
        error_messages={"required": gettext_lazy("Say why the payment is closed (e.g. refunded to the payer).")},
    )


def _card(tx, *, decision=None, data=None, error="", done=""):
    """What one payment's card shows: the payment, its two forms (ids unique on the page), and the
    outcome or error of a decision just made."""
    auto_id = f"flagged-{tx.pk}-%s"
    return {
        "tx": tx,
        "accept": AcceptForm(data if decision == "accept" else None, auto_id=auto_id),
        "close": CloseForm(data if decision == "close" else None, auto_id=auto_id),
        "error": error,
        "done": done,
    }


def _flagged(request, transaction_id):
    tx = selectors.flagged_of_school(school=request.school, transaction_id=transaction_id)
    if tx is None:
        raise Http404("No such flagged payment")
    return tx


@require_GET
@school_view(perm=PERM)
def flagged_queue(request):
    state = request.GET.get("state", "open")
    state = state if state in selectors.FLAGGED_STATES else "open"
    queue = selectors.flagged_queue(school=request.school, state=state)
    page = Paginator(queue, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "cards": [_card(tx) for tx in page.object_list],
        "state": state,
        "states": selectors.FLAGGED_STATES.items(),
        "open_count": selectors.flagged_count(school=request.school),
    }
    return render(request, "payments/flagged_queue.html", context)


@require_GET
@school_view(perm=PERM)
def flagged_detail(request, transaction_id):
    return render(request, "payments/flagged_detail.html", {"card": _card(_flagged(request, transaction_id))})


@school_view(perm=PERM)  # outermost: another school's payment is 404 whatever the method
@require_POST
def flagged_accept(request, transaction_id):
    return _decide(request, transaction_id, "accept")


@school_view(perm=PERM)
@require_POST
def flagged_close(request, transaction_id):
    return _decide(request, transaction_id, "close")


def _decide(request, transaction_id, decision):
    tx = _flagged(request, transaction_id)
    card = _card(tx, decision=decision, data=request.POST)
    form = card[decision]
    status = 400
    if form.is_valid():
        try:
            if decision == "accept":
                tx = flagged.transaction_flagged_accept(
                    school=request.school, transaction_id=tx.pk, actor=request.user, note=form.cleaned_data["note"]
                )
            else:
                tx = flagged.transaction_flagged_close(
                    school=request.school, transaction_id=tx.pk, actor=request.user, reason=form.cleaned_data["reason"]
                )
        except PaymentsError as exc:
            status = exc.status_code
            if set(exc.fields) <= set(form.fields):
                apply_domain_error(form, exc)
            else:
                card["error"] = "; ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
        else:
            status = 200
            card["done"] = _done_text(tx, decision)
    if not request.htmx:
        if status == 200:
            messages.success(request, card["done"])
            return redirect("flagged-payments", request.school.slug)
        card["tx"] = _flagged(request, tx.pk)  # as it is now: another reviewer may have decided it
        return render(request, "payments/flagged_detail.html", {"card": card}, status=status)
    card["tx"] = _flagged(request, tx.pk)
    context = {"card": card, "open_count": selectors.flagged_count(school=request.school), "oob": True}
    return render(request, "payments/partials/flagged_card.html", context, status=status)


def _done_text(tx, decision):
    amount = format_money(tx.amount_minor, tx.currency)
    invoice = tx.invoice.number or _("invoice #%(id)s") % {"id": tx.invoice_id}
    words = {"amount": amount, "invoice": invoice}
    if decision == "accept":
        return _("Accepted: %(amount)s is credited to %(invoice)s and the receipt follows.") % words
    return _("Closed: %(amount)s is not credited to %(invoice)s; the reason is kept on the payment.") % words
