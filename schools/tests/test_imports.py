import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from classpoint.models import AuditLog
from classpoint.outbox import worker
from schools.errors import SchoolsError
from schools.imports.services import import_job_from_upload
from schools.models import ImportJob, Student

pytestmark = pytest.mark.django_db

HEADER = [
    "Admission number",
    "First name",
    "Last name",
    "Date of birth",
    "Gender",
    "Class",
    "Guardian 1 first name",
    "Guardian 1 last name",
    "Guardian 1 relationship",
    "Guardian 1 phone",
    "Guardian 1 email",
    "Guardian 1 consents to SMS",
]


def make_csv(rows, header=HEADER, delimiter=",", encoding="utf-8", bom=False):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def roll(n=3, start=1, klass="GFA JSS 1A"):
    return [
        [
            f"IMP/{i:04d}",
            f"Pupil{i}",
            "Okafor" if i % 2 else "Bello",
            "25/12/2014",
            "f",
            klass,
            "Ngozi",
            "Okafor" if i % 2 else "Bello",
            "Mother",
            f"0803 111 {i // 2:04d}",
            "",
            "yes",
        ]
        for i in range(start, start + n)
    ]


def run_import(school, data, mode="import", name="roll.csv"):
    job = import_job_from_upload(school=school, actor=None, uploaded=ContentFile(data, name=name), mode=mode)
    worker.drain()  # import.requested -> handler -> task (inline in tests)
    job.refresh_from_db()
    return job


def test_import_creates_students_guardians_and_enrollments(school):
    job = run_import(school, make_csv(roll(4)))
    assert job.status == "succeeded", job.message
    assert (job.created_count, job.updated_count, job.unchanged_count, job.failed_count) == (4, 0, 0, 0)
    student = school.students.get(admission_number="IMP/0001")
    assert student.date_of_birth.isoformat() == "2014-12-25" and student.gender == "female"
    link = student.guardian_links.get()
    assert link.is_primary and link.guardian.phone == "+2348031110000" and link.guardian.consent_sms
    assert school.enrollments.get(student=student).class_group.name == "GFA JSS 1A"
    assert AuditLog.objects.filter(action="import.finished", changes__created=4).exists()


def test_siblings_share_one_guardian(school):
    # rows 2 and 3 have the same guardian phone (i // 2 == 1)
    run_import(school, make_csv(roll(3, start=2)))
    a, b = school.students.filter(admission_number__in=["IMP/0002", "IMP/0003"])
    assert a.guardian_links.get().guardian_id == b.guardian_links.get().guardian_id


def test_reimporting_the_same_file_changes_nothing(school):
    data = make_csv(roll(5))
    run_import(school, data)
    before = (Student.objects.count(), school.guardians.count(), school.enrollments.count())
    again = run_import(school, data)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 5)
    assert (Student.objects.count(), school.guardians.count(), school.enrollments.count()) == before


def test_a_changed_row_updates_the_student_and_moves_class(school):
    from schools.models import ClassGroup

    ClassGroup.objects.create(school=school, name="JSS 1B", level="JSS 1")
    run_import(school, make_csv(roll(2)))
    rows = roll(2)
    rows[0][2] = "Adeyemi"
    rows[1][5] = "jss1b"  # case and spaces do not matter
    job = run_import(school, make_csv(rows))
    assert (job.updated_count, job.unchanged_count) == (2, 0)
    assert school.students.get(admission_number="IMP/0001").last_name == "Adeyemi"
    assert school.enrollments.get(student__admission_number="IMP/0002", status="active").class_group.name == "JSS 1B"


def test_bad_rows_are_rejected_whole_and_the_rest_applied(school):
    rows = roll(3)
    rows[1][9] = "12345"  # bad phone
    rows[2][5] = "GFA JSS 1Z"  # unknown class
    rows.append(list(rows[0]))  # duplicate admission number inside the file
    rows.append(["", "", "", "", "", "", "", "", "", "", "", ""])  # blank line
    job = run_import(school, make_csv(rows))
    assert (job.created_count, job.failed_count) == (1, 3)
    assert not school.students.filter(admission_number__in=["IMP/0002", "IMP/0003"]).exists()
    assert not school.guardians.filter(phone__contains="12345").exists()  # nothing half-written
    columns = {e["column"] for e in job.first_errors}
    assert {"Guardian 1 phone", "Class"} <= columns
    assert any("Did you mean" in e["message"] for e in job.first_errors)


