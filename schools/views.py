from django.apps import apps
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_access
from classpoint.bounds import parse_id, search_text
from classpoint.tenancy import school_view

from . import selectors
from .models import Student

STUDENTS_PER_PAGE = 25


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="students.view")
def students_list(request):
    school = request.school
    term = school.current_term()
    status = request.GET.get("status", "")
    if status not in Student.Status.values:
        status = ""
    class_group_id = parse_id(request.GET.get("class_group", ""))
    q = search_text(request.GET.get("q", ""))
    students = selectors.students_list(school=school, q=q, status=status, class_group_id=class_group_id, term=term)
    page = Paginator(students, STUDENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.attach_classes(page.object_list, school=school, term=term)
    context = {
        "page": page,
        "term": term,
        "q": q,
        "status": status,
        "class_group_id": class_group_id,
        "class_groups": school.class_groups.order_by("level", "name"),
        "statuses": Student.Status.choices,
        "query_string": _query_without_page(request),
    }
    template = "schools/partials/students_table.html" if request.htmx else "schools/students_list.html"
    return render(request, template, context)


def _query_without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


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
