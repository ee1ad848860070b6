"""A domain error shown on a form: field messages beside their inputs, the rest at the top; and the
summary of every error at the top of a form."""

from django import forms

from classpoint.errors import DomainError
from classpoint.forms import apply_domain_error, error_summary


class PaymentForm(forms.Form):
    amount = forms.CharField(label="Amount", required=False)
    reference = forms.CharField(required=False)


def _bound():
    form = PaymentForm({"amount": "10", "reference": "X"})
    assert form.is_valid()
    return form


def test_field_messages_go_beside_their_fields_and_unknown_fields_to_the_top():
    form = _bound()
    error = DomainError(
        "Not saved.",
        fields={"reference": ["Already used.", "Too short."], "invoice": ["Not payable."]},
    )
    apply_domain_error(form, error)
    assert form.errors["reference"] == ["Already used.", "Too short."]
    assert form.non_field_errors() == ["Not payable."]
    assert "amount" not in form.errors
    # The top summary does not repeat the headline when fields say more.
    assert "Not saved." not in form.non_field_errors()


def test_an_error_naming_no_field_still_says_why():
    form = _bound()
    apply_domain_error(form, DomainError("This invoice was voided meanwhile."))
    assert form.non_field_errors() == ["This invoice was voided meanwhile."] and not form.is_valid()


def test_service_names_are_renamed_by_a_mapping():
    form = _bound()
    apply_domain_error(
        form, DomainError("Bad.", fields={"amount_minor": ["Must be positive."]}), rename={"amount_minor": "amount"}
    )
    assert form.errors["amount"] == ["Must be positive."] and not form.non_field_errors()


def test_service_names_are_renamed_by_a_function():
    form = _bound()
    error = DomainError("Bad.", fields={"payment.0.reference": ["Already used."], "payment.0.bank": ["Unknown."]})
    apply_domain_error(form, error, rename=lambda name: name.rsplit(".", 1)[-1])
    assert form.errors["reference"] == ["Already used."]
    assert form.non_field_errors() == ["Unknown."]  # renamed to "bank", which the form lacks


def test_a_bare_string_is_one_message_not_one_per_character():
    form = _bound()
    apply_domain_error(form, DomainError("Bad.", fields={"reference": "Already used."}))
    assert form.errors["reference"] == ["Already used."]


def test_cleaned_data_of_a_field_with_an_error_is_dropped():
    # As with any form error: the view must not save the value the service refused.
    form = _bound()
    apply_domain_error(form, DomainError("Bad.", fields={"reference": ["Already used."]}))
    assert "reference" not in form.cleaned_data and form.cleaned_data["amount"] == "10"


def test_error_summary_labels_each_error_by_its_field_and_leaves_the_rest_unlabelled():
    form = _bound()
    apply_domain_error(form, DomainError("Bad.", fields={"amount": ["Too much."], "invoice": ["Not payable."]}))
    assert error_summary(form) == [("Amount", "Too much."), ("", "Not payable.")]


def test_error_summary_adds_errors_the_form_does_not_hold():
    form = _bound()
    assert error_summary(form, [("Line 2, amount", "Enter an amount.")]) == [("Line 2, amount", "Enter an amount.")]
