"""A student's full record (profile, guardians, enrolment history and the tabs other apps add)
and the guardian page."""

from django.apps import apps
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from classpoint.audit import record_access
from classpoint.tenancy import school_view

from . import selectors
from .models import Student


@require_GET
@school_view(perm="students.view")
def student_detail(request, student_id):
    try:
        student = selectors.student_detail(school=request.school, student_id=student_id)
    except Student.DoesNotExist:
        raise Http404("No such student") from None
    # Record the look first, so the history shown includes this visit.
    record_access(school=request.school, actor=request.user, target=student, via="workspace")
    context = {
        "student": student,
        "guardian_links": list(student.guardian_links.all()),
        "enrollments": sorted(student.enrollments.all(), key=lambda e: e.term.start_date, reverse=True),
        "history": selectors.student_access_history(student=student),
    }
    if request.membership.has_perm("messaging.send") and context["guardian_links"]:
        # By name: schools sits below messaging and does not import it.
        Message = apps.get_model("messaging", "Message")
        guardian_ids = [link.guardian_id for link in context["guardian_links"]]
        context["guardian_messages"] = list(
            Message.objects.for_school(request.school)
            .filter(guardian_id__in=guardian_ids)
            .select_related("guardian")
            .order_by("-created_at", "-id")[:10]
        )
    return render(request, "schools/student_detail.html", context)
