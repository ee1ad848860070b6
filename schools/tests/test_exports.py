"""The students list as a CSV file: the pupils the list's filters find (every page), each with their
class this term and their guardians, formula-safe, streamed, recorded in the access log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.csv_testing import as_dicts, read_download
from classpoint.models import AuditLog
from schools.models import Enrollment, Guardian, Membership, Role, Student, StudentGuardian
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/s/greenfield/students/"


def _pupils(school, n, *, start=0, guardians=1, group=None):
    """`n` pupils in the current term's class `group`, each with `guardians` guardians (the first primary)."""
    term = school.current_term()
    group = group or school.class_groups.first()
    students = Student.objects.bulk_create(
        [
            Student(school=school, admission_number=f"X{start + i:05d}", first_name=f"Kid{start + i}", last_name="Bulk")
            for i in range(n)
        ]
    )
    Enrollment.objects.bulk_create(
        [Enrollment(school=school, student=s, term=term, class_group=group) for s in students]
    )
    made = Guardian.objects.bulk_create(
        [
            Guardian(
                school=school, first_name=f"G{k}", last_name=s.admission_number, phone=f"+2348031{start + i:03d}{k:03d}"
            )
            for i, s in enumerate(students)
            for k in range(guardians)
        ]
    )
    StudentGuardian.objects.bulk_create(
        [
            StudentGuardian(school=school, student=s, guardian=made[i * guardians + k], is_primary=k == 0)
            for i, s in enumerate(students)
            for k in range(guardians)
        ]
    )
    return students


def test_admin_exports_the_filtered_students_with_their_class_and_guardians(school, alice, verified_client):
    # given a pupil with a primary guardian and a second one, and a pupil of another class
    group = f.ClassGroupFactory(school=school, name="JSS 2B")
    pupil = f.StudentFactory(school=school, admission_number="GFA/0100", first_name="Chiamaka", last_name="Okafor")
    f.enroll(pupil, school.current_term(), group)
    father = f.GuardianFactory(school=school, first_name="Emeka", last_name="Okafor", relationship="Father")
    mother = f.GuardianFactory(
        school=school, first_name="Ngozi", last_name="Okafor", relationship="Mother", email="ngozi@example.ng"
    )
    f.link(pupil, father, primary=False)
    f.link(pupil, mother, primary=True)
    # when the admin exports the list filtered to that class
    rows = read_download(verified_client(alice).get(URL, {"class_group": group.pk, "format": "csv"}))
    # then the file is that class's pupil alone, the primary guardian first, as the import names columns
    header, *data = rows
    assert header[:8] == [
        "Admission number",
        "First name",
        "Last name",
        "Other names",
        "Date of birth",
        "Gender",
        "Class",
        "Status",
    ]
    assert header[8:13] == [
        "Guardian 1 first name",
        "Guardian 1 last name",
        "Guardian 1 relationship",
        "Guardian 1 phone",
        "Guardian 1 email",
    ]
    assert len(header) == 8 + 2 * 5
    (row,) = as_dicts(rows)
    assert row["Admission number"] == "GFA/0100" and row["Class"] == "JSS 2B" and row["Status"] == "Active"
    assert row["Date of birth"] == "2013-05-01" and row["Gender"] == "Female"
    assert (row["Guardian 1 first name"], row["Guardian 1 relationship"], row["Guardian 1 email"]) == (
        "Ngozi",
        "Mother",
        "ngozi@example.ng",
    )
    assert row["Guardian 2 first name"] == "Emeka" and row["Guardian 2 phone"] == "'" + father.phone
    assert len(data) == 1


def test_the_file_has_as_many_guardian_columns_as_the_most_guarded_pupil(school, alice, verified_client):
    _pupils(school, 2, guardians=3)
    rows = read_download(verified_client(alice).get(URL, {"q": "bulk", "format": "csv"}))
    assert rows[0][-5:] == [f"Guardian 3 {s}" for s in ("first name", "last name", "relationship", "phone", "email")]
    assert [row["Guardian 3 first name"] for row in as_dicts(rows)] == ["G2", "G2"]


