"""Fee items: list, add, edit, retire and restore."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.forms import apply_domain_error, error_summary
from classpoint.money import format_amount
from classpoint.tenancy import school_view

from .. import services, setup
from ..errors import FeesError
from ..models import FeeItem
from .common import may_manage


class FeeItemForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=40,
        help_text=gettext_lazy("Short and unique, e.g. tuition-jss. Fixed once the fee is on a schedule."),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=FeeItem.Category.choices)
    default_amount = forms.CharField(
        label=gettext_lazy("Default amount"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("In major units, e.g. 45,000.00 — offered when the fee is added to a schedule."),
    )

    def __init__(self, *args, currency="NGN", code_locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_amount"].label = _("Default amount (%(currency)s)") % {"currency": currency}
        self.fields["default_amount"].widget.attrs["inputmode"] = "decimal"
        if code_locked:
            self.fields["code"].disabled = True

    def clean_default_amount(self):
        text = self.cleaned_data["default_amount"]
        if not text.strip():
            return 0
        try:
            return setup.parse_amount(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def _item(request, item_id):
    item = FeeItem.objects.for_school(request.school).filter(pk=item_id).first()
    if item is None:
        raise Http404("No such fee item")
    return item


@require_GET
@school_view(perm="fees.view")
def items_list(request):
    items = FeeItem.objects.for_school(request.school).order_by("-is_active", "category", "name", "id")
    return render(request, "fees/setup_items.html", {"items": items, "can_manage": may_manage(request)})


@school_view(perm="fees.manage")
@require_http_methods(["GET", "POST"])
def item_edit(request, item_id=None):
    school = request.school
    item = _item(request, item_id) if item_id is not None else None
    code_locked = item is not None and setup.fee_item_in_use(school=school, item=item)
    initial = {"category": FeeItem.Category.TUITION}
    if item is not None:
        initial = {
            "code": item.code,
            "name": item.name,
            "category": item.category,
            "default_amount": format_amount(item.default_amount_minor),
        }
    form = FeeItemForm(request.POST or None, initial=initial, currency=school.currency, code_locked=code_locked)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if item is None:
                item = services.fee_item_create(
                    school=school,
                    actor=request.user,
                    code=d["code"],
                    name=d["name"],
                    category=d["category"],
                    default_amount_minor=d["default_amount"],
                )
                messages.success(request, _("Fee item “%(name)s” added.") % {"name": item.name})
            else:
                setup.fee_item_update(
                    school=school,
                    actor=request.user,
                    item=item,
                    name=d["name"],
                    category=d["category"],
                    default_amount_minor=d["default_amount"],
                    code=None if code_locked else d["code"],
                )
                messages.success(request, _("Fee item “%(name)s” saved.") % {"name": d["name"]})
        except FeesError as exc:
            apply_domain_error(form, exc, rename={"default_amount_minor": "default_amount"})
        else:
            return redirect("fee-setup", school.slug)
    context = {"form": form, "item": item, "code_locked": code_locked, "summary": error_summary(form)}
    return render(request, "fees/setup_item_form.html", context, status=400 if form.errors else 200)


@school_view(perm="fees.manage")
@require_POST
def item_active(request, item_id):
    item = _item(request, item_id)
    active = request.POST.get("is_active") == "1"
    setup.fee_item_set_active(school=request.school, actor=request.user, item=item, is_active=active)
    if active:
        messages.success(request, _("“%(name)s” is active again.") % {"name": item.name})
    else:
        text = _("“%(name)s” is retired: no longer offered for new schedule lines. Schedules that list it keep it.")
        messages.success(request, text % {"name": item.name})
    return redirect("fee-setup", request.school.slug)
