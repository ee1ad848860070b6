"""Score entry under /s/<slug>/results/: the member's grids for a term, and a teacher's grid.

A grid page is a plain form without JavaScript: every cell an input named `cell-<student>-<component>`
with the text the page showed beside it (`seen-…`) and each row's version (`version-<student>`), so
posting the whole grid changes only what the teacher changed, refuses everything on any bad cell
(errors beside the cells) and reports cells someone else changed meanwhile. static/js/scores.js
makes it a spreadsheet that saves each cell as it is typed through the cell endpoint (JSON or form).

A member who manages results opens every grid, locks and unlocks a class's term and amends locked
scores; a member who enters scores opens the grids they teach (another grid is a 403). Any id of
another school, or past any id, is a 404.
"""

import json
import re

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.bounds import MAX_ID, parse_id
from classpoint.csvfile import csv_download
from classpoint.tenancy import school_view

from .errors import AcademicsError, AcademicsErrorCode
from .models import AssessmentComponent, Subject
from .results import compute, grid_csv, grids, locks, scores

MANAGE = grids.MANAGE
PUBLISH = "academics.publish_results"
_CELL = re.compile(r"cell-([0-9]{1,19})-([0-9]{1,19})")
_AMEND = re.compile(r"([0-9]{1,19})-([0-9]{1,19})")


def _forbidden(request):
    return render(request, "403.html", {"perm": grids.ENTER}, status=403)


def _one(queryset, pk):
    if not 1 <= pk <= MAX_ID:
        raise Http404("No such page")
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404("No such page")
    return found


def _grid_keys(request, term_id, class_group_id, subject_id):
    """(term, class group, subject) of a grid that exists at this school, or 404."""
    school = request.school
    term = _one(school.terms, term_id)
    group = _one(school.class_groups, class_group_id)
    subject = _one(Subject.objects.for_school(school).filter(is_active=True, level=group.level), subject_id)
    return term, group, subject


def _may_enter(request, term, group, subject):
    return grids.may_enter(
        school=request.school, membership=request.membership, term=term, class_group=group, subject=subject
    )


def _chosen_term(request):
    terms = list(request.school.terms.select_related("session").order_by("-start_date", "-id"))
    wanted = parse_id(request.GET.get("term", ""))
    term = next((t for t in terms if t.pk == wanted), None)
    term = term or next((t for t in terms if t.is_current), None) or (terms[0] if terms else None)
    return term, terms


@require_GET
@school_view()
def results_home(request):
    """The member's grids for a term (?term=, the current one by default), with how full each is; the
    landing page of the Results menu, so it links the other results pages the member may open."""
    membership = request.membership
    if not (grids.may_open_grids(membership) or membership.has_perm(PUBLISH)):
        return _forbidden(request)
    term, terms = _chosen_term(request)
    summaries = grids.my_grids(school=request.school, membership=request.membership, term=term) if term else []
    manager = request.membership.has_perm(MANAGE)
    context = {
        "term": term,
        "terms": terms,
        "manager": manager,
        "enters": grids.may_open_grids(membership),
        "publisher": membership.has_perm(PUBLISH),
        "summaries": summaries,
        "classes": grids.grids_by_class(summaries) if manager else [],
    }
    return render(request, "academics/results/grids.html", context)


def _grid_url(request, term, group, subject, name="results-grid"):
    return reverse(name, args=[request.school.slug, term.pk, group.pk, subject.pk])


def _posted_rows(data):
    """The rows a posted grid holds: [{student_id, version, cells: {component_id: {seen, new}}}]."""
    rows = {}
    for name, value in data.items():
        match = _CELL.fullmatch(name)
        if not match:
            continue
        student_id, component_id = parse_id(match[1]), parse_id(match[2])
        if student_id is None or component_id is None:
            continue
        version = parse_id(data.get(f"version-{match[1]}", ""))
        row = rows.setdefault(student_id, {"student_id": student_id, "version": version or 0, "cells": {}})
        seen = data.get(f"seen-{match[1]}-{match[2]}")
        row["cells"][component_id] = {"seen": seen, "new": value}
    return list(rows.values())


