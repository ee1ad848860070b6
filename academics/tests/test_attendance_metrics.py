"""Attendance on /metrics: yesterday's rate per school from the sink, registers missing across every
school (a handful of queries, however many schools), truancy letters sent and SARB referrals."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY, generate_latest

from academics.attendance import registers
from academics.attendance.completeness import missing_by_school
from academics.interventions import scan, services
from academics.models import Intervention
from schools.tests import factories as f

from .factories import open_every_day

DAY = datetime.timedelta(days=1)


def open_all_year(school):
    open_every_day(school, year=(40, 200))
    return school.local_today(), school.class_groups.order_by("id").first()


def test_missing_registers_across_schools_in_a_fixed_number_of_queries(school, other_school):
    today, group = open_all_year(school)
    open_all_year(other_school)
    second = f.ClassGroupFactory(school=school, name="JSS 1B")
    f.enroll(f.StudentFactory(school=school), school.current_term(), second)
    registers.register_submit(school=school, class_group=group, date=today, marks=[], actor=None)
    with CaptureQueriesContext(connection) as one:
        counts = missing_by_school()
    assert counts[school.pk] == (1, 2) and counts[other_school.pk] == (1, 1)
    for n in range(5):
        extra = f.provision(f"extra{n}")
        open_all_year(extra) if extra.current_term() else None
    with CaptureQueriesContext(connection) as many:
        missing_by_school()
    assert len(many) == len(one)
    assert "classpoint_registers_missing 2.0" in generate_latest(REGISTRY).decode()


def test_yesterdays_rate_and_interventions_on_metrics(school, alice):
    today, group = open_all_year(school)
    pupil = school.enrollments.get(class_group=group).student
    for back in (3, 2, 1):
        registers.register_submit(
            school=school,
            class_group=group,
            date=today - back * DAY,
            marks=[{"student_id": pupil.pk, "code": "A" if back > 1 else "P"}],
            actor=None,
        )
    call_command("attendance_daily_aggregate", "--date", str(today - DAY), stdout=io.StringIO())
    registers.register_submit(
        school=school,
        class_group=group,
        date=today - 4 * DAY,
        marks=[{"student_id": pupil.pk, "code": "A"}],
        actor=None,
    )
    scan.interventions_scan(school=school)
    letter = Intervention.objects.get(school=school)
    text = generate_latest(REGISTRY).decode()
    assert 'classpoint_attendance_rate{school="greenfield"} 1.0' in text
    assert 'classpoint_truancy_letters_total{letter="letter_1"} 0.0' in text
    services.intervention_send(school=school, intervention_id=letter.pk, actor=alice)
    text = generate_latest(REGISTRY).decode()
    assert 'classpoint_truancy_letters_total{letter="letter_1"} 1.0' in text
    assert "classpoint_sarb_referrals_total 0.0" in text


pytestmark = pytest.mark.django_db
