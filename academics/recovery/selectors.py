"""Reads of recovery sessions: the lists the pages and the API show, a pupil's recovered time, and
the absences that time made up (for the interventions scan).

The school year is the academic session whose dates include the day; a day outside every session
(a summer school) counts in its calendar year. The yearly cap on credited minutes and "recovered
this year" both use it.

Recovered days, the rule (`made_up_days`): every 360 credited minutes (a school day of six hours)
make up one day of unexcused absence, the earliest first, and only an absence on or before the day
of the session that brought the minutes: time made up in October cannot excuse a truancy in
November. Minutes short of a whole day carry on to the pupil's next session, so two sessions of
three hours make up one day. Whether a made-up day still counts towards truancy is the school's
setting (`AttendancePolicy.recovered_days_count`); the scan reads it, these functions only answer.
"""

import datetime
from collections import deque
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from ..attendance.codes import policy_for
from ..models import AttendanceMark, RecoveryAssignment, RecoverySession

DAY_MINUTES = 360  # one school day of recovery: six hours, as the default cap (3,600 minutes) counts


def school_year(*, school, date):
    """(first day, last day) of the school year that includes `date`: its academic session, else
    its calendar year."""
    session = school.sessions.filter(start_date__lte=date, end_date__gte=date).order_by("-start_date").first()
    if session is not None:
        return session.start_date, session.end_date
    return datetime.date(date.year, 1, 1), datetime.date(date.year, 12, 31)


def minutes_text(minutes):
    """“3 h 20 min”, “45 min”, “2 h”, “0 min”."""
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def sessions_list(*, school, start=None, end=None, state=None):
    """The school's recovery sessions with `seats_taken`, by day and time (the id breaks ties), between
    two days when given."""
    sessions = RecoverySession.objects.for_school(school)
    if start is not None:
        sessions = sessions.filter(date__gte=start)
    if end is not None:
        sessions = sessions.filter(date__lte=end)
    if state:
        sessions = sessions.filter(state=state)
    return (
        sessions.select_related("teacher")
        .annotate(seats_taken=Count("assignments"))
        .order_by("date", "start_time", "id")
    )


def session_get(*, school, session_id):
    """One session of `school` with `seats_taken` and its assignments (pupils by name) as `seats`, or
    None: another school's id finds nothing."""
    session = sessions_list(school=school).filter(pk=session_id).first()
    if session is not None:
        session.seats = list(session_seats(school=school, session=session))
    return session


def session_seats(*, school, session):
    """The session's assignments with their pupils, by name."""
    return (
        RecoveryAssignment.objects.for_school(school)
        .filter(session=session)
        .select_related("student", "assigned_by")
        .order_by("student__last_name", "student__first_name", "student__admission_number", "id")
    )


def credited(*, school, student_ids, start, end, exclude_session=None):
    """{student_id: minutes credited} for sessions between `start` and `end` (all pupils named)."""
    assignments = RecoveryAssignment.objects.for_school(school).filter(
        student_id__in=student_ids,
        session__date__gte=start,
        session__date__lte=end,
        session__state=RecoverySession.State.SCHEDULED,
        minutes_credited__gt=0,
    )
    if exclude_session is not None:
        assignments = assignments.exclude(session=exclude_session)
    totals = dict(
        assignments.order_by()
        .values("student_id")
        .annotate(total=Sum("minutes_credited"))
        .values_list("student_id", "total")
    )
    return {student_id: totals.get(student_id, 0) for student_id in student_ids}


def recovered_minutes(*, school, student, start, end):
    """The minutes of recovery credited to `student` at sessions between `start` and `end`."""
    return credited(school=school, student_ids=[student.pk], start=start, end=end)[student.pk]


@dataclass(frozen=True)
class RecoveredTime:
    """A pupil's recovery in one school year: what was credited and the school's cap."""

    minutes: int
    cap_minutes: int
    start: datetime.date
    end: datetime.date

    @property
    def text(self):
        return minutes_text(self.minutes)

    @property
    def cap_text(self):
        return minutes_text(self.cap_minutes)

    @property
    def remaining_minutes(self):
        return max(0, self.cap_minutes - self.minutes)

    def __str__(self):
        return f"Recovered: {self.text} this year"


def student_recovered_time(*, school, student, on=None):
    """A pupil's recovered time in the school year that includes `on` (default: the school's today),
    for the pupil's attendance history: `str()` reads “Recovered: 3 h 20 min this year”."""
    on = on or school.local_today()
    start, end = school_year(school=school, date=on)
    minutes = recovered_minutes(school=school, student=student, start=start, end=end)
    return RecoveredTime(minutes=minutes, cap_minutes=policy_for(school).recovery_cap_minutes, start=start, end=end)


def made_up_days(absences, credits):
    """The absence days (sorted dates) that credits [(session day, minutes)] make up, by the rule in
    this module's docstring."""
    pending = deque(sorted(set(absences)))
    made_up, pool = [], 0
    for day, minutes in sorted(credits, key=lambda credit: credit[0]):
        pool += minutes
        while pool >= DAY_MINUTES and pending and pending[0] <= day:
            made_up.append(pending.popleft())
            pool -= DAY_MINUTES
    return made_up


def unexcused_absence_days(*, school, student_ids, start, end):
    """{student_id: [days]}: the days each pupil has a mark whose code counts towards truancy."""
    marks = (
        AttendanceMark.objects.for_school(school)
        .filter(student_id__in=student_ids, date__gte=start, date__lte=end, code__counts_toward_truancy=True)
        .order_by("student_id", "date")
        .values_list("student_id", "date")
        .distinct()
    )
    days = {}
    for student_id, day in marks:
        days.setdefault(student_id, []).append(day)
    return days


def recovered_days(*, school, session, student_ids=None, absences=None):
    """{student_id: [days]}: the unexcused absences each pupil made up in the school year `session`
    (an AcademicSession), earliest first; a pupil with none made up is not in the answer.

    `student_ids` narrows the pupils (default: every pupil with recovery credited that year).
    `absences` ({student_id: [days]}) gives the days the caller counts (the interventions scan may
    count late arrivals too); by default, the days with a mark whose code counts towards truancy.
    Two queries, whatever the number of pupils."""
    start, end = session.start_date, session.end_date
    rows = (
        RecoveryAssignment.objects.for_school(school)
        .filter(
            session__date__gte=start,
            session__date__lte=end,
            minutes_credited__gt=0,
            session__state=RecoverySession.State.SCHEDULED,
        )
        .order_by("student_id", "session__date", "session__start_time", "id")
        .values_list("student_id", "session__date", "minutes_credited")
    )
    if student_ids is not None:
        rows = rows.filter(student_id__in=list(student_ids))
    credits = {}
    for student_id, day, minutes in rows:
        credits.setdefault(student_id, []).append((day, minutes))
    if not credits:
        return {}
    if absences is None:
        absences = unexcused_absence_days(school=school, student_ids=list(credits), start=start, end=end)
    answer = {}
    for student_id, pupil_credits in credits.items():
        days = made_up_days(absences.get(student_id, ()), pupil_credits)
        if days:
            answer[student_id] = days
    return answer


def active_counts(*, school, today):
    """(today's sessions, later ones), not cancelled: the recovery list's header."""
    counts = RecoverySession.objects.for_school(school).aggregate(
        today=Count("id", filter=Q(date=today, state=RecoverySession.State.SCHEDULED)),
        later=Count("id", filter=Q(date__gt=today, state=RecoverySession.State.SCHEDULED)),
    )
    return counts["today"], counts["later"]
