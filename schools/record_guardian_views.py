"""The guardians of a pupil (the record's Guardians tab: add a new one, link one the school already
knows, make one the primary contact) and a guardian's own page (their children, their contact
details and preferences, and editing them).

Consent to be messaged is messaging's: every change is a ConsentChange row with its source, so these
pages show what was agreed and link to messaging's consent page rather than change it here."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.audit import record_access
from classpoint.bounds import search_text
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from . import selectors
from .errors import SchoolsError
from .record_forms import GuardianForm, LinkGuardianForm, NewGuardianForm, PrimaryGuardianForm, language_choices
from .record_pages import open_guardian, open_student
from .record_views import describe_changes
from .services.people import guardian_create, guardian_link, guardian_set_primary, guardian_update

VIEW, MANAGE = "students.view", "students.manage"
GUARDIAN_FIELDS = (
    "first_name",
    "last_name",
    "relationship",
    "phone",
    "email",
    "preferred_channel",
    "preferred_language",
)


def _with_language(guardian):
    """Sets `language_label`: the language the guardian is written to in, in words."""
    code = guardian.preferred_language
    guardian.language_label = dict(language_choices()).get(code, code) if code else _("the school's language")
    return guardian


def _guardians_page(request, student, *, new_form=None, link_form=None, status=200):
    find = search_text(request.GET.get("find", ""))
    links = selectors.student_guardian_links(student=student)
    for link in links:
        _with_language(link.guardian)
    new_form = new_form or NewGuardianForm(initial={"preferred_channel": "sms", "is_primary": not links})
    context = {
        "student": student,
        "tab": "guardians",
        "guardian_links": links,
        "can_manage": request.membership.has_perm(MANAGE),
        "new_form": new_form,
        "link_form": link_form,
        "summary": error_summary(new_form) + (error_summary(link_form) if link_form else []),
        "find": find,
        "found": selectors.guardians_to_link(school=request.school, student=student, q=find) if find else [],
    }
    return render(request, "schools/record/guardians.html", context, status=status)


@require_GET
@school_view(perm=VIEW)
def student_guardians(request, student_id):
    """The pupil's guardians with how to reach them, what they agreed to receive and who is the
    primary contact; for those who manage students, the forms to add, link and choose."""
    return _guardians_page(request, open_student(request, student_id))


def _post_student(request, student_id):
    """The pupil a form posts about; the look is recorded only if the page is shown again."""
    return open_student(request, student_id, record=False)


def _refused(request, student, **forms):
    record_access(school=request.school, actor=request.user, target=student, via="workspace")
    return _guardians_page(request, student, status=400, **forms)


@require_POST
@school_view(perm=MANAGE)
def student_guardian_add(request, student_id):
    student = _post_student(request, student_id)
    form = NewGuardianForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        is_primary = data.pop("is_primary")
        try:
            guardian = guardian_create(
                school=request.school, actor=request.user, student=student, is_primary=is_primary, **data
            )
        except SchoolsError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("%(guardian)s added as a guardian of %(student)s.") % {"guardian": guardian, "student": student},
            )
            return redirect("student-guardians", request.school.slug, student.pk)
    return _refused(request, student, new_form=form)


def _guardian_of_school(request, form):
    guardian = selectors.guardian_get(school=request.school, guardian_id=form.cleaned_data["guardian"])
    if guardian is None:
        raise Http404("No such guardian")
    return guardian


@require_POST
@school_view(perm=MANAGE)
def student_guardian_link(request, student_id):
    """Link a guardian the school already has (a sibling's parent) to the pupil."""
    student = _post_student(request, student_id)
    form = LinkGuardianForm(request.POST)
    if form.is_valid():
        guardian = _guardian_of_school(request, form)
        guardian_link(
            student=student, guardian=guardian, is_primary=form.cleaned_data["is_primary"], actor=request.user
        )
        messages.success(
            request, _("%(guardian)s is now a guardian of %(student)s.") % {"guardian": guardian, "student": student}
        )
        return redirect("student-guardians", request.school.slug, student.pk)
    return _refused(request, student, link_form=form)


@require_POST
@school_view(perm=MANAGE)
def student_guardian_primary(request, student_id):
    student = _post_student(request, student_id)
    form = PrimaryGuardianForm(request.POST)
    if form.is_valid():
        guardian = _guardian_of_school(request, form)
        try:
            guardian_set_primary(student=student, guardian=guardian, actor=request.user)
        except SchoolsError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("%(guardian)s is now the primary contact for %(student)s.")
                % {"guardian": guardian, "student": student},
            )
            return redirect("student-guardians", request.school.slug, student.pk)
    return _refused(request, student, link_form=form)


# --- the guardian page ----------------------------------------------------------------------------------


@require_GET
@school_view(perm=VIEW)
def guardian_detail(request, guardian_id):
    """A guardian: their children, how to reach them and in which language, and what they agreed
    to receive (changed on messaging's consent page, which keeps the history)."""
    guardian = _with_language(open_guardian(request, guardian_id))
    context = {
        "guardian": guardian,
        "tab": "details",
        "can_manage": request.membership.has_perm(MANAGE),
        "history": selectors.guardian_history(guardian=guardian),
    }
    for entry in context["history"]:
        entry.details = describe_changes(entry.changes)
    return render(request, "schools/record/guardian_detail.html", context)


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def guardian_edit(request, guardian_id):
    guardian = open_guardian(request, guardian_id, record=request.method == "GET")
    initial = {name: getattr(guardian, name) for name in GUARDIAN_FIELDS}
    form = GuardianForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            guardian_update(guardian=guardian, actor=request.user, **form.cleaned_data)
        except SchoolsError as error:
            guardian.refresh_from_db()
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Contact details saved."))
            return redirect("guardian-detail", request.school.slug, guardian.pk)
    if request.method == "POST":
        record_access(school=request.school, actor=request.user, target=guardian, via="workspace")
    context = {"guardian": guardian, "tab": "details", "form": form, "summary": error_summary(form)}
    return render(request, "schools/record/guardian_edit.html", context, status=400 if form.errors else 200)
