"""The daily sink and the summary: counts per class and day, each pupil's day once, idempotent
rewrites, small groups suppressed, and nothing that names a pupil."""

import datetime
import io

import pytest
from django.core.management import call_command

from academics.attendance import codes, daily, registers, summary
from academics.models import AttendanceDaily
from schools.tests import factories as f


@pytest.fixture
def setup(school, attendance_term, group):
    today, big = school.local_today(), group
    policy = codes.policy_for(school)
    policy.min_group_size = 3
    policy.save()
    pupils = [e.student for e in school.enrollments.filter(class_group=big)]
    for _ in range(5):
        pupil = f.StudentFactory(school=school)
        f.enroll(pupil, attendance_term, big)
        pupils.append(pupil)
    small = f.ClassGroupFactory(school=school, name="French set", level="JSS 2")
    lone = f.StudentFactory(school=school)
    f.enroll(lone, attendance_term, small)
    return today, big, small, pupils, lone


def take(school, group, date, marks):
    return registers.register_submit(school=school, class_group=group, date=date, marks=marks, actor=None)


def test_the_sink_counts_each_pupils_day_once_and_rewrites_idempotently(school, setup):
    today, big, small, pupils, lone = setup
    day = today - datetime.timedelta(days=2)
    take(
        school,
        big,
        day,
        [
            {"student_id": pupils[0].pk, "code": "A"},
            {"student_id": pupils[1].pk, "code": "L", "minutes_late": 5},
            {"student_id": pupils[2].pk, "code": "IS"},
        ],
    )
    assert daily.daily_aggregate(school=school, start=day) == 2  # both classes have pupils on roll
    row = AttendanceDaily.objects.get(school=school, class_group=big, date=day)
    assert (row.on_roll, row.marked, row.present, row.absent, row.late, row.attended) == (6, 6, 4, 1, 1, 5)
    daily.daily_aggregate(school=school, start=day)
    assert AttendanceDaily.objects.filter(school=school, date=day).count() == 2
    # A correction of a closed day rewrites its row at once.
    mark = row.class_group.registers.get(date=day).marks.get(student=pupils[0])
    registers.mark_correct(school=school, mark=mark, code="E-ILL", actor=None, reason="Doctor's note")
    row.refresh_from_db()
    assert (row.absent, row.excused) == (0, 1)


def test_the_summary_suppresses_small_groups_and_names_no_pupil(school, setup):
    today, big, small, pupils, lone = setup
    for back in (3, 2, 1):
        day = today - datetime.timedelta(days=back)
        take(school, big, day, [{"student_id": pupils[0].pk, "code": "A"}])
        take(school, small, day, [{"student_id": lone.pk, "code": "A"}])
    call_command(
        "attendance_daily_aggregate",
        "--from",
        str(today - datetime.timedelta(days=5)),
        "--school",
        school.slug,
        stdout=io.StringIO(),
    )
    take(school, big, today, [])  # today is computed live, not read from the sink
    rows = summary.attendance_summary(
        school=school, start=today - datetime.timedelta(days=5), end=today, group_by="class_group"
    )
    by_label = {row.label: row for row in rows}
    assert (
        by_label["French set"].suppressed
        and by_label["French set"].figures is None
        and by_label["French set"].group_size is None
    )
    assert by_label[big.name].figures["marked"] == 24 and by_label[big.name].figures["absent"] == 3
    assert by_label[big.name].rate == round(21 / 24, 4)
    days = summary.attendance_summary(
        school=school, start=today - datetime.timedelta(days=5), end=today, group_by="day"
    )
    assert [row.key for row in days][-1] == today.isoformat()
    names = {p.first_name for p in pupils} | {p.last_name for p in pupils}
    for row in rows + days:
        assert row.label not in names and row.key not in names


def test_the_nightly_job_runs_at_each_schools_own_hour(school, setup, settings):
    today, big, small, pupils, lone = setup
    yesterday = today - datetime.timedelta(days=1)
    take(school, big, yesterday, [])
    settings.KPI_AGGREGATE_LOCAL_HOUR = 2
    local = datetime.datetime.combine(today, datetime.time(1, 30), tzinfo=school.tzinfo)
    assert school.slug not in daily.daily_aggregate_due_schools(now=local)["aggregated"]
    assert school.slug in daily.daily_aggregate_due_schools(now=local + datetime.timedelta(hours=1))["aggregated"]
    assert AttendanceDaily.objects.filter(school=school, date=yesterday).exists()
    # Later the same day: already written, nothing to catch up.
    assert school.slug not in daily.daily_aggregate_due_schools(now=local + datetime.timedelta(hours=5))["aggregated"]
