"""The attendance officer's marks list (a class or the school over a span of days) and its CSV file;
the class broadsheet's file, linked from the report cards' class page and written to the access log."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.attendance import codes
from academics.models import AttendanceMark, Register
from classpoint.csv_testing import as_dicts, read_download
from classpoint.models import AuditLog
from schools.models import Enrollment, Membership, Role, Student
from schools.tests import factories as f

from .factories import submit
from .test_results_cards import fill_class

pytestmark = pytest.mark.django_db
URL = "/s/greenfield/attendance/marks/"


def _day(school, days_ago):
    return school.local_today() - datetime.timedelta(days=days_ago)


def _marked(school, group, *, pupils, days, start=0):
    """`pupils` more pupils in `group`, each marked present on the class's register of each of the
    last `days` days (written in bulk: the registers' own rules have their tests)."""
    term = school.current_term()
    present = next(c for c in codes.codes_for(school) if c.code == "P")
    students = Student.objects.bulk_create(
        [
            Student(
                school=school, admission_number=f"M{start + i:05d}", first_name=f"Kid{start + i}", last_name="Marked"
            )
            for i in range(pupils)
        ]
    )
    Enrollment.objects.bulk_create(
        [Enrollment(school=school, student=s, term=term, class_group=group) for s in students]
    )
    now = datetime.datetime.now(tz=datetime.UTC)
    for back in range(1, days + 1):
        date = _day(school, back)
        register, _ = Register.objects.get_or_create(
            school=school, class_group=group, date=date, slot=None, defaults={"term": term, "submitted_at": now}
        )
        AttendanceMark.objects.bulk_create(
            [
                AttendanceMark(
                    school=school, register=register, student=s, date=date, code=present, kind="present", marked_at=now
                )
                for s in students
            ]
        )


def test_officer_lists_and_exports_one_class_absences_over_a_span(
    school, officer, verified_client, attendance_term, group, pupils
):
    # given a pupil absent two days ago and late yesterday, and another class's absentee
    own, adeyemi, bello, _ = pupils
    submit(
        school,
        group,
        [{"student_id": adeyemi.pk, "code": "A", "note": "No word"}],
        date=_day(school, 2),
        reason="late entry",
    )
    submit(
        school,
        group,
        [{"student_id": adeyemi.pk, "code": "L", "minutes_late": 20}],
        date=_day(school, 1),
        reason="late entry",
    )
    other = f.ClassGroupFactory(school=school, name="JSS 3C")
    stranger = f.StudentFactory(school=school, last_name="Elsewhere")
    f.enroll(stranger, attendance_term, other)
    submit(school, other, [{"student_id": stranger.pk, "code": "A"}], date=_day(school, 2), reason="late entry")
    client = verified_client(officer)
    span = {"class_group": group.pk, "from": _day(school, 3).isoformat(), "to": _day(school, 1).isoformat()}
    # when the officer lists that class's absences, then exports them
    page = client.get(URL, {**span, "kind": "absent"})
    assert page.status_code == 200 and page.context["page"].paginator.count == 1
    assert "No word" in page.content.decode() and "Elsewhere" not in page.content.decode()
    rows = read_download(client.get(URL, {**span, "format": "csv"}))
    # then the file holds every mark of that class in the span, day by day, pupils by name
    assert rows[0] == [
        "Date",
        "Class",
        "Register",
        "Admission number",
        "Last name",
        "First name",
        "Code",
        "Mark",
        "Counts as",
        "Minutes late",
        "Note",
        "Marked at",
        "Marked by",
    ]
    marks = as_dicts(rows)
    assert len(marks) == 8 and {m["Class"] for m in marks} == {group.name}
    assert [m["Last name"] for m in marks[:4]] == sorted(p.last_name for p in pupils)
    absent = next(m for m in marks if m["Code"] == "A")
    assert (absent["Date"], absent["Last name"], absent["Counts as"], absent["Note"]) == (
        _day(school, 2).isoformat(),
        "Adeyemi",
        "Absent (unexcused)",
        "No word",
    )
    late = next(m for m in marks if m["Code"] == "L")
    assert late["Minutes late"] == "20" and late["Register"] == "Daily register"


def test_the_page_opens_on_the_term_so_far_and_a_backwards_span_is_a_field_error(
    school, officer, verified_client, attendance_term
):
    client = verified_client(officer)
    page = client.get(URL)
    assert page.context["start"] == attendance_term.start_date and page.context["end"] == school.local_today()
    bad = client.get(URL, {"from": "2026-12-01", "to": "2026-11-01"})
    assert bad.status_code == 200 and "“To” is before “From”." in bad.content.decode()
    long = client.get(URL, {"from": "2020-01-01", "to": "2026-11-01"})
    assert "Choose at most 400 days" in long.content.decode()
    since = client.get(URL, {"from": "1990-01-01"}).context
    assert (since["end"] - since["start"]).days == 399


def test_notes_a_spreadsheet_would_run_are_neutralised(
    school, officer, verified_client, attendance_term, group, pupils
):
    submit(school, group, [{"student_id": pupils[1].pk, "code": "A", "note": "=1+2"}], date=_day(school, 1), reason="x")
    marks = as_dicts(read_download(verified_client(officer).get(URL, {"kind": "absent", "format": "csv"})))
    assert [m["Note"] for m in marks] == ["'=1+2"]


def test_page_and_file_take_the_same_queries_for_50_or_500_marks(
    school, officer, verified_client, attendance_term, group
):
    client = verified_client(officer)
    client.get(URL)

    def queries():
        with CaptureQueriesContext(connection) as page:
            assert client.get(URL).status_code == 200
        with CaptureQueriesContext(connection) as export:
            rows = read_download(client.get(URL, {"format": "csv"}))
        return len(page), len(export), len(rows)

    _marked(school, group, pupils=5, days=10)
    few = queries()
    _marked(school, group, pupils=45, days=10, start=5)
    many = queries()
    assert (few[2], many[2]) == (51, 501)
    assert many[:2] == few[:2]


def test_the_file_is_in_the_access_log_and_holds_no_other_school(
    school, other_school, officer, verified_client, attendance_term, group, pupils
):
    submit(school, group, [], date=_day(school, 1), reason="x")
    foreign = other_school.class_groups.first()
    _marked(other_school, foreign, pupils=2, days=1)
    rows = as_dicts(read_download(verified_client(officer).get(URL, {"format": "csv"})))
    assert {r["Admission number"] for r in rows} == {p.admission_number for p in pupils}
    entry = AuditLog.objects.for_school(school).get(action="attendance.exported")
    assert entry.actor == officer and entry.changes["via"] == "export" and entry.changes["rows"] == 4
    assert entry.changes["filters"]["start"] == attendance_term.start_date.isoformat()


def test_who_may_list_and_who_may_take_the_file(school, charlie, teacher, verified_client, attendance_term):
    assert verified_client(charlie).get(URL).status_code == 404
    assert verified_client(teacher).get(URL).status_code == 403
    # A register manager without the logged per-pupil read sees the list but may not take the file.
    role = Role.objects.create(school=school, key="clerk", name="Clerk", permissions=["academics.manage_attendance"])
    clerk = f.UserFactory(username="clerk@greenfield.test")
    Membership.objects.create(school=school, user=clerk, role=role)
    page = verified_client(clerk).get(URL)
    assert page.status_code == 200 and "format=csv" not in page.content.decode()
    assert verified_client(clerk).get(URL, {"format": "csv"}).status_code == 403
    assert not AuditLog.objects.filter(action="attendance.exported").exists()


def test_the_list_links_to_its_export_with_the_span_shown(
    school, officer, verified_client, attendance_term, group, pupils
):
    submit(school, group, [], date=_day(school, 1), reason="x")
    html = verified_client(officer).get(URL, {"class_group": group.pk, "page": "1"}).content.decode()
    start, end = attendance_term.start_date.isoformat(), school.local_today().isoformat()
    assert (
        f'href="{URL}?class_group={group.pk}&amp;from={start}&amp;to={end}&amp;format=csv" download>Export CSV' in html
    )


def test_the_broadsheet_file_is_linked_from_the_class_page_and_logged(school, alice, verified_client, results):
    fill_class(results)
    client = verified_client(alice)
    page = client.get("/s/greenfield/results/cards/", {"term": results.term.pk, "class_group": results.group.pk})
    url = f"/s/greenfield/results/cards/{results.term.pk}/{results.group.pk}/broadsheet/"
    assert f'href="{url}?format=csv" download>Export CSV' in page.content.decode()
    rows = read_download(client.get(url, {"format": "csv"}))
    assert len(rows) == 1 + 4 + 1  # the header, the class's four pupils, the class averages
    entry = AuditLog.objects.for_school(school).get(action="broadsheet.exported")
    assert entry.changes == {
        "via": "export",
        "filters": {"term": str(results.term.pk), "class_group": str(results.group.pk)},
        "rows": 4,
    }
