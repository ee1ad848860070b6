"""The queue: drafts to send, letters awaiting acknowledgement and open SARB cases; and running the
scan now."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from classpoint.forms import error_summary
from classpoint.tenancy import school_view
from schools.selectors import attach_classes

from ..interventions.scan import interventions_scan, session_on
from .common import MANAGE, Kind, State, school_interventions

# A section of the queue shows this many rows; the rest are a click away on the filtered list.
SECTION_ROWS = 50
PER_PAGE = 50
# What the scan drafted, counted by kind ("2 first letters").
DRAFTED = {
    Kind.LETTER_1: ngettext_lazy("%(n)s first letter", "%(n)s first letters", "n"),
    Kind.LETTER_2: ngettext_lazy("%(n)s second letter", "%(n)s second letters", "n"),
    Kind.LETTER_3: ngettext_lazy("%(n)s third letter", "%(n)s third letters", "n"),
    Kind.SARB_REFERRAL: ngettext_lazy("%(n)s SARB referral", "%(n)s SARB referrals", "n"),
}


class QueueFilter(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Open: to act on")), *State.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Every kind")), *Kind.choices])


def _sections(school, kind):
    """The open work, most urgent first in each: drafts by the day the threshold was crossed,
    letters sent and SARB cases by the day they went out."""
    found = school_interventions(school)
    if kind:
        found = found.filter(kind=kind)
    sections = [
        (
            "drafts",
            gettext("Drafts to send"),
            found.filter(state=State.DRAFT).order_by("crossed_on", "id"),
            {"state": State.DRAFT},
            gettext("No draft waits to be sent. The scan drafts a letter when a pupil crosses a threshold."),
        ),
        (
            "sent",
            gettext("Letters sent, awaiting acknowledgement"),
            found.filter(state=State.SENT).exclude(kind=Kind.SARB_REFERRAL).order_by("sent_at", "id"),
            {"state": State.SENT},
            gettext("No letter waits for the family’s acknowledgement."),
        ),
        (
            "sarb",
            gettext("SARB cases open"),
            found.filter(kind=Kind.SARB_REFERRAL, state__in=[State.SENT, State.ACKNOWLEDGED]).order_by("sent_at", "id"),
            {"state": State.SENT, "kind": Kind.SARB_REFERRAL},
            gettext("No pupil is referred to the School Attendance Review Board."),
        ),
    ]
    shown = []
    for key, title, queryset, query, empty in sections:
        if kind and kind != Kind.SARB_REFERRAL and key == "sarb":
            continue
        if kind == Kind.SARB_REFERRAL and key == "sent":
            continue
        rows = list(queryset[: SECTION_ROWS + 1])
        count = len(rows) if len(rows) <= SECTION_ROWS else queryset.count()
        shown.append(
            {
                "key": key,
                "title": title,
                "rows": rows[:SECTION_ROWS],
                "count": count,
                "more_url": "?" + urlencode({**({"kind": kind} if kind else {}), **query}),
                "empty": empty,
                "show_sent": key != "drafts",
                "sent_label": gettext("Referred") if key == "sarb" else gettext("Sent"),
            }
        )
    return shown


@require_GET
@school_view(perm=MANAGE)
def intervention_list(request):
    """The queue: drafts to send, letters awaiting acknowledgement and open SARB cases; with a
    state chosen, every intervention in that state, a page at a time."""
    school = request.school
    form = QueueFilter(request.GET)
    state = kind = ""
    if form.is_valid():
        state, kind = form.cleaned_data["state"], form.cleaned_data["kind"]
    context = {"form": form, "summary": error_summary(form), "state": state, "kind": kind}
    rows = []
    if state:
        found = school_interventions(school).filter(state=state)
        if kind:
            found = found.filter(kind=kind)
        page = Paginator(found.order_by("-created_at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
        context.update(
            page=page, rows=rows, query_string=urlencode({"state": state, **({"kind": kind} if kind else {})})
        )
        context["state_label"] = State(state).label
    else:
        context["sections"] = sections = _sections(school, kind)
        rows = [row for section in sections for row in section["rows"]]
    attach_classes([row.student for row in rows], school=school, term=school.current_term())
    context["kind_label"] = Kind(kind).label if kind else ""
    return render(request, "academics/interventions/list.html", context)


@require_POST
@school_view(perm=MANAGE)
def intervention_scan_now(request):
    """Run the daily scan now, for the school's today; the message says what it drafted."""
    school = request.school
    today = school.local_today()
    if session_on(school=school, date=today) is None:
        day = f"{today:%A} {today.day} {today:%B %Y}"
        messages.error(request, gettext("No school year includes %(day)s: nothing to scan.") % {"day": day})
        return redirect("intervention-list", school.slug)
    result = interventions_scan(school=school, date=today, actor=request.user)
    created, cancelled = result["created"], result["cancelled"]
    drafted = [DRAFTED[kind] % {"n": created[kind]} for kind in Kind.values if created.get(kind)]
    if drafted:
        said = gettext("The scan drafted %(drafts)s") % {"drafts": _and(drafted)}
    else:
        said = gettext("The scan found no new threshold crossed")
    if cancelled:
        said += "; " + ngettext(
            "it cancelled %(n)s draft that corrections left short of the days it needed",
            "it cancelled %(n)s drafts that corrections left short of the days they needed",
            cancelled,
        ) % {"n": cancelled}
    messages.success(request, said + ".")
    return redirect("intervention-list", school.slug)


def _and(parts):
    if len(parts) == 1:
        return parts[0]
    return gettext("%(others)s and %(last)s") % {"others": ", ".join(parts[:-1]), "last": parts[-1]}
