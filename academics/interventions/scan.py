"""The interventions scan: which pupils crossed a truancy threshold this school year, drafted once.

Rules (the school's AttendancePolicy; California's defaults): a school day counts when the pupil's
mark that day is an absence whose code counts toward truancy (unexcused), or a late arrival of more
than `truancy_late_minutes`. At `truancy_days` such days the pupil is truant: letter 1. One more
day after that brings letter 2, one more letter 3 (habitual truant) with a SARB referral candidate.
Each letter waits for the one before it to have gone out, as the law's sequence of notices does.
Days made up in recovery sessions do not count unless the school says they do.

Idempotent: an intervention exists once per pupil, year and kind (a partial unique constraint), so a
second scan, or two at once, draft nothing twice. A draft whose crossing a correction has removed is
cancelled; one already sent stays, since the family has it.
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from classpoint.audit import audit
from classpoint.scoping import for_school, unscoped
from schools.models import AcademicSession, School

from ..attendance.codes import policy_for
from ..models import AbsenceCode, AttendanceMark, Intervention
from ..recovery.selectors import recovered_days

log = logging.getLogger(__name__)
Kind = Intervention.Kind
State = Intervention.State
GONE_OUT = (State.SENT, State.ACKNOWLEDGED, State.CLOSED)
# Each kind, the letter that must have gone out first, and how many days past the threshold it needs.
LADDER = [
    (Kind.LETTER_1, None, 0),
    (Kind.LETTER_2, Kind.LETTER_1, 1),
    (Kind.LETTER_3, Kind.LETTER_2, 2),
    (Kind.SARB_REFERRAL, Kind.LETTER_2, 2),
]


def session_on(*, school, date):
    return (
        AcademicSession.objects.for_school(school)
        .filter(start_date__lte=date, end_date__gte=date)
        .order_by("-start_date")
        .first()
    )


def truant_days(*, school, session, upto, policy=None, student_ids=None):
    """student_id -> the school days (in order) that count toward truancy, from the start of the
    school year to `upto`, less the days made up in recovery when the school does not count them."""
    policy = policy or policy_for(school)
    counting = Q(kind=AbsenceCode.Kind.ABSENT, code__counts_toward_truancy=True) | Q(
        kind=AbsenceCode.Kind.LATE, minutes_late__gt=policy.truancy_late_minutes
    )
    marks = AttendanceMark.objects.for_school(school).filter(counting, date__gte=session.start_date, date__lte=upto)
    if student_ids is not None:
        marks = marks.filter(student_id__in=student_ids)
    days = defaultdict(list)
    for student_id, date in marks.values_list("student_id", "date").distinct().order_by("student_id", "date"):
        days[student_id].append(date)
    if not policy.recovered_days_count and days:
        # The recovery rule (academics.recovery.selectors): earliest counted days first, one school
        # day made up per day's worth of credited minutes.
        made_up = recovered_days(school=school, session=session, student_ids=list(days), absences=days)
        for student_id, recovered in made_up.items():
            recovered = set(recovered)
            days[student_id] = [d for d in days[student_id] if d not in recovered]
    return {sid: dates for sid, dates in days.items() if dates}


@transaction.atomic
def interventions_scan(*, school, date=None, actor=None):
    """Draft the interventions the year's truant days call for up to `date` (default: the school's
    today), and cancel drafts that no longer stand. Returns {"created": {kind: n}, "cancelled": n}."""
    date = date or school.local_today()
    session = session_on(school=school, date=date)
    if session is None:
        return {"created": {}, "cancelled": 0}
    policy = policy_for(school)
    days = truant_days(school=school, session=session, upto=date, policy=policy)
    standing = defaultdict(dict)
    live = Intervention.objects.for_school(school).filter(session=session).exclude(state=State.CANCELLED)
    for intervention in live:
        standing[intervention.student_id][intervention.kind] = intervention
    created, cancelled = defaultdict(int), 0
    drafts = []
    for student_id in sorted(set(days) | set(standing)):
        counted = days.get(student_id, [])
        mine = standing.get(student_id, {})
        for kind, before, extra in LADDER:
            needed = policy.truancy_days + extra
            existing = mine.get(kind)
            if existing is not None:
                if existing.state == State.DRAFT and len(counted) < needed:
                    existing.state = State.CANCELLED
                    existing.note = (
                        f"Cancelled by the scan of {date}: after corrections {len(counted)} of the {needed} "
                        "days it needed still count."
                    )
                    existing.save(update_fields=["state", "note"])
                    audit(
                        school=school,
                        actor=actor,
                        action="intervention.cancelled",
                        target=existing,
                        changes={"days": len(counted)},
                    )
                    cancelled += 1
                continue
            ready = before is None or (mine.get(before) is not None and mine[before].state in GONE_OUT)
            if len(counted) >= needed and ready:
                drafts.append(
                    Intervention(
                        school=school,
                        student_id=student_id,
                        session=session,
                        kind=kind,
                        crossed_on=counted[needed - 1],
                        counted_days=[d.isoformat() for d in counted[:needed]],
                    )
                )
    for draft in drafts:
        # A concurrent scan may draft the same one first: the constraint keeps one, and it is theirs.
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            continue
        created[draft.kind] += 1
        audit(
            school=school,
            actor=actor,
            action="intervention.drafted",
            target=draft,
            changes={"kind": draft.kind, "days": len(draft.counted_days)},
        )
    return {"created": dict(created), "cancelled": cancelled}


def interventions_scan_due_schools(now=None):
    """The hourly schedule behind "daily": each active school is scanned when its clock shows
    settings.ATTENDANCE_SCAN_LOCAL_HOUR (04:00, before the officer's morning), for its yesterday's
    registers and every correction since. One school's failure is logged and does not stop the
    others. Returns {"scanned": [slugs], "failed": [slugs]}."""
    now = now or timezone.now()
    with unscoped(reason="the daily interventions scan serves every active school"):
        schools = list(School.objects.filter(status=School.Status.ACTIVE).order_by("slug"))
    scanned, failed = [], []
    for school in schools:
        if now.astimezone(school.tzinfo).hour != settings.ATTENDANCE_SCAN_LOCAL_HOUR:
            continue
        try:
            with for_school(school):
                interventions_scan(school=school)
            scanned.append(school.slug)
        except Exception:  # noqa: BLE001 - one school's failure must not leave the others unscanned
            log.exception("interventions scan failed for %s", school.slug)
            failed.append(school.slug)
    return {"scanned": scanned, "failed": failed}