def test_errors_csv_neutralises_formula_cells(school):
    rows = roll(1)
    rows[0][9] = '=HYPERLINK("http://evil")'
    job = run_import(school, make_csv(rows))
    report = default_storage.open(job.errors_key).read().decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(report)))
    assert parsed[0][:4] == ["Row", "Column", "Value", "Problem"]
    assert parsed[1][2].startswith("'=")


def test_dry_run_counts_but_changes_nothing(school):
    job = run_import(school, make_csv(roll(3)), mode="dry_run")
    assert job.status == "succeeded" and job.created_count == 3
    assert not school.students.filter(admission_number__startswith="IMP/").exists()


def test_semicolons_bom_and_windows_1252_names(school):
    rows = roll(1)
    rows[0][1] = "Adébáyò"
    data = make_csv(rows, delimiter=";", encoding="cp1252")
    job = run_import(school, data)
    assert job.created_count == 1, job.first_errors
    assert school.students.get(admission_number="IMP/0001").first_name == "Adébáyò"
    job = run_import(school, make_csv(roll(1, start=7), delimiter="\t", bom=True))
    assert job.created_count == 1, job.first_errors


def test_excel_workbook_is_refused_at_upload(school):
    with pytest.raises(SchoolsError, match="Excel"):
        import_job_from_upload(
            school=school, actor=None, uploaded=ContentFile(b"PK\x03\x04rest", name="roll.xlsx"), mode="import"
        )
    assert not ImportJob.objects.exists()


def test_missing_required_column_fails_the_job_with_a_message(school):
    job = run_import(school, make_csv([["X1", "A"]], header=["Admission number", "First name"]))
    assert job.status == "failed" and "Last name" in job.message


def test_import_students_command_prints_the_outcome(school, tmp_path, capsys):
    path = tmp_path / "roll.csv"
    path.write_bytes(make_csv(roll(2)))
    call_command("import_students", "--school", "greenfield", str(path), "--dry-run")
    call_command("import_students", "--school", "greenfield", str(path))
    out = capsys.readouterr().out
    assert "created:   2 would be" in out and "created:   2\n" in out
    assert school.students.filter(admission_number__startswith="IMP/").count() == 2


class TestApi:
    def test_upload_url_upload_create_poll_and_errors_link(self, school, registrar, api, client):
        api.force_authenticate(registrar)
        target = api.post("/api/v1/schools/greenfield/imports/upload-url/", {"file_name": "roll.csv"}).json()
        assert target["method"] == "POST" and target["file_key"].startswith(f"imports/{school.pk}/uploads/")
        rows = roll(2)
        rows[1][9] = "bad"
        upload = client.post(target["url"], {**target["fields"], "file": ContentFile(make_csv(rows), name="roll.csv")})
        assert upload.status_code == 201
        job = api.post("/api/v1/schools/greenfield/imports/", {"file_key": target["file_key"], "mode": "import"})
        assert job.status_code == 201, job.json()
        worker.drain()
        detail = api.get(f"/api/v1/schools/greenfield/imports/{job.json()['id']}/").json()
        assert detail["status"] == "succeeded" and detail["created_count"] == 1 and detail["failed_count"] == 1
        assert api.get("/api/v1/schools/greenfield/imports/").json()["count"] == 1
        link = api.get(f"/api/v1/schools/greenfield/imports/{detail['id']}/errors-url/").json()
        download = client.get(link["url"].replace("http://127.0.0.1:8000", ""))
        assert download.status_code == 200 and b"Guardian 1 phone" in b"".join(download.streaming_content)

    def test_signed_upload_link_is_single_use_and_tamper_proof(self, school, registrar, api, client):
        api.force_authenticate(registrar)
        target = api.post("/api/v1/schools/greenfield/imports/upload-url/", {"file_name": "r.csv"}).json()
        url = target["url"]
        assert client.post(url, {"file": ContentFile(b"a,b\n", name="r.csv")}).status_code == 201
        assert client.post(url, {"file": ContentFile(b"a,b\n", name="r.csv")}).status_code == 400
        assert client.post(url[:-3] + "xx/", {"file": ContentFile(b"a", name="r.csv")}).status_code == 404

    def test_file_key_of_another_school_is_refused(self, school, other_school, registrar, api):
        key = default_storage.save(f"imports/{other_school.pk}/uploads/x/roll.csv", ContentFile(make_csv(roll(1))))
        api.force_authenticate(registrar)
        response = api.post("/api/v1/schools/greenfield/imports/", {"file_key": key, "mode": "import"})
        assert response.status_code == 400 and "file_key" in response.json()["error"]["fields"]

    def test_teacher_may_not_import(self, school, teacher, api):
        api.force_authenticate(teacher)
        assert api.get("/api/v1/schools/greenfield/imports/").status_code == 403


