"""Results set-up, continued (results_setup_views.py has the overview, subjects, teachers and
assessments): the grade scale, the settings and the comment bank."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from classpoint.bounds import parse_id
from classpoint.forms import apply_domain_error, error_summary
from classpoint.money import currency_symbol, format_amount
from classpoint.tenancy import school_view

from .errors import AcademicsError
from .models import CommentBank, GradeScale
from .results.policy import PRESETS, bands_of, policy_for
from .results.setup_grading import (
    comment_bank,
    comment_bank_add,
    comment_bank_remove,
    grade_scale_from_preset,
    grade_scale_save,
    results_policy_update,
)
from .results_setup_forms import BandRows, CommentForm, ScaleNameForm, SettingsForm
from .results_setup_views import MANAGE, refused_status, render_setup


def _scale_chosen(request, scales, policy):
    """The scale the page edits: `scale_id` (query or form; "new": a new one), else the school's."""
    raw = (request.POST if request.method == "POST" else request.GET).get("scale_id")
    if raw == "new":
        return None
    if not raw:
        return policy.grade_scale
    scale = next((scale for scale in scales if scale.pk == parse_id(raw)), None)
    if scale is None:
        raise Http404("No such grade scale")
    return scale


def _scale_page(request, *, scales, policy, scale, form, rows, status=200, use_errors=()):
    context = {
        "current": "scale",
        "scales": scales,
        "policy": policy,
        "scale": scale,
        "current_bands": bands_of(policy.grade_scale),
        "form": form,
        "rows": rows.padded(),
        "summary": error_summary(form, rows.summary()),
        "presets": [(key, name) for key, (name, _bands) in PRESETS.items()],
        "use_errors": use_errors,
    }
    return render_setup(request, "scale.html", context, status)


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def setup_scale(request):
    """The school's grade scale, its bands edited as rows; another scale by `?scale_id=`, a new one
    by `?scale_id=new`."""
    school = request.school
    policy = policy_for(school)
    scales = list(GradeScale.objects.for_school(school).order_by("name", "id"))
    scale = _scale_chosen(request, scales, policy)
    in_use = scale is not None and scale.pk == policy.grade_scale_id
    if request.method == "GET":
        form = ScaleNameForm(initial={"name": scale.name if scale else "", "use": in_use or scale is None})
        rows = BandRows.of(bands_of(scale)) if scale else BandRows([])
        return _scale_page(request, scales=scales, policy=policy, scale=scale, form=form, rows=rows)
    form, rows = ScaleNameForm(request.POST), BandRows.from_post(request.POST)
    status = 400
    if form.is_valid():
        sent = rows.given()
        try:
            with transaction.atomic():
                saved = grade_scale_save(
                    school=school, actor=request.user, name=form.cleaned_data["name"], bands=rows.payload(), scale=scale
                )
                if form.cleaned_data["use"]:
                    results_policy_update(school=school, actor=request.user, grade_scale=saved)
        except AcademicsError as exc:
            for message in exc.fields.get("name", []):
                form.add_error("name", message)
            rest = {key: value for key, value in exc.fields.items() if key != "name"}
            if rest or not exc.fields:
                rows.apply_error(rest, exc.message, sent)
            status = exc.status_code
        else:
            messages.success(request, gettext("Saved the grade scale %(scale)s.") % {"scale": saved.name})
            return redirect(f"{reverse('results-setup-scale', args=[school.slug])}?scale_id={saved.pk}")
    return _scale_page(
        request, scales=scales, policy=policy, scale=scale, form=form, rows=rows, status=refused_status(status)
    )


@require_POST
@school_view(perm=MANAGE)
def setup_scale_use(request):
    """Make a preset (`preset`) or one of the school's scales (`scale_id`) the school's scale."""
    school = request.school
    policy = policy_for(school)
    scales = list(GradeScale.objects.for_school(school).order_by("name", "id"))
    preset, raw = request.POST.get("preset", ""), request.POST.get("scale_id", "")
    try:
        if preset:
            scale = grade_scale_from_preset(school=school, actor=request.user, preset=preset, use=True)
        else:
            scale = next((scale for scale in scales if scale.pk == parse_id(raw)), None)
            results_policy_update(school=school, actor=request.user, grade_scale=scale)
    except AcademicsError as exc:
        errors = [message for messages_ in exc.fields.values() for message in messages_] or [exc.message]
        form = ScaleNameForm(initial={"name": policy.grade_scale.name, "use": True})
        rows = BandRows.of(bands_of(policy.grade_scale))
        return _scale_page(
            request,
            scales=scales,
            policy=policy,
            scale=policy.grade_scale,
            form=form,
            rows=rows,
            status=exc.status_code,
            use_errors=errors,
        )
    messages.success(request, gettext("Report cards now grade with %(scale)s.") % {"scale": scale.name})
    return redirect("results-setup-scale", school.slug)


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def setup_settings(request):
    school = request.school
    policy = policy_for(school)
    withhold = policy.withhold_owing_above_minor
    initial = {
        "show_class_position": policy.show_class_position,
        "show_subject_position": policy.show_subject_position,
        "withhold": "" if withhold is None else format_amount(withhold),
        "link_days": policy.link_days,
    }
    form = SettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    form.fields["withhold"].label += f" ({currency_symbol(school.currency).strip()})"
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                results_policy_update(
                    school=school,
                    actor=request.user,
                    show_class_position=data["show_class_position"],
                    show_subject_position=data["show_subject_position"],
                    withhold_owing_above_minor=data["withhold"],
                    link_days=data["link_days"],
                )
            except AcademicsError as exc:
                apply_domain_error(form, exc, rename=SettingsForm.FIELDS)
                status = exc.status_code
            else:
                messages.success(request, gettext("Saved the results settings."))
                return redirect("results-setup-settings", school.slug)
        status = refused_status(status)
    context = {"current": "settings", "form": form, "summary": error_summary(form)}
    return render_setup(request, "settings.html", context, status)


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def setup_comments(request):
    """The comments form teachers and the head pick from on report cards: add one, remove one."""
    school = request.school
    form = CommentForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                comment_bank_add(school=school, actor=request.user, **form.cleaned_data)
            except AcademicsError as exc:
                apply_domain_error(form, exc)
                status = exc.status_code
            else:
                messages.success(request, gettext("Added the comment to the bank."))
                return redirect("results-setup-comments", school.slug)
        status = refused_status(status)
    entries = comment_bank(school)
    kinds = [
        (value, label, [entry for entry in entries if entry.kind == value]) for value, label in CommentBank.Kind.choices
    ]
    context = {"current": "comments", "form": form, "summary": error_summary(form), "kinds": kinds}
    return render_setup(request, "comments.html", context, status)


@require_POST
@school_view(perm=MANAGE)
def setup_comment_remove(request):
    entry_id = parse_id(request.POST.get("entry", ""))
    entry = CommentBank.objects.for_school(request.school).filter(pk=entry_id).first() if entry_id else None
    if entry is None:
        raise Http404("No such comment")
    comment_bank_remove(school=request.school, actor=request.user, entry=entry)
    messages.success(request, gettext("Removed the comment from the bank."))
    return redirect("results-setup-comments", request.school.slug)
