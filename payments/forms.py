from django import forms
from django.utils.translation import gettext_lazy as _

from classpoint.bounds import DateFormField
from fees.money import to_minor


class AmountField(forms.DecimalField):
    """An amount in major units as people type it: "45000", "45,000.00", "₦45,000" (a text box:
    a number input would refuse the thousands separator people type)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace("₦", "").replace(" ", "")
        return super().to_python(value)


class ProofForm(forms.Form):
    """A bank-transfer slip and what the payer says about it (shared by staff and guardian pages)."""

    file = forms.FileField(label=_("Transfer slip (PDF, JPEG or PNG)"))
    amount = AmountField(label=_("Amount transferred"), min_value=0.01, max_digits=14, decimal_places=2)
    paid_on = DateFormField(label=_("Date of the transfer"), widget=forms.DateInput(attrs={"type": "date"}))
    bank_reference = forms.CharField(label=_("Bank reference (optional)"), required=False, max_length=128)
    payer_name = forms.CharField(label=_("Paid by (name on the account)"), required=False, max_length=120)

    # Service field names -> this form's fields, for the service's field errors (apply_domain_error).
    FIELDS = {"amount_minor": "amount", "file_key": "file"}

    def claim(self):
        d = self.cleaned_data
        return {
            "amount_minor": to_minor(d["amount"]),
            "paid_on": d["paid_on"],
            "bank_reference": d["bank_reference"],
            "payer_name": d["payer_name"],
        }


class CounterPaymentForm(forms.Form):
    """Cash or a POS slip taken at the bursar's desk (the invoice page's "Record payment")."""

    kind = forms.ChoiceField(label=_("Paid by"), choices=[("cash", _("Cash")), ("pos", _("POS"))])
    amount = forms.DecimalField(label=_("Amount"), min_value=0.01, max_digits=14, decimal_places=2)
    reference = forms.CharField(label=_("POS slip reference (optional)"), required=False, max_length=128)