class TestWorkspace:
    def test_upload_check_then_import_with_progress(self, school, registrar, verified_client):
        client = verified_client(registrar)
        page = client.get("/s/greenfield/imports/")
        assert page.status_code == 200 and b"Download the template CSV" in page.content
        template = client.get("/s/greenfield/imports/template.csv")
        assert template.content.decode("utf-8-sig").startswith("Admission number")
        response = client.post(
            "/s/greenfield/imports/", {"file": ContentFile(make_csv(roll(3)), name="roll.csv"), "mode": "import"}
        )
        assert response.status_code == 302
        worker.drain()
        progress = client.get(response["Location"], HTTP_HX_REQUEST="true")
        body = progress.content.decode()
        assert "Finished" in body and "hx-trigger" not in body  # polling stops when done
        assert school.students.filter(admission_number__startswith="IMP/").count() == 3

    def test_pending_job_polls(self, school, registrar, verified_client):
        job = ImportJob.objects.create(school=school, file_name="x.csv", file_key="imports/x")
        body = verified_client(registrar).get(f"/s/greenfield/imports/{job.pk}/").content.decode()
        assert 'hx-trigger="every 1s"' in body and "<progress" in body

    def test_not_a_csv_gets_a_field_error(self, school, registrar, verified_client):
        response = verified_client(registrar).post(
            "/s/greenfield/imports/", {"file": ContentFile(b"%PDF-1.4 ...", name="roll.pdf"), "mode": "import"}
        )
        assert response.status_code == 400 and "not a CSV" in response.content.decode()


@pytest.mark.postgres
def test_ten_thousand_rows_on_postgresql(school):
    data = make_csv(roll(10_000))
    job = run_import(school, data)
    assert job.status == "succeeded" and job.created_count == 10_000
    again = run_import(school, data)
    assert again.unchanged_count == 10_000


def test_row_limit_refuses_the_file_before_applying_anything(school, settings):
    settings.IMPORT_MAX_ROWS = 3
    job = run_import(school, make_csv(roll(5)))
    assert job.status == "failed" and "more than 3 rows" in job.message
    assert not school.students.filter(admission_number__startswith="IMP/").exists()


def test_a_chunk_the_database_refuses_is_replayed_row_by_row(school, monkeypatch):
    from django.db import IntegrityError

    from schools.imports import pipeline

    real = pipeline._apply_chunk_bulk

    def refuse_chunks_and_row_two(school_, term, groups, rows, touched):
        if len(rows) > 1 or rows[0].admission_number == "IMP/0002":
            Student.objects.create(school=school, admission_number="HALF-WRITTEN", first_name="X", last_name="Y")
            raise IntegrityError("simulated concurrent edit")
        return real(school_, term, groups, rows, touched)

    monkeypatch.setattr(pipeline, "_apply_chunk_bulk", refuse_chunks_and_row_two)
    job = run_import(school, make_csv(roll(3)))
    assert (job.created_count, job.failed_count) == (2, 1)
    assert not school.students.filter(admission_number="IMP/0002").exists()
    assert not school.students.filter(admission_number="HALF-WRITTEN").exists()  # the bulk attempt was undone


def test_ambiguous_dates_are_warned_only_when_the_file_never_shows_day_first(school):
    rows = roll(2)
    rows[0][3] = "03/04/2014"
    rows[1][3] = "05/06/2014"
    only_ambiguous = run_import(school, make_csv(rows), mode="dry_run")
    assert only_ambiguous.warning_count == 2
    assert "check it is not" in only_ambiguous.first_errors[0]["message"]
    rows[1][3] = "21/06/2014"  # can only be day first: the whole file is
    settled = run_import(school, make_csv(rows), mode="dry_run")
    assert settled.warning_count == 0 and settled.first_errors == []


def test_errors_come_before_warnings_in_the_first_problems(school):
    rows = roll(30)
    for r in rows:
        r[3] = "03/04/2014"
    rows[-1][9] = "bad"
    job = run_import(school, make_csv(rows), mode="dry_run")
    assert any(e["severity"] == "error" for e in job.first_errors)
    assert sum(e["severity"] == "warning" for e in job.first_errors) <= 5
