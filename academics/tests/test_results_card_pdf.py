"""Report cards on paper: what the PDF says (read back with pypdf), a long name, many subjects and a
card that runs to a second page, and a class's cards in one file."""

import datetime
import io

import pytest
from pypdf import PdfReader

from academics.models import ReportCard, Subject
from academics.results import card_pdf
from academics.results.policy import policy_for
from academics.tests.factories import next_term, submit
from fees import services as fees
from schools.tests import factories as f

from .test_results_cards import fill_class

pytestmark = pytest.mark.django_db
EXTRA_SUBJECTS = (
    "Further Mathematics",
    "Literature in English",
    "Civic Education",
    "Agricultural Science",
    "Computer Studies",
    "Business Studies",
    "Home Economics",
    "Physical and Health Education",
    "Cultural and Creative Arts",
    "Christian Religious Studies",
    "Social Studies",
    "Yoruba Language",
    "Igbo Language",
    "Hausa Language",
)


def pages_of(data):
    assert data[:5] == b"%PDF-"
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def squashed(text):
    """Without any whitespace: a cell wraps where the layout decides, even inside a long name."""
    return "".join(text.split())


def test_card_pdf_says_what_the_card_says(school, results, attendance_term, bursar):
    # given: the hand-computed class, registers, comments, a next term with an invoice
    results.term.refresh_from_db()
    adeyemi, *_ = fill_class(results)
    submit(school, results.group, [{"student_id": adeyemi.pk, "code": "A"}], date=school.local_today())
    ReportCard.objects.create(
        school=school,
        term=results.term,
        student=adeyemi,
        class_group=results.group,
        form_teacher_comment="A steady, hard-working term.",
        head_comment="Keep it up.",
    )
    second = next_term(school)
    f.enroll(adeyemi, second, results.group)
    item = fees.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    lines = [{"fee_item": item, "amount_minor": 15_000_000}]
    fees.fee_schedule_create(
        school=school, actor=bursar, term=second, class_group=results.group, name="T2", lines=lines
    )
    fees.invoice_create(school=school, actor=bursar, student=adeyemi, term=second)

    # when
    data = card_pdf.report_card_pdf(school=school, term=results.term, student=adeyemi)

    # then
    (text,) = pages_of(data)
    assert "Greenfield Academy" in text and "Report card" in text
    assert adeyemi.full_name in text and adeyemi.admission_number in text and results.group.name in text
    for expected in (
        "Mathematics 8.95 9 17 40 75.0 A1 Excellent 2nd 73.7",
        "Basic Science 6 ABS 12 30 48.0 D7 Pass 3rd 62.0",
        "French 9 9 18 50 86.0 A1 Excellent 1st 86.0",
        "Overall total 284.0",
        "Average 71.0",
        "3rd of 4",
        "A steady, hard-working term.",
        "Keep it up.",
        "Monday 4 January 2027",
        "₦150,000.00",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    # attendance: 41 school days, today's register marked Adeyemi absent
    assert "School days Present Absent Late Excused 41 0 1 0 0" in text
    assert "A1 B2 B3" in text and "75.0 – 100.0" in text
    assert "PROVISIONAL" not in text


def test_an_incomplete_card_is_stamped_provisional_and_lists_what_is_missing(school, results):
    *_, own = fill_class(results)

    (text,) = pages_of(card_pdf.report_card_pdf(school=school, term=results.term, student=own))

    assert "PROVISIONAL" in text and "1 score missing (Basic Science: Project)" in text
    assert "Basic Science 5 5 — 30 40.0 E8" in text


def test_hidden_positions_are_not_printed(school, results):
    adeyemi, *_ = fill_class(results)
    policy = policy_for(school)
    policy.show_class_position = policy.show_subject_position = False
    policy.save()

    (text,) = pages_of(card_pdf.report_card_pdf(school=school, term=results.term, student=adeyemi))

    assert "Position" not in text and "3rd" not in text and "2nd" not in text
    assert "Mathematics 8.95 9 17 40 75.0 A1 Excellent 73.7" in text


def test_long_name_and_eighteen_subjects_run_to_two_pages_naming_the_pupil_on_each(school, results):
    # given: a 60-character name, 14 more subjects (18 in all) and two full comments
    pupil = results.pupils[1]
    pupil.first_name, pupil.other_names = "Oluwatobiloba", "Chimamanda Ifeoma"
    pupil.last_name = "Adeyemi-Okonkwo-Babangidaaaa"
    pupil.save()
    assert len(pupil.full_name) == 60
    for index, name in enumerate(EXTRA_SUBJECTS, start=10):
        Subject.objects.create(school=school, name=name, level=results.group.level, position=index)
    for subject in Subject.objects.filter(school=school):
        results.fill(pupil, subject, "7", "8", "15", "45")
    ReportCard.objects.create(
        school=school,
        term=results.term,
        student=pupil,
        class_group=results.group,
        form_teacher_comment=("A thoughtful pupil who asks good questions. " * 12)[:500],
        head_comment=("An excellent term; keep reading every day. " * 12)[:500],
    )

    # when
    data = card_pdf.report_card_pdf(school=school, term=results.term, student=pupil)

    # then: two pages, each subject on one of them with its figures, the name whole
    pages = pages_of(data)
    assert len(pages) == 2
    both = " ".join(pages)
    for subject in Subject.objects.filter(school=school):
        assert f"{subject.name} 7 8 15 45 75.0 A1" in both, subject.name
    assert squashed(pupil.full_name) in squashed(pages[0])
    assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]
    # the second page names the pupil at its top
    running = f"{pupil.full_name} · {results.group.name} · report card, First term, 2026/2027 (continued)"
    assert running in pages[1] and "(continued)" not in pages[0]


