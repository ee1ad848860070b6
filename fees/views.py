import re
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_export
from classpoint.bounds import parse_id, search_text
from classpoint.csvfile import csv_download
from classpoint.messages import mentions_invoice, requested_for_student
from classpoint.models import AuditLog
from classpoint.money import format_amount
from classpoint.replica import reads_may_lag
from classpoint.tenancy import school_view

from . import batches, selectors, services
from .collections import defaulter_totals, defaulters, hydrate, page_ids, reminders_request
from .errors import FeesError
from .exports import invoices_export
from .models import Invoice, InvoiceBatch


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="fees.view")
@reads_may_lag
def invoices_list(request):
    school = request.school
    get = request.GET
    term_id = get.get("term", "")
    class_group_id = get.get("class_group", "")
    status = get.get("status", "") if get.get("status", "") in Invoice.Status.values else ""
    overdue = get.get("overdue") == "1"
    invoices = selectors.invoices_list(
        school=school,
        term_id=parse_id(term_id),
        class_group_id=parse_id(class_group_id),
        status=status,
        overdue=overdue,
        q=search_text(get.get("q", "")),
    )
    if get.get("format") == "csv":
        filters = {
            "term": term_id,
            "class_group": class_group_id,
            "status": status,
            "overdue": overdue,
            "q": get.get("q"),
        }
        record_export(school=school, actor=request.user, export="invoices", filters=filters, rows=invoices.count())
        header, rows = invoices_export(school=school, invoices=invoices)
        return csv_download(f"invoices-{school.slug}-{school.local_today()}.csv", header, rows)
    page = Paginator(invoices, 25).get_page(get.get("page"))
    params = get.copy()
    params.pop("page", None)
    params.pop("format", None)
    context = {
        "page": page,
        "totals": selectors.invoice_totals(invoices),
        "terms": school.terms.select_related("session"),
        "class_groups": school.class_groups.order_by("level", "name"),
        "statuses": Invoice.Status.choices,
        "f": {
            "term": term_id,
            "class_group": class_group_id,
            "status": status,
            "overdue": overdue,
            "q": get.get("q", ""),
        },
        "query_string": params.urlencode(),
    }
    template = "fees/partials/invoices_table.html" if request.htmx else "fees/invoices_list.html"
    return render(request, template, context)


