"""Taking registers: who is on them, marks, edits, corrections and the same-day alert events."""

import datetime

import pytest

from academics.attendance import codes, registers, selectors
from academics.errors import AcademicsError, AcademicsErrorCode
from academics.models import AttendanceMark, Register
from classpoint.models import AuditLog, OutboxEvent
from schools.models import Enrollment, Term
from schools.tests import factories as f

from .factories import enrol_pupils, submit


@pytest.fixture
def pupils(school, attendance_term, group):
    return enrol_pupils(school, attendance_term, group, guardians=True)


def test_first_submission_marks_everyone_present_unless_marked(school, group, pupils, teacher):
    a, b = pupils[1], pupils[2]
    register = submit(
        school,
        group,
        [{"student_id": a.pk, "code": "A"}, {"student_id": b.pk, "code": "L", "minutes_late": 25}],
        teacher,
    )
    marks = {m.student_id: m for m in register.marks.all()}
    assert len(marks) == len(pupils)
    assert marks[a.pk].kind == "absent" and marks[b.pk].kind == "late" and marks[b.pk].minutes_late == 25
    assert {marks[p.pk].kind for p in pupils if p not in (a, b)} == {"present"}
    assert register.is_submitted and register.submitted_by == teacher
    entry = AuditLog.objects.get(action="attendance.register_submitted")
    assert entry.changes == {"present": 2, "absent": 1, "excused": 0, "late": 1}


def test_one_alert_per_pupil_per_day_however_often_edited_and_a_withdrawal(school, group, pupils, teacher):
    a = pupils[1]
    submit(school, group, [{"student_id": a.pk, "code": "A"}], teacher)
    submit(school, group, [{"student_id": a.pk, "code": "A", "note": "no word from home"}], teacher)
    submit(school, group, [{"student_id": a.pk, "code": "L", "minutes_late": 40}], teacher)
    alerts = OutboxEvent.objects.filter(school=school, event_type="attendance.absence.recorded")
    assert alerts.count() == 1 and alerts.get().payload["student_id"] == a.pk
    submit(school, group, [{"student_id": a.pk, "code": "P"}], teacher)
    submit(school, group, [{"student_id": a.pk, "code": "P", "note": "came in"}], teacher)
    withdrawn = OutboxEvent.objects.filter(school=school, event_type="attendance.absence.withdrawn")
    assert withdrawn.count() == 1


def test_late_under_the_threshold_alerts_no_one(school, group, pupils, teacher):
    policy = codes.policy_for(school)
    submit(
        school, group, [{"student_id": pupils[1].pk, "code": "L", "minutes_late": policy.late_alert_minutes}], teacher
    )
    assert not OutboxEvent.objects.filter(event_type="attendance.absence.recorded").exists()


def test_bad_marks_get_field_errors_and_change_nothing(school, other_school, group, pupils, teacher):
    stranger = f.StudentFactory(school=other_school)
    with pytest.raises(AcademicsError) as caught:
        submit(
            school,
            group,
            [
                {"student_id": pupils[1].pk, "code": "ZZ"},
                {"student_id": pupils[2].pk, "code": "L"},
                {"student_id": stranger.pk, "code": "A"},
            ],
            teacher,
        )
    assert caught.value.code == AcademicsErrorCode.INVALID_MARKS
    assert set(caught.value.fields) == {f"marks.{pupils[1].pk}", f"marks.{pupils[2].pk}", f"marks.{stranger.pk}"}
    assert not Register.objects.exists() and not AttendanceMark.objects.exists()


def test_future_days_and_days_outside_a_term_have_no_register(school, group, pupils, attendance_term):
    with pytest.raises(AcademicsError) as caught:
        submit(school, group, [], date=school.local_today() + datetime.timedelta(days=1))
    assert caught.value.code == AcademicsErrorCode.REGISTER_IN_FUTURE
    with pytest.raises(AcademicsError) as caught:
        submit(school, group, [], date=attendance_term.start_date - datetime.timedelta(days=1))
    assert caught.value.code == AcademicsErrorCode.NO_TERM
    policy = codes.policy_for(school)
    policy.school_days = [day for day in range(1, 8) if day != school.local_today().isoweekday()]
    policy.save()
    with pytest.raises(AcademicsError) as caught:
        submit(school, group, [])
    assert caught.value.code == AcademicsErrorCode.NOT_A_SCHOOL_DAY


