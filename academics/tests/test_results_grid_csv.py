"""A grid as a CSV file: exported formula-safe, filled in offline and imported back; a file with any
problem changes nothing and says where each problem is."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from academics.errors import AcademicsError, AcademicsErrorCode
from academics.models import Score
from academics.results import compute, grid_csv
from classpoint.models import AuditLog

pytestmark = pytest.mark.django_db


def url(world, name):
    return reverse(name, args=["greenfield", world.term.pk, world.group.pk, world.subject("Mathematics").pk])


def text_of(world, pupil, component):
    score = Score.objects.filter(row__student=pupil, component=world.component(component)).first()
    return str(compute.Cell(value=score.value, absent=score.absent)) if score else ""


def exported(client, world):
    response = client.get(url(world, "results-grid-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def upload(text, name="grid.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def do_import(world, actor, text, **kwargs):
    return grid_csv.scores_csv_import(
        school=world.school,
        actor=actor,
        term=world.term,
        class_group=world.group,
        subject=world.subject("Mathematics"),
        upload=upload(text, **kwargs),
    )


@pytest.fixture
def teacher_client(client, teacher):
    client.force_login(teacher)
    return client


def test_export_has_a_line_a_pupil_and_a_column_a_component(results, teacher_client):
    a = results.pupils[1]
    results.fill(a, "Mathematics", "8", "ABS", "12.5", "")
    rows = exported(teacher_client, results)
    assert rows[0] == ["admission_number", "pupil_name", "CA1", "CA2", "Project", "Exam"]
    assert len(rows) == 1 + len(results.pupils)
    line = next(row for row in rows if row[0] == a.admission_number)
    assert line[1:] == [a.full_name, "8", "ABS", "12.5", ""]


def test_export_neutralises_what_a_spreadsheet_would_run(results, teacher_client):
    a = results.pupils[1]
    a.first_name = "=HYPERLINK(1)"
    a.save()
    line = next(row for row in exported(teacher_client, results) if row[0] == a.admission_number)
    assert line[1].startswith("'=")


def test_a_round_trip_saves_the_file_and_a_blank_cell_means_blank(results, teacher, teacher_client):
    a, b = results.pupils[:2]
    results.fill(a, "Mathematics", "5", "5", "10", "30")
    rows = exported(teacher_client, results)
    by_number = {row[0]: row for row in rows[1:]}
    by_number[a.admission_number][2:] = ["6", "", "10", "30"]  # CA1 changes, CA2 cleared
    by_number[b.admission_number][2:] = ["9", "abs", "18.5", "51"]
    out = io.StringIO()
    csv.writer(out).writerows([rows[0], *by_number.values()])
    response = teacher_client.post(url(results, "results-grid-import"), {"file": upload(out.getvalue())})
    assert response.status_code == 302
    assert [text_of(results, a, c) for c in ("CA1", "CA2", "Project", "Exam")] == ["6", "", "10", "30"]
    assert [text_of(results, b, c) for c in ("CA1", "CA2", "Project", "Exam")] == ["9", "ABS", "18.5", "51"]
    entry = AuditLog.objects.get(action="scores.saved")
    assert (entry.changes["via"], entry.changes["cells"]) == ("csv", 6)
    # and exporting again gives back what was imported
    again = {row[0]: row for row in exported(teacher_client, results)[1:]}
    assert again[b.admission_number][2:] == ["9", "ABS", "18.5", "51"]


def test_columns_and_pupils_left_out_of_the_file_stay_as_they_are(results, teacher):
    a, b = results.pupils[:2]
    results.fill(a, "Mathematics", "5", "5", "10", "30")
    results.fill(b, "Mathematics", "1", "2", "3", "4")
    saved = do_import(results, teacher, f"Admission number;Exam (/60)\n{a.admission_number};45\n")
    assert saved.applied == 1
    assert [text_of(results, a, c) for c in ("CA1", "Exam")] == ["5", "45"]
    assert text_of(results, b, "Exam") == "4"


def test_a_file_with_problems_changes_nothing_and_lists_each_by_line_and_column(results, teacher, teacher_client):
    a, b = results.pupils[:2]
    results.fill(a, "Mathematics", "5", "5", "10", "30")
    text = (
        "admission_number,pupil_name,CA1,CA2,Project,Exam\n"
        f"{a.admission_number},,7,11,10,30\n"
        "GFA/9999,Nobody,1,1,1,1\n"
        f"{b.admission_number},,x,1,1,1\n"
        f"{a.admission_number},,1,1,1,1\n"
    )
    with pytest.raises(AcademicsError) as caught:
        do_import(results, teacher, text)
    error = caught.value
    assert error.code == AcademicsErrorCode.SCORE_INVALID
    problems = error.fields["file"]
    assert problems[0].startswith("Line 2, column CA2: 11 is out of range")
    assert problems[1].startswith("Line 3, column admission_number: “GFA/9999” is not a pupil")
    assert problems[2].startswith("Line 4, column CA1: “x” is not a score")
    assert problems[3].startswith("Line 5:") and "already on line 2" in problems[3]
    assert text_of(results, a, "CA1") == "5" and not Score.objects.filter(row__student=b).exists()
    # the page lists them too, and says nothing changed
    response = teacher_client.post(url(results, "results-grid-import"), {"file": upload(text)})
    assert response.status_code == 400
    body = response.content.decode()
    assert "nothing changed" in body and "Line 4, column CA1" in body


def test_an_unknown_column_or_a_missing_admission_column_is_refused(results, teacher):
    with pytest.raises(AcademicsError) as caught:
        do_import(results, teacher, "admission_number,Quiz\nGFA/0001,5\n")
    assert "“Quiz”: not an assessment of this term (CA1, CA2, Project, Exam)" in caught.value.fields["file"][0]
    with pytest.raises(AcademicsError) as caught:
        do_import(results, teacher, "name,CA1\nAda,5\n")
    assert "admission_number" in caught.value.fields["file"][0]


def test_a_file_that_is_not_text_or_is_empty_is_refused(results, teacher, teacher_client):
    with pytest.raises(AcademicsError) as caught:
        grid_csv.scores_csv_import(
            school=results.school,
            actor=teacher,
            term=results.term,
            class_group=results.group,
            subject=results.subject("Mathematics"),
            upload=SimpleUploadedFile("scores.xlsx", b"PK\x03\x04binary\x00\x00", content_type="text/csv"),
        )
    assert caught.value.fields["file"]
    assert teacher_client.post(url(results, "results-grid-import"), {}).status_code == 400
    assert not Score.objects.exists()


def test_an_excel_file_in_windows_encoding_and_a_formula_guard_are_read(results, teacher):
    a = results.pupils[1]
    a.admission_number = "-A/1"
    a.save()
    saved = do_import(results, teacher, "admission_number,pupil_name,CA1\n'-A/1,Adébayo,7\n", encoding="cp1252")
    assert saved.applied == 1 and text_of(results, a, "CA1") == "7"