def _page(request, grid, *, status=200, posted=None, errors=None, conflicts=(), summary=(), amend=None, imported=()):
    """The grid page: what is stored, or what was just posted with its errors beside the cells (and
    the texts and versions it was typed over, so that posting it again is judged against those)."""
    school, membership = request.school, request.membership
    manager = membership.has_perm(MANAGE)
    posted, errors = posted or {}, errors or {}
    conflicts = {(c.student_id, c.component_id): c for c in conflicts}
    rows = []
    for row in grid.rows:
        sid = row.student.pk
        cells = []
        for component in grid.components:
            cid = component.pk
            conflict = conflicts.get((sid, cid))
            field = scores.cell_field(sid, cid)
            cells.append(
                {
                    "component": component,
                    "field": field,
                    "value": conflict.mine if conflict else posted.get(field, row.cells[cid]),
                    "seen": posted.get(f"seen-{sid}-{cid}", row.cells[cid]),
                    "errors": errors.get(field, []),
                    "conflict": conflict,
                }
            )
        version = posted.get(f"version-{sid}", row.version)
        rows.append({"row": row, "version": version, "cells": cells, "errors": errors.get(f"row-{sid}", [])})
    amending = None
    if manager and grid.locked:
        amending = amend or _amend_target(request, grid)
    bands = [{"letter": b.letter, "min": f"{b.min_score}", "max": f"{b.max_score}"} for b in grid.bands]
    columns = [{"component": c, "max": _figure(c.max_score), "weight": _figure(c.weight)} for c in grid.components]
    components = [{"id": c["component"].pk, "max": c["max"], "weight": c["weight"]} for c in columns]
    context = {
        "grid": grid,
        "columns": columns,
        "rows": rows,
        "amendments": [_amendment(a) for a in grid.amendments],
        "manager": manager,
        "editable": not grid.locked,
        "summary": summary,
        "amending": amending,
        "imported": imported,
        "bands_json": json.dumps(bands),
        "components_json": json.dumps(components),
        "grid_url": _grid_url(request, grid.term, grid.class_group, grid.subject),
        "cell_url": _grid_url(request, grid.term, grid.class_group, grid.subject, "results-grid-cell"),
        "csv_url": _grid_url(request, grid.term, grid.class_group, grid.subject, "results-grid-csv"),
        "import_url": _grid_url(request, grid.term, grid.class_group, grid.subject, "results-grid-import"),
        "amend_url": _grid_url(request, grid.term, grid.class_group, grid.subject, "results-grid-amend"),
        "home_url": reverse("results-home", args=[school.slug]) + f"?term={grid.term.pk}",
    }
    return render(request, "academics/results/grid.html", context, status=status)


def _figure(number):
    return f"{number.normalize():f}"


def _amendment(amendment):
    return {
        "at": amendment.amended_at,
        "by": grids.user_name(amendment.amended_by) or "system",
        "pupil": amendment.row.student.full_name,
        "component": amendment.component.name,
        "old": str(compute.Cell(value=amendment.old_value, absent=amendment.old_absent)) or "blank",
        "new": str(compute.Cell(value=amendment.new_value, absent=amendment.new_absent)) or "blank",
        "reason": amendment.reason,
    }


def _amend_target(request, grid, student_id=None, component_id=None, text=None, reason="", errors=None):
    """The amendment form for one cell (?amend=<student>-<component>), or None."""
    if student_id is None:
        match = _AMEND.fullmatch(request.GET.get("amend", ""))
        if not match:
            return None
        student_id, component_id = parse_id(match[1]), parse_id(match[2])
    row = grid.row(student_id) if student_id else None
    component = next((c for c in grid.components if c.pk == component_id), None)
    if row is None or component is None:
        return None
    current = row.cells[component.pk]
    return {
        "row": row,
        "component": component,
        "max": _figure(component.max_score),
        "current": current,
        "text": current if text is None else text,
        "reason": reason,
        "errors": errors or {},
    }


def _grid(request, term, group, subject):
    return grids.grid(
        school=request.school,
        term=term,
        class_group=group,
        subject=subject,
        with_amendments=request.membership.has_perm(MANAGE),
    )


def _summary(grid, fields):
    names = {row.student.pk: row.name for row in grid.rows}
    components = {c.pk: c.name for c in grid.components}
    items, pupil, score = [], gettext("A pupil"), gettext("a score")
    for name, problems in fields.items():
        match = _CELL.fullmatch(name)
        label = ""
        if match:
            label = f"{names.get(int(match[1]), pupil)}, {components.get(int(match[2]), score)}"
        elif name.startswith("row-"):
            label = names.get(parse_id(name[4:]) or 0, pupil)
        if isinstance(problems, list):
            items += [(label, problem) for problem in problems]
    return items


