"""The payments and receipts lists under /s/<slug>/payments/ (perm `payments.view`): filter, page,
and ?format=csv for every row the filters find. Each file names pupils, so taking it is written to
the access log."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_export
from classpoint.bounds import DateFormField
from classpoint.csvfile import csv_download
from classpoint.replica import reads_may_lag
from classpoint.tenancy import school_view

from . import lists
from .models import PaymentTransaction

PER_PAGE = 50
PERM = "payments.view"


def _date(label):
    return DateFormField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


class _Filters(forms.Form):
    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("“To” is before “From”."))
        return data

    def filters(self):
        # An invalid filter is dropped rather than failing the page: the form shows its error.
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class PaymentFilterForm(_Filters):
    q = forms.CharField(label=gettext_lazy("Invoice, pupil or reference"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *PaymentTransaction.Status.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Method"),
        required=False,
        choices=[("", gettext_lazy("Any method")), *PaymentTransaction.Kind.choices],
    )
    date_from = _date(gettext_lazy("Recorded from"))
    date_to = _date(gettext_lazy("Recorded to"))


class ReceiptFilterForm(_Filters):
    q = forms.CharField(label=gettext_lazy("Receipt, invoice, pupil or reference"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=gettext_lazy("Valid or void"),
        required=False,
        choices=[("", gettext_lazy("Valid and void")), *lists.RECEIPT_STATES.items()],
    )
    date_from = _date(gettext_lazy("Issued from"))
    date_to = _date(gettext_lazy("Issued to"))


def _query_string(request):
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    return params.urlencode()


def _csv(request, *, export, filters, found, make):
    school = request.school
    record_export(school=school, actor=request.user, export=export, filters=filters, rows=found.count())
    header, rows = make(school=school, **{export: found})
    return csv_download(f"{export}-{school.slug}-{school.local_today()}.csv", header, rows)


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=PERM)
@reads_may_lag
def payments_list(request):
    """Every payment recorded, newest first; ?format=csv downloads all the filters find."""
    form = PaymentFilterForm(request.GET)
    filters = form.filters()
    found = lists.payments_list(school=request.school, **filters)
    if request.GET.get("format") == "csv":
        return _csv(request, export="payments", filters=filters, found=found, make=lists.payments_export)
    page = Paginator(lists.payments_page(found), PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query_string": _query_string(request)}
    template = "payments/partials/payments_table.html" if request.htmx else "payments/payments_list.html"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=PERM)
@reads_may_lag
def receipts_list(request):
    """Every receipt issued, newest first; ?format=csv downloads all the filters find."""
    form = ReceiptFilterForm(request.GET)
    filters = form.filters()
    found = lists.receipts_list(school=request.school, **filters)
    if request.GET.get("format") == "csv":
        return _csv(request, export="receipts", filters=filters, found=found, make=lists.receipts_export)
    page = Paginator(lists.receipts_page(found), PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query_string": _query_string(request)}
    template = "payments/partials/receipts_table.html" if request.htmx else "payments/receipts_list.html"
    return render(request, template, context)