def test_the_export_honours_search_status_and_class_like_the_list(school, alice, verified_client):
    kids = _pupils(school, 3)
    Student.objects.filter(pk=kids[0].pk).update(status=Student.Status.WITHDRAWN)
    client = verified_client(alice)
    searched = as_dicts(read_download(client.get(URL, {"q": "kid1", "format": "csv"})))
    assert [r["Admission number"] for r in searched] == ["X00001"]
    withdrawn = as_dicts(read_download(client.get(URL, {"status": "withdrawn", "format": "csv"})))
    assert [r["Admission number"] for r in withdrawn] == ["X00000"]
    listed = client.get(URL, {"status": "active"}).context["page"].paginator.count
    assert len(as_dicts(read_download(client.get(URL, {"status": "active", "format": "csv"})))) == listed == 3


def test_cells_that_a_spreadsheet_would_run_are_neutralised(school, alice, verified_client):
    pupil = school.students.get(admission_number="GFA/0001")
    Student.objects.filter(pk=pupil.pk).update(last_name='=HYPERLINK("http://evil.test","x")')
    Guardian.objects.filter(student_links__student=pupil).update(first_name="@SUM(A1)", relationship="-1+2")
    (row,) = as_dicts(read_download(verified_client(alice).get(URL, {"q": "gfa/0001", "format": "csv"})))
    assert row["Last name"] == '\'=HYPERLINK("http://evil.test","x")'
    assert row["Guardian 1 first name"] == "'@SUM(A1)" and row["Guardian 1 relationship"] == "'-1+2"


def test_the_export_takes_the_same_queries_for_50_or_500_pupils(school, alice, verified_client):
    client = verified_client(alice)
    client.get(URL)  # a session's first request does one-off work

    def queries():
        with CaptureQueriesContext(connection) as captured:
            rows = read_download(client.get(URL, {"format": "csv"}))
        return len(captured), len(rows)

    _pupils(school, 50, guardians=2)
    few, few_rows = queries()
    _pupils(school, 450, start=50, guardians=2)
    many, many_rows = queries()
    assert (few_rows, many_rows) == (52, 502)  # the header and the conftest pupil too
    assert many == few


def test_the_export_is_written_to_the_access_log_with_its_filters_and_count(school, alice, verified_client):
    _pupils(school, 4)
    read_download(verified_client(alice).get(URL, {"q": "bulk", "status": "active", "format": "csv"}))
    entry = AuditLog.objects.for_school(school).get(action="students.exported")
    assert entry.actor == alice
    assert entry.changes == {"via": "export", "filters": {"q": "bulk", "status": "active"}, "rows": 4}


def test_another_schools_pupils_and_guardians_never_appear(school, other_school, alice, verified_client):
    body = "\n".join(",".join(r) for r in read_download(verified_client(alice).get(URL, {"format": "csv"})))
    assert "GFA/0001" in body
    assert "RVC" not in body
    foreign = Guardian.objects.for_school(other_school).first()
    assert foreign.phone not in body


def test_another_schools_admin_gets_404_and_no_file(school, charlie, verified_client):
    assert verified_client(charlie).get(URL, {"format": "csv"}).status_code == 404
    assert not AuditLog.objects.filter(action="students.exported").exists()


def test_a_member_who_may_not_view_students_is_refused(school, verified_client):
    role = Role.objects.create(school=school, key="cashier", name="Cashier", permissions=["fees.view"])
    cashier = f.UserFactory(username="cashier@greenfield.test")
    Membership.objects.create(school=school, user=cashier, role=role)
    assert verified_client(cashier).get(URL, {"format": "csv"}).status_code == 403
    assert not AuditLog.objects.filter(action="students.exported").exists()


def test_the_list_links_to_the_export_with_its_current_filters(school, alice, verified_client):
    html = verified_client(alice).get(URL, {"q": "gfa", "status": "active", "page": "1"}).content.decode()
    assert 'href="?q=gfa&amp;status=active&amp;format=csv" download>Export CSV' in html
    fragment = verified_client(alice).get(URL, {"q": "gfa"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'href="?q=gfa&amp;format=csv"' in fragment  # the swapped table carries the new filters
