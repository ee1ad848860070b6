from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from classpoint.files import download_url
from classpoint.forms import apply_domain_error
from classpoint.tenancy import school_view

from ..errors import SchoolsError
from ..models import ImportJob
from . import services
from .csvfile import template_csv, template_descriptions

PERM = "imports.run"


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8 or Windows CSV; comma, semicolon or tab separated.")
    mode = forms.ChoiceField(
        label="What to do",
        choices=[("dry_run", "Check only — report problems, change nothing"), ("import", "Import")],
        widget=forms.RadioSelect,
        initial="dry_run",
    )


def _hx_aware_redirect(request, url):
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def imports_page(request):
    school = request.school
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_from_upload(
                school=school, actor=request.user, uploaded=form.cleaned_data["file"], mode=form.cleaned_data["mode"]
            )
        except SchoolsError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, f"“{job.file_name}” is being {'checked' if job.mode == 'dry_run' else 'imported'}."
            )
            return _hx_aware_redirect(request, reverse("import-detail", args=[school.slug, job.pk]))
    jobs = ImportJob.objects.for_school(school).select_related("created_by").order_by("-created_at", "-id")[:25]
    context = {"form": form, "jobs": jobs, "columns": template_descriptions()}
    return render(request, "schools/imports/index.html", context, status=400 if form.errors else 200)


@require_GET
@school_view(perm=PERM)
def import_template(request):
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="classpoint-students-template.csv"'
    return response


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=PERM)
def import_detail(request, job_id):
    job = ImportJob.objects.for_school(request.school).select_related("created_by").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import")
    template = "schools/imports/partials/progress.html" if request.htmx else "schools/imports/detail.html"
    return render(request, template, {"job": job})


@require_GET
@school_view(perm=PERM)
def import_errors(request, job_id):
    job = ImportJob.objects.for_school(request.school).filter(pk=job_id).exclude(errors_key="").first()
    if job is None:
        raise Http404("No errors report")
    url, _ = download_url(job.errors_key, filename=f"import-{job.pk}-errors.csv")
    return redirect(url)
