"""Publishing results from the workspace: /s/<slug>/results/publish/.

One page per term: each class with pupils that term, how many of its pupils' subjects still have
scores missing, whether its scores are locked, how many cards reached families or are withheld and
when it was last published, with "Publish <class>" and "Publish all". A publish refused because
scores are missing comes back with the list and a "Publish anyway" form that asks for the reason;
a publish done says what it did, class by class. Plain forms: it all works without JavaScript.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from classpoint.bounds import parse_id, search_text
from classpoint.tenancy import school_view

from .errors import AcademicsError, AcademicsErrorCode
from .results.publishing import MAX_REASON, publish_status, result_publish

PUBLISH = "academics.publish_results"


def _terms(school):
    return list(school.terms.select_related("session").order_by("-start_date", "-id"))


def _term(school, terms, value):
    """The term a form or query names; none named: the current term, else the newest. A value that
    names no term of the school is a 404."""
    if value:
        pk = parse_id(value)
        term = next((t for t in terms if t.pk == pk), None)
        if term is None:
            raise Http404("No such term")
        return term
    return next((t for t in terms if t.is_current), terms[0] if terms else None)


def _page(request, *, terms, term, refusal=None, status=200):
    school = request.school
    rows = publish_status(school=school, term=term) if term is not None else []
    context = {
        "school": school,
        "terms": terms,
        "term": term,
        "rows": rows,
        "pupils": sum(r.pupils for r in rows),
        "missing": sum(r.missing for r in rows),
        "refusal": refusal,
        "max_reason": MAX_REASON,
    }
    return render(request, "academics/results/publish.html", context, status=status)


def outcome_message(outcome):
    """What a publish did, in a sentence per class (the page's message, the command's lines)."""
    lines = [c.words() for c in outcome.classes]
    head = gettext(
        "%(published)s report cards published, %(updated)s updated, %(withheld)s withheld, %(unchanged)s unchanged."
    ) % {name: outcome.total(name) for name in ("published", "updated", "withheld", "unchanged")}
    forced = ""
    if outcome.forced_reason:
        forced = " " + gettext("Published with scores missing: %(reason)s.") % {"reason": outcome.forced_reason}
    return f"{head}{forced} " + "; ".join(lines)


@school_view(perm=PUBLISH)
@require_http_methods(["GET", "POST"])
def results_publish(request):
    school = request.school
    terms = _terms(school)
    if request.method == "GET":
        return _page(request, terms=terms, term=_term(school, terms, request.GET.get("term", "")))
    term = _term(school, terms, request.POST.get("term", ""))
    if term is None:
        raise Http404("No term")
    group_value = request.POST.get("class_group", "")
    group = None
    if group_value:
        group = school.class_groups.filter(pk=parse_id(group_value) or 0).first()
        if group is None:
            raise Http404("No such class")
    forcing = request.POST.get("action") == "force"
    reason = search_text(request.POST.get("force_reason", ""), max_length=MAX_REASON + 1) if forcing else ""
    try:
        outcome = result_publish(school=school, actor=request.user, term=term, class_group=group, force_reason=reason)
    except AcademicsError as exc:
        refusal = {"class_group": group, "message": exc.message, "missing": exc.fields.get("missing", [])}
        if exc.code != AcademicsErrorCode.RESULTS_MISSING:
            refusal["reason_error"] = "; ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
        elif forcing:
            refusal["reason_error"] = gettext("Give the reason for publishing with scores missing.")
        return _page(request, terms=terms, term=term, refusal=refusal, status=exc.status_code)
    messages.success(request, outcome_message(outcome))
    return redirect(f"{reverse('results-publish', args=[school.slug])}?term={term.pk}")
