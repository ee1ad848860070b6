"""A student's full record: the profile (the overview, and editing it with the earlier names kept)
and the access log; the guardians and enrolment tabs live in record_guardian_views.py and
record_enrolment_views.py, the tabs of the apps above in those apps (classpoint/record_tabs.py).
Also the guardian page.

Every page of the record writes the look into the pupil's access log first (record_pages). Edits go
through the services, which audit old and new values; a refused form changes nothing and comes back
with each error beside its field."""

from django.apps import apps
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from classpoint.audit import record_access
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from . import selectors
from .errors import SchoolsError
from .record_forms import ProfileForm
from .record_pages import open_student
from .services.people import student_update

VIEW, MANAGE = "students.view", "students.manage"
ACCESS_LOG_PAGE = 50
RECENT = 5


@require_GET
@school_view(perm=VIEW)
def student_detail(request, student_id):
    """The profile tab: who the pupil is, their earlier names, their guardians at a glance, the
    latest messages to them and the latest looks at the record."""
    student = open_student(request, student_id)
    links = selectors.student_guardian_links(student=student)
    context = {
        "student": student,
        "tab": "profile",
        "guardian_links": links,
        "identity_history": selectors.student_identity_history(student=student),
        "recent": list(selectors.student_access_log(student=student)[:RECENT]),
    }
    if request.membership.has_perm("messaging.send") and links:
        # By name: schools sits below messaging and does not import it. The whole history is
        # messaging's Messages tab; these are the latest few, for the overview.
        Message = apps.get_model("messaging", "Message")
        context["guardian_messages"] = list(
            Message.objects.for_school(request.school)
            .filter(guardian_id__in=[link.guardian_id for link in links])
            .select_related("guardian")
            .order_by("-created_at", "-id")[:RECENT]
        )
    return render(request, "schools/student_detail.html", context)


def _profile_initial(student):
    return {
        "first_name": student.first_name,
        "other_names": student.other_names,
        "last_name": student.last_name,
        "date_of_birth": student.date_of_birth,
        "gender": student.gender,
        "admission_number": student.admission_number,
    }


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def student_edit(request, student_id):
    """Edit the profile. The service audits each field's old and new value; names and the date of
    birth are then listed under "Earlier names and dates of birth" on the profile."""
    # A POST's change is audited by the service; the page shown afterwards records its own look.
    student = open_student(request, student_id, record=request.method == "GET")
    form = ProfileForm(request.POST or None, initial=_profile_initial(student))
    if request.method == "POST" and form.is_valid():
        try:
            student_update(student=student, actor=request.user, **form.cleaned_data)
        except SchoolsError as error:
            student.refresh_from_db()  # the header shows the record as it is, not as typed
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("student-detail", request.school.slug, student.pk)
    if request.method == "POST":
        record_access(school=request.school, actor=request.user, target=student, via="workspace")
    context = {"student": student, "tab": "profile", "form": form, "summary": error_summary(form)}
    return render(request, "schools/record/profile_edit.html", context, status=400 if form.errors else 200)


def describe_changes(changes):
    """An audit entry's changes as short lines a person reads: "first_name: Ada → Adaeze"."""
    if not isinstance(changes, dict):
        return []
    lines = []
    for key, value in changes.items():
        if key == "via":
            continue
        label = key.replace("_", " ")
        if isinstance(value, list) and len(value) == 2 and all(not isinstance(v, list | dict) for v in value):
            old, new = (("—" if v in (None, "", "None") else v) for v in value)
            lines.append(f"{label}: {old} → {new}")
        elif isinstance(value, list):
            lines.append(f"{label}: {', '.join(str(v) for v in value) or '—'}")
        elif value not in (None, ""):
            lines.append(f"{label}: {value}")
    return lines


@require_GET
@school_view(perm=VIEW)
def student_access_log(request, student_id):
    """Who looked at the record and who changed what, newest first, a page at a time."""
    student = open_student(request, student_id)
    page = Paginator(selectors.student_access_log(student=student), ACCESS_LOG_PAGE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.details = describe_changes(entry.changes)
    context = {"student": student, "tab": "access", "page": page}
    return render(request, "schools/record/access_log.html", context)