def _invoice(request, invoice_id):
    invoice = (
        Invoice.objects.for_school(request.school)
        .select_related("student", "class_group", "term__session")
        .prefetch_related("lines")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice")
    return invoice


@require_GET
@school_view(perm="fees.view")
def invoice_detail(request, invoice_id):
    """The invoice page. Its payments (the section, the pay-link and counter-payment forms, the
    guardians' secure links) are payments' own, drawn by its `payments_panel` template tags and
    posting to its URLs: fees knows nothing of payments beyond those tag names."""
    invoice = _invoice(request, invoice_id)
    context = {
        "invoice": invoice,
        "history": AuditLog.objects.filter(
            school=request.school, target_type="fees.invoice", target_id=str(invoice.pk)
        ).order_by("-created_at")[:20],
        "can_manage": request.membership.has_perm("fees.manage"),
    }
    if invoice.number:
        requested = requested_for_student(school=request.school, student_id=invoice.student_id)
        context["message_requests"] = [event for event in requested if mentions_invoice(event, invoice.number)]
    return render(request, "fees/invoice_detail.html", context)


@require_POST
@school_view(perm="fees.manage")
def invoice_action(request, invoice_id, action):
    invoice = _invoice(request, invoice_id)
    try:
        if action == "issue":
            services.invoice_issue(invoice=invoice, actor=request.user)
            messages.success(request, _("Invoice issued; the guardians will be told."))
        elif action == "void":
            services.invoice_void(invoice=invoice, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Invoice void."))
        else:
            raise Http404("No such action")
    except FeesError as exc:
        detail = "; ".join(m for msgs in exc.fields.values() for m in msgs)
        messages.error(request, f"{exc.message} {detail}".strip())
    return redirect("invoice-detail", request.school.slug, invoice.pk)


class BatchForm(forms.Form):
    term = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Term"))
    class_group = forms.ModelChoiceField(
        queryset=None, required=False, label=gettext_lazy("Class"), empty_label=gettext_lazy("Whole school")
    )

    def __init__(self, school, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = school.terms.select_related("session")
        self.fields["term"].initial = school.current_term()
        self.fields["class_group"].queryset = school.class_groups.order_by("level", "name")


@require_http_methods(["GET", "POST"])
@school_view(perm="fees.manage")
def batch_new(request):
    form = BatchForm(request.school, request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Issuing tells every family at once and cannot be taken back in bulk: the first POST only
        # shows what would happen; the confirm step posts the same choice again with confirm=1.
        if request.POST.get("confirm") != "1":
            preview = batches.invoice_batch_preview(school=request.school, **form.cleaned_data)
            context = {"form": form, "preview": preview, "choice": form.cleaned_data}
            return render(request, "fees/batch_confirm.html", context)
        batch = batches.invoice_batch_create(school=request.school, actor=request.user, **form.cleaned_data)
        return redirect("invoice-batch", request.school.slug, batch.pk)
    recent = InvoiceBatch.objects.for_school(request.school).select_related("term", "class_group")[:10]
    return render(request, "fees/batch_new.html", {"form": form, "recent": recent}, status=400 if form.errors else 200)


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="fees.view")
def batch_detail(request, batch_id):
    batch = (
        InvoiceBatch.objects.for_school(request.school)
        .select_related("term", "class_group")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise Http404("No such batch")
    template = "fees/partials/batch_progress.html" if request.htmx else "fees/batch_detail.html"
    return render(request, template, {"batch": batch})


def _defaulter_filters(data):
    """The defaulters page's filters (amounts typed in major units) as `collections.defaulters` arguments."""

    def number(name):
        value = data.get(name, "")
        return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else 0

    return {
        "term_id": number("term") or None,
        "class_group_id": number("class_group") or None,
        "min_days_overdue": number("min_days_overdue"),
        "min_amount_due": number("min_amount_due") * 100,
    }


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="fees.view")
@reads_may_lag
def defaulters_page(request):
    school, get = request.school, request.GET
    today = school.local_today()
    filters = _defaulter_filters(get)
    rows = defaulters(school=school, today=today, **filters)
    if get.get("format") == "csv":
        record_export(school=school, actor=request.user, export="defaulters", filters=filters)
        # Balance as a plain number (no symbol, no separators), so a spreadsheet can sum the column.
        return csv_download(
            f"defaulters-{school.slug}-{today}.csv",
            ["Invoice", "Student", "Admission number", "Class", "Balance", "Due", "Days overdue"],
            (
                [
                    r.number,
                    f"{r.student.first_name} {r.student.last_name}",
                    r.student.admission_number,
                    r.class_group.name if r.class_group else "",
                    format_amount(r.balance, grouped=False),
                    r.due_date.isoformat(),
                    (today - r.due_date).days,
                ]
                for r in rows.iterator()
            ),
        )
    totals = defaulter_totals(school=school, rows=rows, today=today, **filters)
    paginator = Paginator(page_ids(rows), 50)
    paginator.count = sum(t["invoices"] for t in totals)  # known from the totals: no second COUNT
    page = paginator.get_page(get.get("page"))
    page.object_list = hydrate(rows, page.object_list)
    for r in page.object_list:
        r.days_overdue = (today - r.due_date).days
    params = get.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "totals": totals,
        "terms": school.terms.select_related("session"),
        "class_groups": school.class_groups.order_by("level", "name"),
        "f": get,
        "query_string": params.urlencode(),
    }
    return render(request, "fees/defaulters.html", context)


@school_view(perm="fees.manage")  # outermost: another school's member gets 404 whatever the method
@require_POST
def defaulters_remind(request):
    fields = ("term", "class_group", "min_days_overdue", "min_amount_due")
    result = reminders_request(school=request.school, actor=request.user, **_defaulter_filters(request.POST))
    families = result["requested"]
    text = ngettext(
        "Reminders requested for %(count)d family (%(already)d already reminded today; "
        "%(orphans)d without a guardian).",
        "Reminders requested for %(count)d families (%(already)d already reminded today; "
        "%(orphans)d without a guardian).",
        families,
    )
    counts = {"count": families, "already": result["already_reminded"], "orphans": result["without_guardian"]}
    messages.success(request, text % counts)
    query = urlencode({k: request.POST[k] for k in fields if request.POST.get(k)})
    return redirect(reverse("defaulters", args=[request.school.slug]) + (f"?{query}" if query else ""))


@require_GET
@school_view(perm="fees.view")
def family_account(request, guardian_id):
    guardian = request.school.guardians.filter(pk=guardian_id).first()
    if guardian is None:
        raise Http404("No such guardian")
    children, balance = selectors.family_account(school=request.school, guardian=guardian)
    return render(request, "fees/family.html", {"guardian": guardian, "children": children, "balance": balance})
