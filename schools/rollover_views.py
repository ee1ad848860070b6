"""The year-end rollover page, /s/<slug>/year/rollover/, for `school.manage`.

Opening it shows the dry run of the default plan: the next session and its terms, where each class
goes and who repeats or leaves, and the outcome class by class (who is promoted where, repeating,
graduating, leaving; a class over its places or with nowhere to go). "Update the dry run" shows the
outcome of the plan as edited; "Confirm" does exactly the dry run on the page (its fingerprint is
posted with it): a roll or plan that changed since is shown again rather than done. Nothing is
written until the confirm, and a confirm of a session already rolled over changes nothing."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_http_methods

from classpoint.bounds import parse_id
from classpoint.forms import error_summary
from classpoint.tenancy import school_view

from .models import Rollover
from .rollover_forms import RolloverForm
from .rollover_levels import level_key
from .rollover_plan import MAX_TERMS, default_plan, load_roll, outcome_of, rollover_state
from .services.rollover import rollover_run
from .year_errors import YearError, YearErrorCode
from .year_views import MANAGE

T = "schools/year/"


def _already(request, rollover):
    values = {
        "from": rollover.from_session,
        "to": rollover.to_session,
        "when": f"{rollover.created_at:%d %B %Y}",
    }
    if rollover.created_by_id:
        values["who"] = rollover.created_by.get_username()
        text = _("%(from)s was already rolled over into %(to)s on %(when)s by %(who)s: nothing changed.")
    else:
        text = _("%(from)s was already rolled over into %(to)s on %(when)s: nothing changed.")
    messages.info(request, text % values)
    return redirect("year-rollover", request.school.slug)


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def rollover_page(request):
    school = request.school
    if request.method == "POST":
        posted = parse_id(request.POST.get("from_session", ""))
        done = Rollover.objects.for_school(school).filter(from_session_id=posted).first() if posted else None
        if done is not None:
            return _already(request, done)
    state = rollover_state(school)
    if not state.ready:
        return render(request, T + "rollover_closed.html", {"current": "rollover", "state": state})
    roll = load_roll(school, state.term)
    groups = list(school.class_groups.all())
    term_rows = min(len(state.terms) + 1, MAX_TERMS)
    status, notice = 200, ""
    if request.method == "GET":
        plan = default_plan(school, state)
        form = RolloverForm(roll=roll, groups=groups, term_rows=term_rows, plan=plan)
        outcome = outcome_of(school, state, plan, roll)
    else:
        form = RolloverForm(request.POST, roll=roll, groups=groups, term_rows=term_rows)
        outcome = None
        if form.is_valid():
            plan = form.plan()
            outcome = outcome_of(school, state, plan, roll)
            form.add_plan_errors(outcome.errors)
            if request.POST.get("action") == "confirm" and outcome.ok:
                try:
                    result = rollover_run(
                        school=school,
                        actor=request.user,
                        from_session_id=state.session.pk,
                        plan=plan,
                        fingerprint=request.POST.get("fingerprint", ""),
                    )
                except YearError as exc:
                    notice = exc.message
                    status = 409 if exc.code == YearErrorCode.ROLLOVER_STALE else exc.status_code
                    outcome = outcome_of(school, state, plan, roll)
                else:
                    if not result.created:
                        return _already(request, result.rollover)
                    return _done(request, result)
        if not form.is_valid():
            status = 400
    context = {
        "current": "rollover",
        "state": state,
        "form": form,
        "outcome": outcome,
        "totals": outcome.totals() if outcome else {},
        "today": school.local_today(),
        "notice": notice,
        "classes": _rows(form, outcome, roll),
        "term_cells": [
            (form[f"term-{n}-name"], form[f"term-{n}-start"], form[f"term-{n}-end"]) for n in range(form.term_rows)
        ],
        "summary": error_summary(form),
    }
    return render(request, T + "rollover.html", context, status=status)


def _rows(form, outcome, roll):
    """Per class of the roll: its mapping input, its outcome (when the plan could be read), and a
    row per pupil with their inputs and what happens to them."""
    by_group = {row.group.pk: row for row in outcome.classes} if outcome else {}
    rows = []
    for group, enrollments in roll:
        row = by_group.get(group.pk)
        action_of = {p.enrollment.pk: p for p in row.pupils} if row else {}
        pupils = [(e, *form.pupil_fields(e.student_id), action_of.get(e.pk)) for e in enrollments]
        # Open where the admin chose something for a pupil, or a pupil's input was refused.
        chosen = any(choice.value() or reason.errors for _, choice, reason, _ in pupils)
        rows.append(
            {
                "group": group,
                "field": form[f"map-{group.pk}"],
                "outcome": row,
                "counts": _counts(row) if row else [],
                "pupils": pupils,
                "open": chosen,
            }
        )
    return sorted(rows, key=lambda r: (level_key(r["group"].level), r["group"].name.lower()))


def _counts(row):
    """What happens to a class, as "3 promoted to JSS 2A", "1 repeating"..."""
    counts = []
    if row.promoted:
        if row.target:
            where = ngettext_lazy("%(count)s promoted to %(target)s", "%(count)s promoted to %(target)s", "count")
        else:
            where = ngettext_lazy("%(count)s with nowhere to go yet", "%(count)s with nowhere to go yet", "count")
        counts.append(where % {"count": len(row.promoted), "target": row.target})
    for pupils, what in (
        (row.graduating, ngettext_lazy("%(count)s graduating", "%(count)s graduating", "count")),
        (row.repeating, ngettext_lazy("%(count)s repeating", "%(count)s repeating", "count")),
        (row.leaving, ngettext_lazy("%(count)s leaving", "%(count)s leaving", "count")),
        (row.skipped, ngettext_lazy("%(count)s not carried", "%(count)s not carried", "count")),
    ):
        if pupils:
            counts.append(what % {"count": len(pupils)})
    return counts


def _done(request, result):
    summary = result.rollover.summary
    messages.success(
        request,
        _(
            "Rolled over into %(session)s: %(promoted)s promoted, %(repeated)s repeating, %(graduated)s graduated, "
            "%(left)s left."
        )
        % {
            "session": result.rollover.to_session,
            "promoted": summary["promoted"],
            "repeated": summary["repeated"],
            "graduated": summary["graduated"],
            "left": summary["left"],
        },
    )
    return redirect("school-year", request.school.slug)