@require_http_methods(["GET", "POST"])
@school_view()
def results_grid(request, term_id, class_group_id, subject_id):
    """A teacher's grid: one row a pupil, one column a component, total and grade."""
    term, group, subject = _grid_keys(request, term_id, class_group_id, subject_id)
    if not _may_enter(request, term, group, subject):
        return _forbidden(request)
    if request.method == "GET":
        return _page(request, _grid(request, term, group, subject))
    rows = _posted_rows(request.POST)
    try:
        saved = scores.scores_grid_save(
            school=request.school,
            actor=request.user,
            membership=request.membership,
            term=term,
            class_group=group,
            subject=subject,
            rows=rows,
        )
    except AcademicsError as exc:
        grid = _grid(request, term, group, subject)
        posted = {k: v for k, v in request.POST.items() if k.startswith(("cell-", "seen-", "version-"))}
        fields = {k: v for k, v in exc.fields.items() if isinstance(v, list)}
        summary = _summary(grid, fields) or [("", exc.message)]
        return _page(request, grid, status=exc.status_code, posted=posted, errors=fields, summary=summary)
    if saved.conflicts:
        late = gettext(
            "%(n)s changed in the meantime by someone else and were not saved: see them below, then save again to "
            "keep yours."
        )
        messages.warning(request, f"{_saved_words(saved.applied, nothing=False)} {late % {'n': len(saved.conflicts)}}")
        return _page(request, _grid(request, term, group, subject), status=409, conflicts=saved.conflicts)
    messages.success(request, _saved_words(saved.applied))
    return redirect(_grid_url(request, term, group, subject))


def _saved_words(applied, *, nothing=True):
    if not applied and nothing:
        return gettext("Nothing had changed: the grid is as it was.")
    return ngettext("Saved %(n)s score.", "Saved %(n)s scores.", applied) % {"n": applied}


def _cell_input(request):
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}
    return request.POST


def _json_error(code, message, fields=None, status=400):
    return JsonResponse({"error": {"code": str(code), "message": message, "fields": fields or {}}}, status=status)


@require_POST
@school_view()
def results_grid_cell(request, term_id, class_group_id, subject_id):
    """Save one cell (scores.js): {student_id, component_id, text, seen_version, seen_text} as JSON or
    a form. 200 {"state": row}; 409 score_conflict (fields.conflict: what the cell holds now, who saved
    it, the row's version) or results_locked; 400 score_invalid with the cell's error."""
    term, group, subject = _grid_keys(request, term_id, class_group_id, subject_id)
    if not _may_enter(request, term, group, subject):
        return _json_error("not_your_subject", f"You do not teach {subject.name} to {group.name}.", status=403)
    data = _cell_input(request)
    student_id = parse_id(str(data.get("student_id", "")))
    component_id = parse_id(str(data.get("component_id", "")))
    student = request.school.students.filter(pk=student_id).first() if student_id else None
    component = (
        AssessmentComponent.objects.for_school(request.school).filter(pk=component_id).first() if component_id else None
    )
    if student is None or component is None:
        return _json_error("score_invalid", "No such cell in this grid.", {"cell": ["No such cell in this grid."]})
    version = data.get("seen_version")
    version = version if isinstance(version, int) and not isinstance(version, bool) else parse_id(str(version or ""))
    text, seen = data.get("text", ""), data.get("seen_text")
    try:
        state = scores.score_cell_save(
            school=request.school,
            actor=request.user,
            membership=request.membership,
            term=term,
            class_group=group,
            subject=subject,
            student=student,
            component=component,
            text=text if isinstance(text, str) else str(text),
            seen_version=version or 0,
            seen_text=seen if isinstance(seen, str) else None,
        )
    except AcademicsError as exc:
        return _json_error(exc.code, exc.message, exc.fields, status=exc.status_code)
    return JsonResponse({"state": state})


@require_GET
@school_view()
def results_grid_csv(request, term_id, class_group_id, subject_id):
    """The grid as a CSV file (admission_number, pupil_name, one column a component)."""
    term, group, subject = _grid_keys(request, term_id, class_group_id, subject_id)
    if not _may_enter(request, term, group, subject):
        return _forbidden(request)
    grid = grids.grid(school=request.school, term=term, class_group=group, subject=subject)
    header, rows = grid_csv.export_table(grid)
    return csv_download(grid_csv.export_filename(grid), header, rows)


