"""academics' tabs of a pupil's record: Attendance (the term so far: the rate, the days by kind and
the latest absences, with the officer's full history a link away) and Results (the published
report cards, and the latest one's subjects).

Both read what is recorded or published only; each look goes into the pupil's access log (schools'
open_student), as the officer's history and the card pages do."""

import datetime

from django.shortcuts import render
from django.views.decorators.http import require_GET

from classpoint.tenancy import school_view
from schools.record_pages import open_student

from . import selectors
from .attendance.registers import term_on
from .attendance.selectors import student_history
from .models import AbsenceCode
from .recovery.selectors import student_recovered_time
from .results import cards

Kind = AbsenceCode.Kind
RECENT_MARKS = 20
RESULTS = (cards.MANAGE, cards.PUBLISH, cards.ENTER)


def _term_so_far(school, today):
    """(term or None, first day, last day): the current term up to today, else the last 30 days."""
    term = term_on(school=school, date=today) or school.current_term()
    if term is not None and term.start_date <= today:
        return term, term.start_date, min(today, term.end_date)
    return None, today - datetime.timedelta(days=30), today


@require_GET
@school_view(perm="academics.view_attendance")
def student_attendance_tab(request, student_id):
    school = request.school
    student = open_student(request, student_id)
    today = school.local_today()
    term, start, end = _term_so_far(school, today)
    history = student_history(school=school, student=student, start=start, end=end)
    marks = [mark for _, day_marks in history.days for mark in day_marks if mark.kind != Kind.PRESENT or mark.note]
    marks.reverse()  # newest first
    marked_days = len(history.days)
    context = {
        "student": student,
        "tab": "attendance",
        "term": term,
        "start": start,
        "end": end,
        "totals": [(kind, label, history.totals.get(kind, 0)) for kind, label in Kind.choices],
        "rate_percent": None if history.rate is None else round(history.rate * 100, 1),
        "marked_days": marked_days,
        "attended_days": round((history.rate or 0) * marked_days),
        "marks": marks[:RECENT_MARKS],
        "more_marks": max(len(marks) - RECENT_MARKS, 0),
        "recovered": student_recovered_time(school=school, student=student),
    }
    return render(request, "academics/student_attendance_tab.html", context)


@require_GET
@school_view()
def student_results_tab(request, student_id):
    membership = request.membership
    if not any(membership.has_perm(perm) for perm in RESULTS):
        return render(request, "403.html", {"perm": " or ".join(RESULTS)}, status=403)
    school = request.school
    student = open_student(request, student_id)
    published = selectors.student_report_cards(school=school, student=student)
    for report in published:
        report.may_open = cards.may_see_class(membership=membership, class_group=report.class_group)
    latest = next((report for report in published if report.may_open), None)
    context = {
        "student": student,
        "tab": "results",
        "published": published,
        "latest": latest,
        # The latest card the member may open, worked out from the scores as it prints.
        "card": cards.report_card(school=school, term=latest.term, student=student) if latest else None,
    }
    return render(request, "academics/student_results_tab.html", context)
