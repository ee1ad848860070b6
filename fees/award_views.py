"""Workspace pages for scholarships and waivers, and the invoice page's instalment and credit actions.

POST-only actions resolve the school before the method check, so another school's member gets the
same 404 for every method."""

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from classpoint.bounds import date_in_range, parse_id
from classpoint.forms import apply_domain_error
from classpoint.money import format_money
from classpoint.tenancy import school_view

from . import awards, credit, instalments, selectors
from .errors import FeesError
from .models import FeeItem, Invoice, StudentAward
from .money import to_minor


def _error_text(exc):
    detail = "; ".join(m for msgs in exc.fields.values() for m in msgs)
    return f"{exc.message} {detail}".strip()


class AwardForm(forms.Form):
    admission_number = forms.CharField(label=gettext_lazy("Student's admission number"), max_length=40)
    term = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Term"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=StudentAward.Kind.choices)
    mode = forms.ChoiceField(label=gettext_lazy("Worth"), choices=StudentAward.Mode.choices)
    percent = forms.DecimalField(
        label=gettext_lazy("Percentage (if a percentage)"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (if a fixed amount)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    fee_category = forms.ChoiceField(
        label=gettext_lazy("Applies to"),
        required=False,
        choices=[("", gettext_lazy("The whole invoice")), *FeeItem.Category.choices],
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    # Service field names -> this form's fields, for the service's field errors.
    FIELDS = {"amount_minor": "amount", "student": "admission_number"}

    def __init__(self, school, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["term"].queryset = school.terms.select_related("session")
        self.fields["term"].initial = school.current_term()

    def clean_admission_number(self):
        number = self.cleaned_data["admission_number"].strip()
        self.student = self.school.students.filter(admission_number__iexact=number).first()
        if self.student is None:
            raise forms.ValidationError(_("No student with this admission number."))
        return number


@require_http_methods(["GET", "POST"])
@school_view(perm="fees.view")
def awards_page(request):
    school, membership = request.school, request.membership
    can_request = membership.has_perm("fees.manage")
    initial = {}
    student_id = parse_id(request.GET.get("student", ""))
    if student_id:
        student = school.students.filter(pk=student_id).first()
        initial["admission_number"] = student.admission_number if student else ""
    form = AwardForm(school, request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if not can_request:
            return render(request, "403.html", {"perm": "fees.manage"}, status=403)
        if form.is_valid():
            d = form.cleaned_data
            try:
                awards.award_request(
                    school=school,
                    actor=request.user,
                    student=form.student,
                    term=d["term"],
                    kind=d["kind"],
                    mode=d["mode"],
                    percent=d["percent"],
                    reason=d["reason"],
                    fee_category=d["fee_category"],
                    amount_minor=to_minor(d["amount"]) if d["amount"] is not None else None,
                )
            except FeesError as exc:
                apply_domain_error(form, exc, rename=form.FIELDS)
            else:
                messages.success(request, _("Award requested; someone who approves awards will decide on it."))
                return redirect("fee-awards", school.slug)
        status = 400
    wanted = request.GET.get("status", "")
    wanted = wanted if wanted in StudentAward.Status.values else ""
    page = Paginator(selectors.awards_list(school=school, status=wanted), 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "f_status": wanted,
        "statuses": StudentAward.Status.choices,
        "can_request": can_request,
        "can_approve": membership.has_perm("fees.approve_awards"),
    }
    return render(request, "fees/awards.html", context, status=status)


@school_view(perm="fees.approve_awards")
@require_POST
def award_decide(request, award_id, decision):
    award = StudentAward.objects.for_school(request.school).filter(pk=award_id).first()
    if award is None:
        raise Http404("No such award")
    note = request.POST.get("reason", "")
    try:
        if decision == "approve":
            awards.award_approve(award=award, actor=request.user, note=note)
            messages.success(request, _("Award approved; the student's invoice for the term reflects it."))
        elif decision == "reject":
            awards.award_reject(award=award, actor=request.user, reason=note)
            messages.success(request, _("Award rejected."))
        elif decision == "revoke":
            awards.award_revoke(award=award, actor=request.user, reason=note)
            messages.success(request, _("Award revoked."))
        else:
            raise Http404("No such decision")
    except FeesError as exc:
        messages.error(request, _error_text(exc))
    return redirect("fee-awards", request.school.slug)


def _invoice(request, invoice_id):
    invoice = Invoice.objects.for_school(request.school).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("No such invoice")
    return invoice


@school_view(perm="fees.manage")
@require_POST
def invoice_instalments(request, invoice_id):
    """The plan from the invoice page: rows of due date + amount (major units); blank rows are skipped."""
    invoice = _invoice(request, invoice_id)
    rows, numbers, problems = [], [], []
    dates, amounts = request.POST.getlist("due_date"), request.POST.getlist("amount")
    for number, (due, amount) in enumerate(zip(dates, amounts, strict=False), start=1):
        due, amount = due.strip(), amount.strip().replace(",", "")
        if not due and not amount:
            continue
        try:
            row = {"due_date": datetime.date.fromisoformat(due) if due else None}
            if row["due_date"] and not date_in_range(row["due_date"]):
                raise ValueError(due)
        except ValueError:
            problems.append(_("Instalment %(number)s: enter the due date as YYYY-MM-DD.") % {"number": number})
            continue
        try:
            row["amount_minor"] = to_minor(amount) if amount else None
        except ArithmeticError:
            problems.append(_("Instalment %(number)s: enter the amount as a number.") % {"number": number})
            continue
        rows.append(row)
        numbers.append(number)
    if problems:
        messages.error(request, " ".join(problems))
        return redirect("invoice-detail", request.school.slug, invoice.pk)
    try:
        instalments.instalment_plan_set(invoice=invoice, actor=request.user, instalments=rows)
        messages.success(request, _("Instalment plan saved."))
    except FeesError as exc:
        detail = []
        for field, errors in exc.fields.items():
            parts = field.split(".")
            if len(parts) == 3:
                where = {"number": numbers[int(parts[1])]}
                detail += [_("Instalment %(number)s: %(error)s") % {**where, "error": error} for error in errors]
            else:
                detail += errors
        messages.error(request, f"{exc.message} {' '.join(detail)}")
    return redirect("invoice-detail", request.school.slug, invoice.pk)


@school_view(perm="fees.manage")
@require_POST
def invoice_apply_credit(request, invoice_id):
    invoice = _invoice(request, invoice_id)
    try:
        applied = credit.invoice_apply_credit(invoice=invoice, actor=request.user)
        messages.success(
            request, _("%(amount)s of family credit applied.") % {"amount": format_money(applied, invoice.currency)}
        )
    except FeesError as exc:
        messages.error(request, _error_text(exc))
    return redirect("invoice-detail", request.school.slug, invoice.pk)
