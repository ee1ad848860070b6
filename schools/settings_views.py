"""The school's settings page, /s/<slug>/settings/, for members who manage the school.

One page, one form per section, each posting to its own URL: a saved section redirects back to the
page with a message; a refused one shows the page again (400) with each error beside its input and
in a summary at the top, and nothing saved. The admission number pattern and the days to pay a late
invoice are edited where their neighbours are (the registrar's and fees' settings), linked from here.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from classpoint import flags
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from .branding import logo_data_uri, profile_of
from .errors import SchoolsError
from .models import SchoolProfile
from .services import settings as services
from .settings_forms import ContactForm, DetailsForm, LogoForm, MessagingForm, ModulesForm, PublicFormForm, RegionalForm

PERM = "school.manage"


def _initial_forms(request):
    school = request.school
    # A school provisioned without a profile shows the defaults a profile would have.
    profile = profile_of(school) or SchoolProfile(school=school)
    states = flags.request_features(request)
    return {
        "details": DetailsForm(initial={"name": school.name}),
        "contact": ContactForm(initial={f: getattr(profile, f) for f in ("address", "phone", "email", "website")}),
        "logo": LogoForm(),
        "messaging": MessagingForm(
            initial={
                "quiet_hours_start": profile.quiet_hours_start,
                "quiet_hours_end": profile.quiet_hours_end,
                "channels": sorted(states.on(flags.CHANNEL)),
            }
        ),
        "regional": RegionalForm(
            school=school,
            initial={
                "timezone": school.timezone,
                "currency_display": profile.currency_display,
                "default_language": profile.default_language,
            },
        ),
        "public_form": PublicFormForm(initial={"public_form_intro": profile.public_form_intro}),
        "modules": ModulesForm(initial={"modules": sorted(states.on(flags.MODULE))}),
    }


def _page(request, *, failed=None, status=200):
    """The page; `failed` is (name, bound form) of a refused section, shown with its errors."""
    forms_ = _initial_forms(request)
    summary = []
    if failed is not None:
        name, form = failed
        forms_[name] = form
        summary = [(label, message, form.section) for label, message in error_summary(form)]
    profile = profile_of(request.school)
    context = {
        **forms_,
        "summary": summary,
        "profile": profile,
        "logo_uri": logo_data_uri(profile),
        "module_features": flags.features(flags.MODULE),
        "channel_features": flags.features(flags.CHANNEL),
        "admission_pattern": getattr(profile, "admission_number_pattern", ""),
        "invoice_due_days": getattr(profile, "invoice_due_days", None),
    }
    return render(request, "schools/settings/page.html", context, status=status)


def _saved(request, changes, text, anchor):
    messages.success(request, text if changes else _("Nothing changed."))
    return redirect(reverse("school-settings", args=[request.school.slug]) + f"#{anchor}")


def _save(request, name, form, write, text, rename=None):
    """Validate `form`, then `write(cleaned_data)` (a service call); the page again on any error."""
    if form.is_valid():
        try:
            changes = write(form.cleaned_data)
        except SchoolsError as exc:
            apply_domain_error(form, exc, rename=rename)
        else:
            return _saved(request, changes, text, form.section)
    return _page(request, failed=(name, form), status=400)


@require_GET
@school_view(perm=PERM)
def settings_page(request):
    return _page(request)


@school_view(perm=PERM)  # outermost: another school's URL is a 404 whatever the method
@require_POST
def details_save(request):
    return _save(
        request,
        "details",
        DetailsForm(request.POST),
        lambda data: services.school_details_update(school=request.school, actor=request.user, name=data["name"]),
        _("School details saved."),
    )


@school_view(perm=PERM)
@require_POST
def contact_save(request):
    def write(data):
        return services.school_contact_update(school=request.school, actor=request.user, **data)

    return _save(request, "contact", ContactForm(request.POST), write, _("Contact details saved."))


@school_view(perm=PERM)
@require_POST
def logo_save(request):
    form = LogoForm(request.POST, request.FILES)

    def write(data):
        return services.school_logo_set(school=request.school, actor=request.user, uploaded=data["logo"])

    return _save(request, "logo", form, write, _("Logo saved. Documents made from now on show it."))


@school_view(perm=PERM)
@require_POST
def logo_remove(request):
    changes = services.school_logo_remove(school=request.school, actor=request.user)
    return _saved(request, changes, _("Logo removed."), "logo")


@school_view(perm=PERM)
@require_POST
def messaging_save(request):
    def write(data):
        return services.school_messaging_update(school=request.school, actor=request.user, **data)

    return _save(request, "messaging", MessagingForm(request.POST), write, _("Messaging settings saved."))


@school_view(perm=PERM)
@require_POST
def regional_save(request):
    def write(data):
        return services.school_regional_update(school=request.school, actor=request.user, **data)

    form = RegionalForm(request.POST, school=request.school)
    return _save(request, "regional", form, write, _("Regional settings saved."))


@school_view(perm=PERM)
@require_POST
def public_form_save(request):
    def write(data):
        return services.school_public_form_update(school=request.school, actor=request.user, **data)

    return _save(request, "public_form", PublicFormForm(request.POST), write, _("Public form introduction saved."))


@school_view(perm=PERM)
@require_POST
def features_save(request):
    form = ModulesForm(request.POST)

    def write(data):
        return services.school_modules_update(
            school=request.school, actor=request.user, modules=data["modules"], shown=form.shown_keys()
        )

    return _save(request, "modules", form, write, _("Modules saved."))
