"""Results set-up under /s/<slug>/results/setup/, for whoever holds `academics.manage_results`: an
overview, then one page each for subjects, who teaches them, a term's assessments, the grade scale,
the settings and the comment bank.

Pages that belong to a term (teachers, assessments) read it from `?term_id=` (a form's `term_id`
when posted) and show the current term when none is named. Every form works without JavaScript;
a refused form comes back with each error beside its field and nothing saved.
"""

from collections import Counter, defaultdict
from itertools import groupby

from django.contrib import messages
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.bounds import MAX_ID, parse_id
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from .errors import AcademicsError
from .models import AssessmentComponent, ResultsLock, ScoreRow, Subject, SubjectTeacher
from .results.policy import bands_of, policy_for
from .results.setup import (
    components_copy,
    components_set,
    school_levels,
    subject_create,
    subject_retire,
    subject_teacher_set,
    subject_teachers_from_timetable,
    subject_update,
)
from .results.setup_grading import (
    comment_bank,
)
from .results_setup_forms import ComponentRows, SubjectForm

MANAGE = "academics.manage_results"
T = "academics/results/setup/"


def render_setup(request, template, context, status=200):
    return render(request, T + template, context, status=status)


def refused_status(status):
    """A form that failed its own checks is a 400; a service's refusal keeps the service's status."""
    return 400 if status == 200 else status


def _terms(school):
    return list(school.terms.select_related("session").order_by("-start_date", "-id"))


def _term(request, terms):
    """The term the request names (`term_id`), else the current one (else the latest); a term_id
    naming no term of this school is a 404."""
    raw = (request.POST if request.method == "POST" else request.GET).get("term_id")
    if not raw:
        return next((term for term in terms if term.is_current), terms[0] if terms else None)
    term = next((term for term in terms if term.pk == parse_id(raw)), None)
    if term is None:
        raise Http404("No such term")
    return term


def _with_term(name, request, term):
    return f"{reverse(name, args=[request.school.slug])}?term_id={term.pk}"


@require_GET
@school_view(perm=MANAGE)
def setup_home(request):
    school = request.school
    term = school.current_term()
    policy = policy_for(school)
    subjects = list(Subject.objects.for_school(school).filter(is_active=True).values_list("level", flat=True))
    per_level = Counter(subjects)
    groups = list(school.class_groups.values_list("level", flat=True))
    components = list(AssessmentComponent.objects.for_school(school).filter(term=term)) if term else []
    named = (
        SubjectTeacher.objects.for_school(school).filter(term=term, teacher__isnull=False, subject__is_active=True)
        if term
        else SubjectTeacher.objects.none()
    )
    context = {
        "current": "home",
        "term": term,
        "subject_count": len(subjects),
        "levels": sorted(per_level.items()),
        "pairs": sum(per_level[level] for level in groups),
        "named": named.count(),
        "components": components,
        "weight_total": sum(c.weight for c in components),
        "policy": policy,
        "bands": bands_of(policy.grade_scale),
        "comments": Counter(entry.kind for entry in comment_bank(school)),
    }
    return render_setup(request, "home.html", context)


# --- Subjects --------------------------------------------------------------------------------------


def _subjects_by_level(school):
    scored = ScoreRow.objects.for_school(school).filter(subject=OuterRef("pk"))
    subjects = (
        Subject.objects.for_school(school).annotate(scored=Exists(scored)).order_by("level", "position", "name", "id")
    )
    return [(level, list(rows)) for level, rows in groupby(subjects, key=lambda subject: subject.level)]


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def setup_subjects(request):
    school = request.school
    levels = school_levels(school)
    form = SubjectForm(request.POST if request.method == "POST" else None, levels=levels)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                subject = subject_create(school=school, actor=request.user, **form.cleaned_data)
            except AcademicsError as exc:
                apply_domain_error(form, exc)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    gettext("Added %(subject)s to %(level)s.") % {"subject": subject.name, "level": subject.level},
                )
                return redirect("results-setup-subjects", school.slug)
        status = refused_status(status)
    context = {
        "current": "subjects",
        "form": form,
        "summary": error_summary(form),
        "by_level": _subjects_by_level(school),
        "levels": levels,
    }
    return render_setup(request, "subjects.html", context, status)


