"""When invoices issued late fall due."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from .. import setup
from ..dues import due_days
from ..errors import FeesError
from .common import forbidden, may_manage


class DueDaysForm(forms.Form):
    invoice_due_days = forms.IntegerField(
        label=gettext_lazy("Days to pay an invoice issued late"),
        min_value=0,
        max_value=setup.MAX_DUE_DAYS,
        help_text=gettext_lazy(
            "An invoice is due on its fee schedule's due date. When it is issued after that date (a pupil "
            "admitted mid-term, a draft sent later), it is due this many days after the day it is issued instead."
        ),
    )


@require_http_methods(["GET", "POST"])
@school_view(perm="fees.view")
def due_dates(request):
    school = request.school
    can_manage = may_manage(request)
    if request.method == "POST" and not can_manage:
        return forbidden(request)
    form = DueDaysForm(request.POST or None, initial={"invoice_due_days": due_days(school)})
    if not can_manage:
        form.fields["invoice_due_days"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            setup.invoice_due_days_set(school=school, actor=request.user, days=form.cleaned_data["invoice_due_days"])
        except FeesError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved. Invoices issued from now on follow it."))
            return redirect("fee-setup-due-dates", school.slug)
    context = {"form": form, "can_manage": can_manage, "summary": error_summary(form)}
    return render(request, "fees/setup_due_dates.html", context, status=400 if form.errors else 200)