def test_a_closed_day_changes_only_with_a_reason_and_the_audit_keeps_it(school, group, pupils, teacher):
    yesterday = school.local_today() - datetime.timedelta(days=1)
    submit(school, group, [], teacher, date=yesterday)
    with pytest.raises(AcademicsError) as caught:
        submit(school, group, [{"student_id": pupils[1].pk, "code": "E-ILL"}], teacher, date=yesterday)
    assert caught.value.code == AcademicsErrorCode.REASON_REQUIRED and "reason" in caught.value.fields
    submit(
        school, group, [{"student_id": pupils[1].pk, "code": "E-ILL"}], teacher, date=yesterday, reason="Doctor's note"
    )
    edit = AuditLog.objects.get(action="attendance.register_edited")
    assert edit.changes["reason"] == "Doctor's note"
    assert edit.changes["marks"] == {pupils[1].admission_number: ["P", "E-ILL"]}
    # A past day's register asks for no same-day alert.
    assert not OutboxEvent.objects.filter(event_type__startswith="attendance.").exists()


def test_a_pupil_who_left_is_on_past_registers_only(school, group, pupils, attendance_term, teacher):
    leaver = pupils[3]
    enrollment = Enrollment.objects.get(student=leaver, term=attendance_term)
    enrollment.status, enrollment.ended_on = Enrollment.Status.ENDED, school.local_today() - datetime.timedelta(days=7)
    enrollment.save()
    today = school.local_today()
    assert leaver not in registers.pupils_on(school=school, class_group=group, term=attendance_term, date=today)
    assert leaver in registers.pupils_on(
        school=school, class_group=group, term=attendance_term, date=today - datetime.timedelta(days=8)
    )
    with pytest.raises(AcademicsError):
        submit(school, group, [{"student_id": leaver.pk, "code": "A"}], teacher)


def test_a_correction_needs_a_reason(school, group, pupils, teacher):
    register = submit(school, group, [], teacher)
    mark = register.marks.get(student=pupils[1])
    with pytest.raises(AcademicsError) as caught:
        registers.mark_correct(school=school, mark=mark, code="A", actor=teacher, reason=" ")
    assert caught.value.code == AcademicsErrorCode.REASON_REQUIRED
    registers.mark_correct(school=school, mark=mark, code="A", actor=teacher, reason="Left at break")
    mark.refresh_from_db()
    assert mark.kind == "absent"


def test_another_schools_class_has_no_register_here(school, other_school, attendance_term):
    theirs = other_school.class_groups.first()
    with pytest.raises(AcademicsError) as caught:
        submit(school, theirs, [])
    assert caught.value.code == AcademicsErrorCode.CLASS_GROUP_NOT_FOUND


def test_term_dates_come_from_the_term(school, attendance_term):
    assert registers.term_on(school=school, date=school.local_today()) == attendance_term
    assert Term.objects.filter(school=school).count() == 1


def test_a_day_asks_for_each_class_register_and_knows_which_are_taken(school, group, pupils, teacher, attendance_term):
    empty = f.ClassGroupFactory(school=school, name="No pupils")  # a class with nobody has no register
    today = school.local_today()
    before = selectors.sittings_on(school=school, date=today)
    assert [(s.class_group, s.taken) for s in before] == [(group, False)] and empty not in [
        s.class_group for s in before
    ]
    submit(school, group, [], teacher)
    assert selectors.missing_on(school=school, date=today) == []
    assert selectors.sittings_on(school=school, date=attendance_term.start_date - datetime.timedelta(days=3)) == []
    policy = codes.policy_for(school)
    policy.school_days = [day for day in range(1, 8) if day != today.isoweekday()]
    policy.save()
    assert selectors.sittings_on(school=school, date=today) == []  # the school is closed on this weekday


def test_a_pupils_history_counts_each_day_once_with_its_rate(school, group, pupils, teacher):
    today = school.local_today()
    pupil = pupils[1]
    for days_ago, code in ((3, "A"), (2, "E-ILL"), (1, "IS"), (0, "P")):
        date = today - datetime.timedelta(days=days_ago)
        submit(school, group, [{"student_id": pupil.pk, "code": code}], teacher, date=date)
    history = selectors.student_history(
        school=school, student=pupil, start=today - datetime.timedelta(days=30), end=today
    )
    assert len(history.days) == 4
    assert history.totals == {"present": 2, "absent": 1, "excused": 1, "late": 0}
    assert history.rate == 0.5  # present today and on independent study; absent and excused the other two