def test_a_subjects_table_split_over_two_pages_repeats_its_header_row(school, results):
    # given: forty subjects, more than a page holds
    pupil = results.pupils[1]
    for index in range(36):
        Subject.objects.create(school=school, name=f"Study {index:02d}", level=results.group.level, position=10 + index)
    for subject in Subject.objects.filter(school=school):
        results.fill(pupil, subject, "7", "8", "15", "45")

    # when
    pages = pages_of(card_pdf.report_card_pdf(school=school, term=results.term, student=pupil))

    # then: every subject on one page or the other, under the header row on both
    assert len(pages) == 2
    header = "Subject CA1 /10 CA2 /10 Project /20 Exam /60 Total Grade Remark Position Class avg."
    assert header in pages[0] and header in pages[1]
    assert "Study 35 7 8 15 45 75.0 A1" in pages[1]
    both = " ".join(pages)
    assert all(f"{s.name} 7 8 15 45 75.0 A1" in both for s in Subject.objects.filter(school=school))


def test_class_pdf_has_every_card_each_from_a_new_page(school, results):
    pupils = fill_class(results)

    pages = pages_of(card_pdf.class_cards_pdf(school=school, term=results.term, class_group=results.group))

    assert len(pages) == 4
    for page, pupil in zip(pages, pupils, strict=True):
        assert squashed(pupil.full_name) in squashed(page)
        assert "Page 1 of 1" in page


def test_a_pupil_in_no_class_has_no_card_pdf(school, results):
    stranger = f.StudentFactory(school=school)

    with pytest.raises(Exception) as refused:
        card_pdf.report_card_pdf(school=school, term=results.term, student=stranger)

    assert getattr(refused.value, "code", None) == "report_card_not_found"


def test_card_dates_are_the_schools(school, results):
    adeyemi, *_ = fill_class(results)
    second = next_term(school)
    assert second.start_date == datetime.date(2027, 1, 4)

    (text,) = pages_of(card_pdf.report_card_pdf(school=school, term=results.term, student=adeyemi))

    assert "Next term (Second term 2026/2027) begins on Monday 4 January 2027." in text
    assert "Generated" in text and "WAT" in text
