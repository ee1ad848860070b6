"""Attendance through the SIS sync: pulled into the daily registers, or pushed to Aeries; the network
never called with a database transaction open; runs of one school at once (PostgreSQL)."""

import datetime

import pytest
import requests
from django.db import connection

from academics.attendance.registers import register_submit
from academics.models import AttendanceMark, SisConnection, SisLink, SyncRun
from academics.tests.sis_fakes import FakeAeries, FakeOneRoster, pupil_facts
from academics.tests.test_sis_sync import _quick_retries, aeries, connect, counts, run, synced  # noqa: F401
from classpoint.scoping import for_school
from classpoint.testing import run_concurrently
from schools.models import Enrollment, Student

pytestmark = pytest.mark.django_db
THURSDAY, WEDNESDAY = datetime.date(2026, 12, 3), datetime.date(2026, 12, 2)  # school days of the week before


def marks_on(school, date):
    marks = AttendanceMark.objects.filter(school=school, date=date, slot__isnull=True).select_related("code")
    return {m.student.admission_number: m for m in marks.select_related("student")}


def test_pulled_codes_become_register_marks_and_a_second_run_changes_nothing(school, aeries):
    SisConnection.objects.filter(school=school).update(attendance_direction="pull")
    aeries.attendance = {"99400001": [(THURSDAY, "A")], "99400002": [(THURSDAY, "I")], "99400003": [(WEDNESDAY, "T")]}
    result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED, result.message
    assert counts(result, "attendance") == {"created": 3}
    thursday = marks_on(school, THURSDAY)
    assert thursday["99400001"].code.code == "A"
    assert thursday["99400002"].code.code == "E"  # Aeries "I" (illness, a valid excuse): the school's excused code
    assert {m.code.code for n, m in thursday.items() if n not in ("99400001", "99400002")} == {"P"}
    assert len(thursday) == 25  # the whole homeroom's register: the SIS records absences only
    late = marks_on(school, WEDNESDAY)["99400003"]
    assert (late.code.code, late.minutes_late) == ("L", 1) and "minutes not given" in late.note
    assert counts(run(school), "attendance") == {"unchanged": 3}
    aeries.attendance["99400001"] = [(THURSDAY, "I")]
    assert counts(run(school), "attendance") == {"updated": 1, "unchanged": 2}
    assert marks_on(school, THURSDAY)["99400001"].code.code == "E"


def test_a_pulled_code_nobody_can_read_is_counted_failed(school, aeries):
    SisConnection.objects.filter(school=school).update(attendance_direction="pull")
    aeries.attendance = {"99400001": [(THURSDAY, "ZZ")], "42": [(THURSDAY, "A")]}
    result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED
    assert counts(result, "attendance") == {"failed": 2}
    assert {e["external_id"] for e in result.errors} == {"99400001@2026-12-03", "42@2026-12-03"}


def test_changed_marks_are_pushed_once(school, aeries):
    SisConnection.objects.filter(school=school).update(attendance_direction="push")
    run(school)
    assert aeries.pushed == []
    pupil = synced(school, pupil_facts(1))
    group = Enrollment.objects.get(student=pupil, status="active").class_group
    with for_school(school):
        register_submit(
            school=school,
            class_group=group,
            date=THURSDAY,
            marks=[{"student_id": pupil.pk, "code": "A"}],
            actor=None,
            reason="late register",
        )
    result = run(school)
    assert counts(result, "attendance_push") == {"created": 25}
    sent = {p["StudentID"]: p for p in aeries.pushed}
    assert sent["99400001"] == {
        "StudentID": "99400001",
        "CalendarDate": "2026-12-03T00:00:00",
        "AllDayAttendanceCode": "A",
    }
    assert sent["99400002"]["AllDayAttendanceCode"] == ""  # present: the SIS's code is cleared
    assert "attendance_push" not in run(school).counts  # nothing changed since


def test_a_push_the_sis_refuses_is_counted_and_the_roster_stays_written(school, aeries):
    SisConnection.objects.filter(school=school).update(attendance_direction="push")
    run(school)
    pupil = synced(school, pupil_facts(1))
    group = Enrollment.objects.get(student=pupil, status="active").class_group
    with for_school(school):
        register_submit(school=school, class_group=group, date=THURSDAY, marks=[], actor=None, reason="late")
    aeries.fail("/attendance/99400001", times=1, status=400)
    result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED
    assert counts(result, "attendance_push") == {"created": 24, "failed": 1}
    assert result.errors[0]["external_id"] == "99400001@2026-12-03"


def test_oneroster_has_no_attendance_but_its_roster_syncs(school, monkeypatch):
    with FakeOneRoster.generated(5) as fake:
        connect(school, monkeypatch, fake, attendance_direction="pull")
        result = run(school)
    assert result.status == SyncRun.Status.SUCCEEDED
    assert counts(result, "student") == {"created": 5} and counts(result, "attendance") == {"failed": 1}
    assert "OneRoster rostering carries no attendance" in result.errors[0]["message"]


@pytest.mark.django_db(transaction=True)
def test_the_sis_is_never_called_inside_a_transaction(school, monkeypatch):
    seen = []
    real = requests.Session.request

    def watched(self, method, url, **kwargs):
        seen.append((method, url.split("?")[0], connection.in_atomic_block))
        return real(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", watched)
    with FakeAeries.generated(30) as fake:
        connect(school, monkeypatch, fake, attendance_direction="push")
        first = run(school)
        pupil = synced(school, pupil_facts(1))
        group = Enrollment.objects.get(student=pupil, status="active").class_group
        with for_school(school):
            register_submit(school=school, class_group=group, date=THURSDAY, marks=[], actor=None, reason="late")
        second = run(school)
    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert any(method == "POST" for method, _, _ in seen)  # the push was watched too
    assert [call for call in seen if call[2]] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_school_at_once_write_one_after_the_other(school, monkeypatch):
    with FakeAeries.generated(30) as fake:
        connect(school, monkeypatch, fake)
        results = []
        errors = run_concurrently(lambda _: results.append(run(school)), [1, 2, 3])
    assert errors == [] and sorted(r.status for r in results) == ["succeeded"] * 3
    assert sorted(r.counts["student"]["created"] for r in results) == [0, 0, 30]
    assert Student.objects.filter(school=school, admission_number__startswith="994").count() == 30
    assert SisLink.objects.filter(school=school).count() == 30 * 3 + 2
