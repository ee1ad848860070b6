from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_export
from classpoint.bounds import parse_id, search_text
from classpoint.csvfile import csv_download
from classpoint.replica import reads_may_lag
from classpoint.tenancy import school_view

from . import selectors
from .exports import students_export
from .models import Student

STUDENTS_PER_PAGE = 25


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm="students.view")
@reads_may_lag
def students_list(request):
    """The students list; ?format=csv downloads every pupil it finds, with their guardians."""
    school = request.school
    term = school.current_term()
    status = request.GET.get("status", "")
    if status not in Student.Status.values:
        status = ""
    class_group_id = parse_id(request.GET.get("class_group", ""))
    q = search_text(request.GET.get("q", ""))
    students = selectors.students_list(school=school, q=q, status=status, class_group_id=class_group_id, term=term)
    if request.GET.get("format") == "csv":
        return _students_csv(request, students, term, {"q": q, "status": status, "class_group": class_group_id})
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


def _students_csv(request, students, term, filters):
    # Guardians' phones and emails leave the workspace with the file: the access log keeps who took
    # which pupils (the filters and the count say which), as it does for each record opened.
    school = request.school
    header, rows = students_export(school=school, students=students, term=term)
    record_export(school=school, actor=request.user, export="students", filters=filters, rows=students.count())
    return csv_download(f"students-{school.slug}-{school.local_today()}.csv", header, rows)


def _query_without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    return params.urlencode()