@require_POST
@school_view()
def results_grid_import(request, term_id, class_group_id, subject_id):
    """Fill the grid from an uploaded CSV file: all of it, or (on any problem) nothing."""
    term, group, subject = _grid_keys(request, term_id, class_group_id, subject_id)
    if not _may_enter(request, term, group, subject):
        return _forbidden(request)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise AcademicsError(
                gettext("Choose a file."),
                code=AcademicsErrorCode.SCORE_INVALID,
                fields={"file": [gettext("Choose the CSV file to import.")]},
            )
        saved = grid_csv.scores_csv_import(
            school=request.school,
            actor=request.user,
            membership=request.membership,
            term=term,
            class_group=group,
            subject=subject,
            upload=upload,
        )
    except AcademicsError as exc:
        problems = exc.fields.get("file") or [exc.message]
        grid = _grid(request, term, group, subject)
        return _page(request, grid, status=exc.status_code, imported=problems)
    if saved.conflicts:
        late = gettext(
            "Imported %(n)s scores; %(late)s cells were changed by someone else while the file was read and "
            "were left as they are."
        )
        messages.warning(request, late % {"n": saved.applied, "late": len(saved.conflicts)})
    else:
        words = _saved_words(saved.applied).lower()
        messages.success(request, gettext("Imported the file: %(saved)s") % {"saved": words})
    return redirect(_grid_url(request, term, group, subject))


@require_POST
@school_view(perm=MANAGE)
def results_grid_amend(request, term_id, class_group_id, subject_id):
    """Amend one locked score, with the reason (results managers)."""
    term, group, subject = _grid_keys(request, term_id, class_group_id, subject_id)
    student_id, component_id = parse_id(request.POST.get("student", "")), parse_id(request.POST.get("component", ""))
    text, reason = request.POST.get("text", ""), request.POST.get("reason", "")
    grid = _grid(request, term, group, subject)
    target = _amend_target(request, grid, student_id, component_id, text, reason)
    if target is None:
        messages.error(request, gettext("Choose the score to amend from the grid."))
        return redirect(_grid_url(request, term, group, subject))
    try:
        locks.score_amend(
            school=request.school,
            actor=request.user,
            membership=request.membership,
            term=term,
            class_group=group,
            subject=subject,
            student=target["row"].student,
            component=target["component"],
            text=text,
            reason=reason,
        )
    except AcademicsError as exc:
        target["errors"] = {k: v for k, v in exc.fields.items() if isinstance(v, list)} or {"text": [exc.message]}
        return _page(request, grid, status=exc.status_code, amend=target)
    amended = {"component": target["component"].name, "pupil": target["row"].student.full_name}
    messages.success(request, gettext("Amended %(component)s of %(pupil)s: the reason is recorded.") % amended)
    return redirect(_grid_url(request, term, group, subject))


def _lock_keys(request, term_id, class_group_id):
    return _one(request.school.terms, term_id), _one(request.school.class_groups, class_group_id)


@require_POST
@school_view(perm=MANAGE)
def results_lock(request, term_id, class_group_id):
    term, group = _lock_keys(request, term_id, class_group_id)
    locks.results_lock(
        school=request.school, actor=request.user, membership=request.membership, term=term, class_group=group
    )
    locked = gettext("%(group)s's scores for %(term)s are locked: changes now need an amendment.")
    messages.success(request, locked % {"group": group.name, "term": term.name})
    return redirect(reverse("results-home", args=[request.school.slug]) + f"?term={term.pk}")


@require_POST
@school_view(perm=MANAGE)
def results_unlock(request, term_id, class_group_id):
    term, group = _lock_keys(request, term_id, class_group_id)
    try:
        locks.results_unlock(
            school=request.school, actor=request.user, membership=request.membership, term=term, class_group=group
        )
    except AcademicsError as exc:
        messages.error(request, exc.message)
    else:
        opened = gettext("%(group)s's scores for %(term)s are open for entry again.")
        messages.success(request, opened % {"group": group.name, "term": term.name})
    return redirect(reverse("results-home", args=[request.school.slug]) + f"?term={term.pk}")