def _subject(request, subject_id):
    found = Subject.objects.for_school(request.school).filter(pk=subject_id).first() if subject_id <= MAX_ID else None
    if found is None:
        raise Http404("No such subject")
    return found


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def setup_subject(request, subject_id):
    school = request.school
    subject = _subject(request, subject_id)
    levels = sorted(set(school_levels(school)) | {subject.level})
    fields = ("name", "code", "level", "kind", "position", "is_active")
    initial = {key: getattr(subject, key) for key in fields}
    form = SubjectForm(request.POST if request.method == "POST" else None, levels=levels, editing=True, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                subject_update(school=school, actor=request.user, subject=subject, **form.cleaned_data)
            except AcademicsError as exc:
                apply_domain_error(form, exc)
                status = exc.status_code
            else:
                messages.success(request, gettext("Saved %(subject)s.") % {"subject": form.cleaned_data["name"]})
                return redirect("results-setup-subjects", school.slug)
        status = refused_status(status)
    context = {"current": "subjects", "form": form, "summary": error_summary(form), "subject": subject}
    return render_setup(request, "subject_edit.html", context, status)


@require_POST
@school_view(perm=MANAGE)
def setup_subject_retire(request, subject_id):
    subject = _subject(request, subject_id)
    outcome = subject_retire(school=request.school, actor=request.user, subject=subject)
    named = {"subject": subject.name, "level": subject.level}
    if outcome == "deleted":
        messages.success(request, gettext("Removed %(subject)s (%(level)s): nothing was scored in it.") % named)
    else:
        messages.success(request, gettext("Retired %(subject)s (%(level)s): its scores are kept.") % named)
    return redirect("results-setup-subjects", request.school.slug)


# --- Subject teachers ------------------------------------------------------------------------------


def _no_term(request, current):
    return render_setup(request, "no_term.html", {"current": current}, status=200)


def _teacher_grid(school, term, posted=None, errors=None):
    """Per level: its subjects and, per class group, a cell per subject with the teacher named
    (`saved`), the one chosen on the form (`chosen`) and the cell's error."""
    found = SubjectTeacher.objects.for_school(school).filter(term=term).select_related("teacher")
    assigned = {(row.class_group_id, row.subject_id): row for row in found}
    subjects = defaultdict(list)
    for subject in Subject.objects.for_school(school).filter(is_active=True).order_by("position", "name", "id"):
        subjects[subject.level].append(subject)
    grid = []
    for level, groups in groupby(school.class_groups.order_by("level", "name", "id"), key=lambda g: g.level):
        rows = []
        for group in groups:
            cells = []
            for subject in subjects.get(level, []):
                key, row = f"t-{group.pk}-{subject.pk}", assigned.get((group.pk, subject.pk))
                saved = str(row.teacher_id) if row and row.teacher_id else ""
                chosen = (posted or {}).get(key, saved)
                cell = {"key": key, "group": group, "subject": subject, "row": row, "saved": saved, "chosen": chosen}
                cells.append({**cell, "error": (errors or {}).get(key)})
            rows.append({"group": group, "cells": cells})
        grid.append({"level": level, "subjects": subjects.get(level, []), "rows": rows})
    return grid


def _cells(grid):
    return [cell for level in grid for row in level["rows"] for cell in row["cells"]]


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def setup_teachers(request):
    """Who teaches each subject to each class in the term: one select per class and subject. Only
    the cells changed are saved, all or none."""
    school = request.school
    terms = _terms(school)
    term = _term(request, terms)
    if term is None:
        return _no_term(request, "teachers")
    teachers = {str(staff.pk): staff for staff in school.staff.filter(is_teacher=True).order_by("last_name", "id")}
    status, errors, posted, summary = 200, {}, None, []
    if request.method == "POST":
        posted = {key: value for key, value in request.POST.items() if key.startswith("t-")}
        changes = [cell for cell in _cells(_teacher_grid(school, term, posted)) if cell["chosen"] != cell["saved"]]
        for cell in changes:
            if cell["chosen"] and cell["chosen"] not in teachers:
                errors[cell["key"]] = gettext("Choose a teacher from the list.")
                summary.append((f"{cell['subject'].name}, {cell['group'].name}", errors[cell["key"]]))
        if not errors:
            try:
                with transaction.atomic():
                    for cell in changes:
                        subject_teacher_set(
                            school=school,
                            actor=request.user,
                            term=term,
                            class_group=cell["group"],
                            subject=cell["subject"],
                            teacher=teachers.get(cell["chosen"]),
                        )
            except AcademicsError as exc:
                summary = [("", message) for messages_ in exc.fields.values() for message in messages_]
                status = exc.status_code
            else:
                count = len(changes)
                messages.success(request, ngettext("Saved %(n)s change.", "Saved %(n)s changes.", count) % {"n": count})
                return redirect(_with_term("results-setup-teachers", request, term))
        status = refused_status(status)
    context = {
        "current": "teachers",
        "terms": terms,
        "term": term,
        "teachers": list(teachers.values()),
        "grid": _teacher_grid(school, term, posted, errors),
        "summary": summary,
    }
    return render_setup(request, "teachers.html", context, status)


@require_POST
@school_view(perm=MANAGE)
def setup_teachers_fill(request):
    term = _term(request, _terms(request.school))
    if term is None:
        raise Http404("No term")
    result = subject_teachers_from_timetable(school=request.school, actor=request.user, term=term)
    text = gettext("From the timetable: %(made)s named, %(already)s already had a teacher.") % {
        "made": result.made,
        "already": result.already,
    }
    if result.unmatched:
        text += " " + gettext("No subject matches: %(names)s.") % {"names": ", ".join(result.unmatched)}
    messages.success(request, text)
    return redirect(_with_term("results-setup-teachers", request, term))


# --- Assessments -----------------------------------------------------------------------------------


def _components_page(request, terms, term, rows, *, status=200, copy_errors=()):
    earlier = [other for other in terms if other.start_date < term.start_date]
    shown = rows.padded()
    context = {
        "current": "components",
        "terms": terms,
        "term": term,
        "rows": shown,
        "total": rows.total(),
        "summary": rows.summary(),
        "copy_from": [other for other in terms if other.pk != term.pk],
        "previous": earlier[0] if earlier else None,
        "copy_errors": copy_errors,
        "locked": ResultsLock.objects.for_school(request.school).filter(term=term).exists(),
    }
    return render_setup(request, "components.html", context, status)


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def setup_components(request):
    school = request.school
    terms = _terms(school)
    term = _term(request, terms)
    if term is None:
        return _no_term(request, "components")
    if request.method == "GET":
        saved = AssessmentComponent.objects.for_school(school).filter(term=term).order_by("position", "id")
        return _components_page(request, terms, term, ComponentRows.of(saved))
    rows = ComponentRows.from_post(request.POST)
    if "preview" in request.POST:  # htmx asks for the running total as weights are typed
        return render_setup(request, "components_total.html", {"total": rows.total(), "term": term})
    sent = rows.given()
    try:
        components_set(school=school, actor=request.user, term=term, components=rows.payload())
    except AcademicsError as exc:
        rows.apply_error(exc.fields, exc.message, sent)
        return _components_page(request, terms, term, rows, status=exc.status_code)
    messages.success(request, gettext("Saved the assessments of %(term)s.") % {"term": term})
    return redirect(_with_term("results-setup-components", request, term))


@require_POST
@school_view(perm=MANAGE)
def setup_components_copy(request):
    school = request.school
    terms = _terms(school)
    term = _term(request, terms)
    if term is None:
        raise Http404("No term")
    source = next((other for other in terms if other.pk == parse_id(request.POST.get("from_term_id", ""))), None)
    if source is None:
        errors, status = [gettext("Choose a term to copy from.")], 400
    else:
        try:
            components_copy(school=school, actor=request.user, from_term=source, to_term=term)
        except AcademicsError as exc:
            errors = [message for messages_ in exc.fields.values() for message in messages_] or [exc.message]
            status = exc.status_code
        else:
            messages.success(
                request, gettext("Copied the assessments of %(source)s to %(term)s.") % {"source": source, "term": term}
            )
            return redirect(_with_term("results-setup-components", request, term))
    saved = AssessmentComponent.objects.for_school(school).filter(term=term).order_by("position", "id")
    return _components_page(request, terms, term, ComponentRows.of(saved), status=status, copy_errors=errors)
