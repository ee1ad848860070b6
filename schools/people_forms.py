"""Forms of the People area. Services judge the rules (one account per address, the last admin,
the catalogue); the forms take the input and show a service's refusal beside the field it names."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from classpoint.permissions import all_permissions

from .services.roles import NAME_MAX
from .services.schools import TOKEN_NAME_MAX


class _RoleChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return gettext("%(name)s (custom)") % {"name": obj.name} if obj.is_custom else obj.name


def _role_field(school, label=None):
    return _RoleChoice(queryset=school.roles.order_by("is_custom", "name"), label=label or _("Role"), empty_label=None)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    first_name = forms.CharField(label=_("First name (optional)"), max_length=80, required=False)
    last_name = forms.CharField(label=_("Last name (optional)"), max_length=80, required=False)

    def __init__(self, school, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"] = _role_field(school)
        self.fields["role"].help_text = _("What they may see and do; you can change it later.")
        teacher = school.roles.filter(key="teacher").first()
        self.fields["role"].initial = teacher.pk if teacher else None


class RoleChangeForm(forms.Form):
    def __init__(self, school, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"] = _role_field(school, label=_("New role"))


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    requires_two_factor = forms.BooleanField(
        label=_("Members with this role sign in with a code from an authenticator app too"),
        required=False,
    )
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = sorted(all_permissions().items())


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=TOKEN_NAME_MAX, help_text=_("What will use it, e.g. “Finance system sync”.")
    )

    def __init__(self, school, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"] = _role_field(school)
        self.fields["role"].help_text = _("The token may do what this role may do, at this school only.")
        # The least a token can do unless someone chooses more.
        viewer = school.roles.filter(key="viewer").first()
        self.fields["role"].initial = viewer.pk if viewer else None


class AcceptForm(forms.Form):
    """A new account's details: the invitation says who they are; they choose the password."""

    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password, not all digits, not like your name or email."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data
