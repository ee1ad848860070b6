"""Pages a family uses without an account: the application form (`/s/<slug>/apply/`, and `/apply/`
on the school's own hostname, which the host middleware maps here), the page that shows the new
reference, the needs-info upload page and the status page (both reached by signed links).

A suspended school or an unknown slug is a 404. A link that is forged, expired or no longer in use
gets a friendly 404 that names no school, so a guessed link tells nothing.

Each page is in the family's language (classpoint/i18n.py): the form offers English, Spanish and
Yoruba; the language it was sent in is kept on the application, so the confirmation message and
the pages its links open speak it too."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from classpoint import i18n, ratelimit
from classpoint.forms import apply_domain_error
from classpoint.net import client_ip
from classpoint.scoping import enter_school
from messaging.features import channels_on
from schools import selectors as schools_selectors

from . import links
from .errors import RegistrarError
from .forms import ApplicationForm, MoreDocumentsForm, form_field_name
from .models import Application
from .services import application_submit, class_levels, needs_info_reply

S = Application.Status
# What a family reads for each status on the status page.
STATUS_TEXT = {
    S.PENDING: gettext_lazy("Received. The school will review it soon."),
    S.IN_REVIEW: gettext_lazy("Being reviewed by the school."),
    S.NEEDS_INFO: gettext_lazy("The school needs something more from you (see below)."),
    S.APPROVED: gettext_lazy("Approved: the school has offered a place. Watch for the next steps from the school."),
    S.CONVERTED: gettext_lazy("Enrolled. Welcome to the school!"),
    S.REJECTED: gettext_lazy("Not successful this time. Contact the school if you have questions."),
    S.WITHDRAWN: gettext_lazy("Withdrawn."),
}
# The application pages reached by its links: in the languages the family could apply in.
LINK_LANGUAGES = i18n.PUBLIC_FORM_LANGUAGES


def _school(slug):
    school = schools_selectors.school_active(slug=slug)
    if school is None:
        raise Http404("No such school")
    # A public page is one school's: the slug named it, so the rest of the request is scoped to it.
    enter_school(school)
    return school


def _invalid_link(request):
    return render(request, "registrar/public/link_invalid.html", status=404)


def _application(request, slug, opened):
    """The application a link names, if the link is for this (active) school's slug; else None.
    The page speaks the language the family applied in (unless they pick another)."""
    if opened is None:
        return None
    school_id, application_id = opened
    school = schools_selectors.school_active(school_id=school_id, slug=slug)
    if school is None:
        return None
    enter_school(school)
    application = Application.objects.for_school(school).select_related("school").filter(pk=application_id).first()
    if application is not None:
        i18n.settle(request, application.language, i18n.school_language(school))
    return application


# --- Rate limit -----------------------------------------------------------------------------


def _rate_key(request, school):
    return f"registrar:apply:{school.pk}:{client_ip(request) or 'unknown'}"


def _rate_limited(request, school):
    return ratelimit.used(_rate_key(request, school)) >= settings.APPLICATION_RATE_LIMIT


def _take_slot(request, school):
    """Count this submission before it is accepted; False when it is over the limit. Counting first
    (atomically) is what stops a burst of simultaneous posts from all seeing room."""
    count = ratelimit.take(_rate_key(request, school), window=settings.APPLICATION_RATE_WINDOW_SECONDS)
    return count <= settings.APPLICATION_RATE_LIMIT


# --- Pages ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@i18n.guardian_page(languages=i18n.PUBLIC_FORM_LANGUAGES)
def apply(request, slug):
    school = _school(slug)
    i18n.settle(request, i18n.school_language(school))
    levels = class_levels(school=school)
    context = {"applying_to": school, "levels": levels}
    if not levels:
        return render(request, "registrar/public/apply_closed.html", context)
    channels = channels_on(school)
    form, status = ApplicationForm(levels=levels, channels=channels), 200
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES, levels=levels, channels=channels)
        if form.is_bot:
            # Pretend it worked: a bot that learns it was caught tries another way.
            _take_slot(request, school)
            return render(request, "registrar/public/received.html", context)
        valid = form.is_valid()
        if _rate_limited(request, school) or (valid and not _take_slot(request, school)):
            form.add_error(
                None,
                _(
                    "Too many applications were sent from your network in the last hour. "
                    "Please try again later, or contact the school."
                ),
            )
            status = 429
        elif valid:
            try:
                application = application_submit(
                    school=school,
                    applicant=form.applicant(),
                    guardians=form.guardians(),
                    documents=form.documents(),
                    source=Application.Source.FORM,
                    language=get_language(),
                )
            except RegistrarError as exc:
                # A typo the family can fix does not use up its allowance.
                ratelimit.give_back(_rate_key(request, school))
                apply_domain_error(form, exc, rename=form_field_name)
                status = 400
            else:
                return redirect("application-received", slug=school.slug, token=links.received_token(application))
        else:
            status = 400
    context.update(form=form, max_mb=f"{settings.APPLICATION_DOCUMENT_MAX_BYTES / (1024 * 1024):g}")
    return render(request, "registrar/public/apply.html", context, status=status)


@never_cache
@i18n.guardian_page(languages=LINK_LANGUAGES)
def application_received(request, slug, token):
    application = _application(request, slug, links.open_received(token))
    if application is None:
        return _invalid_link(request)
    context = {"applying_to": application.school, "application": application}
    return render(request, "registrar/public/received.html", context)


@never_cache
@i18n.guardian_page(languages=LINK_LANGUAGES)
def application_status(request, slug, token):
    application = _application(request, slug, links.open_status(token))
    if application is None:
        return _invalid_link(request)
    more_url = None
    if application.status == S.NEEDS_INFO:
        more_url = links.needs_info_url(application)
    context = {
        "applying_to": application.school,
        "application": application,
        "more_url": more_url,
        "status_text": STATUS_TEXT.get(application.status, ""),
    }
    return render(request, "registrar/public/status.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@i18n.guardian_page(languages=LINK_LANGUAGES)
def application_more(request, slug, token):
    """The needs-info link: only the reference, the child's first name and what is missing; an
    upload sends the application back to review. Usable only while the school is waiting."""
    application = _application(request, slug, links.open_needs_info(token))
    if application is None or application.status != S.NEEDS_INFO:
        return _invalid_link(request)
    form, status = MoreDocumentsForm(), 200
    if request.method == "POST":
        form = MoreDocumentsForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                needs_info_reply(application=application, documents_in=form.documents())
            except RegistrarError as exc:
                if exc.code == "not_waiting":
                    return _invalid_link(request)
                apply_domain_error(form, exc, rename=form_field_name)
                status = 400
            else:
                page = reverse("application-status", args=[slug, links.status_token(application)])
                return redirect(page + "?sent=1")
        else:
            status = 400
    context = {
        "applying_to": application.school,
        "application": application,
        "form": form,
        "items": application.needs_info_items,
    }
    return render(request, "registrar/public/more.html", context, status=status)
