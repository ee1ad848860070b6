"""Report cards computed from a class whose figures are worked out by hand below.

Components: CA1 /10 10%, CA2 /10 10%, Project /20 20%, Exam /60 60%: each maximum equals its weight,
so a subject's total is the sum of its four scores. The WAEC scale: A1 75–100, B2 70–74.9, C4 60–64.9,
C6 50–54.9, D7 45–49.9, E8 40–44.9.

                 Mathematics         English             Basic Science          French
  Adeyemi        8.95+9+17+40=74.95  7+8+15+45=75        6+ABS+12+30=48         9+9+18+50=86
  Bello          10+10+20+60=100     5+5+10+30=50        8+8+16+48=80           (does not take)
  Chukwu         5+5+10+30=50        10+10+20+60=100     8+8+16+48=80           (does not take)
  own pupil      7+7+14+42=70        6+6+12+36=60        5+5+(blank)+30=40      (does not take)

  Adeyemi: 74.95 shows 75.0 (half-up) and so grades A1; total 283.95 -> 284.0; average 70.9875 -> 71.0.
  Bello and Chukwu: total 230.0, average 76.666... -> 76.7, sharing 1st place ("1st="); Adeyemi 3rd;
  the own pupil (total 170.0, average 56.7, Basic Science's Project missing) 4th.
  Class averages: Mathematics 294.95/4 = 73.7375 -> 73.7; English 285/4 = 71.25 -> 71.3 (half-up);
  Basic Science 248/4 = 62.0; French 86.0.
  Subject positions: Mathematics Bello 1st, Adeyemi 2nd, own 3rd, Chukwu 4th; Basic Science Bello and
  Chukwu 1st=, Adeyemi 3rd, own 4th.
"""

import datetime
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.errors import AcademicsError, AcademicsErrorCode
from academics.models import ReportCard
from academics.results import cards, comments
from academics.results.policy import policy_for
from academics.tests.factories import next_term, submit
from classpoint.models import AuditLog
from fees import services as fees
from schools.models import Role
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
D = Decimal


def fill_class(results):
    """The scores of the table above; returns (adeyemi, bello, chukwu, own) in register order."""
    own, adeyemi, bello, chukwu = results.pupils
    put = results.fill
    put(adeyemi, "Mathematics", "8.95", "9", "17", "40")
    put(adeyemi, "English Language", "7", "8", "15", "45")
    put(adeyemi, "Basic Science", "6", "ABS", "12", "30")
    put(adeyemi, "French", "9", "9", "18", "50")
    put(bello, "Mathematics", "10", "10", "20", "60")
    put(bello, "English Language", "5", "5", "10", "30")
    put(bello, "Basic Science", "8", "8", "16", "48")
    put(chukwu, "Mathematics", "5", "5", "10", "30")
    put(chukwu, "English Language", "10", "10", "20", "60")
    put(chukwu, "Basic Science", "8", "8", "16", "48")
    put(own, "Mathematics", "7", "7", "14", "42")
    put(own, "English Language", "6", "6", "12", "36")
    put(own, "Basic Science", "5", "5", "", "30")
    return adeyemi, bello, chukwu, own


def by_name(card):
    return {s.name: s for s in card.subjects}


def test_class_cards_match_the_hand_computation(school, results):
    # given
    adeyemi, bello, chukwu, own = fill_class(results)

    # when
    found = cards.class_cards(school=school, term=results.term, class_group=results.group)

    # then: register order, everyone counted
    assert [c.student for c in found] == [adeyemi, bello, chukwu, own]
    a, b, c, o = found
    assert {card.class_size for card in found} == {4}
    # overall figures and positions, the tie shared
    assert (a.total, a.average, a.position, a.position_text) == (D("284.0"), D("71.0"), 3, "3rd")
    assert (b.total, b.average, b.position, b.position_text) == (D("230.0"), D("76.7"), 1, "1st=")
    assert (c.total, c.average, c.position, c.position_text) == (D("230.0"), D("76.7"), 1, "1st=")
    assert (o.total, o.average, o.position, o.position_text) == (D("170.0"), D("56.7"), 4, "4th")
    # Adeyemi's subjects in report order, French (an elective he takes) last
    subjects = [(s.name, s.cells, s.total, s.grade, s.remark, s.position_text, s.class_average) for s in a.subjects]
    assert subjects == [
        ("Mathematics", ["8.95", "9", "17", "40"], D("75.0"), "A1", "Excellent", "2nd", D("73.7")),
        ("English Language", ["7", "8", "15", "45"], D("75.0"), "A1", "Excellent", "2nd", D("71.3")),
        ("Basic Science", ["6", "ABS", "12", "30"], D("48.0"), "D7", "Pass", "3rd", D("62.0")),
        ("French", ["9", "9", "18", "50"], D("86.0"), "A1", "Excellent", "1st", D("86.0")),
    ]
    assert a.complete and a.missing == [] and a.missing_text == ""
    # Bello takes no French; Basic Science's 80 is shared with Chukwu
    assert [s.name for s in b.subjects] == ["Mathematics", "English Language", "Basic Science"]
    assert (by_name(b)["Mathematics"].total, by_name(b)["Mathematics"].grade) == (D("100.0"), "A1")
    assert (by_name(b)["English Language"].grade, by_name(b)["English Language"].position) == ("C6", 4)
    assert by_name(b)["Basic Science"].position_text == by_name(c)["Basic Science"].position_text == "1st="
    # the own pupil's blank Project: listed, counted, the card incomplete
    assert by_name(o)["Basic Science"].cells == ["5", "5", "", "30"]
    assert (by_name(o)["Basic Science"].total, by_name(o)["Basic Science"].grade) == (D("40.0"), "E8")
    assert (by_name(o)["Mathematics"].grade, by_name(o)["English Language"].grade) == ("B2", "C4")
    assert not o.complete and o.missing == ["Basic Science: Project"] and o.missing_text == "1 score missing"
    # the grade key is the school's scale, highest band first
    assert [band.letter for band in a.grade_key][:3] == ["A1", "B2", "B3"]


def test_one_pupils_card_is_the_same_as_in_the_class(school, results):
    adeyemi, *_ = fill_class(results)

    card = cards.report_card(school=school, term=results.term, student=adeyemi)

    assert card.student == adeyemi and card.class_group == results.group
    assert (card.total, card.average, card.position_text, card.class_size) == (D("284.0"), D("71.0"), "3rd", 4)
    assert [s.class_average for s in card.subjects] == [D("73.7"), D("71.3"), D("62.0"), D("86.0")]
    assert card.term_name == "First term" and card.session_name == "2026/2027"
    assert card.pupil_name == adeyemi.full_name and card.admission_number == adeyemi.admission_number


def test_a_pupil_in_no_class_that_term_has_no_card(school, results):
    stranger = f.StudentFactory(school=school)

    assert cards.report_card(school=school, term=results.term, student=stranger) is None


def test_positions_are_left_out_when_the_policy_hides_them(school, results):
    # given
    fill_class(results)
    policy = policy_for(school)
    policy.show_class_position = policy.show_subject_position = False
    policy.save()

    # when
    found = cards.class_cards(school=school, term=results.term, class_group=results.group)

    # then: no position anywhere, the figures unchanged
    for card in found:
        assert card.position is None and card.position_text == ""
        assert not card.show_class_position and not card.show_subject_position
        assert all(s.position is None and s.position_text == "" for s in card.subjects)
    assert found[0].average == D("71.0")


def test_attendance_for_the_term_is_on_the_card(school, attendance_term, results):
    # given: three registers taken, the school open every day since the term began 40 days ago
    results.term.refresh_from_db()
    adeyemi, bello, chukwu, _own = fill_class(results)
    today = school.local_today()
    day = datetime.timedelta(days=1)
    submit(school, results.group, [{"student_id": adeyemi.pk, "code": "A"}], date=today - 3 * day)
    late = {"student_id": adeyemi.pk, "code": "L", "minutes_late": 10}
    submit(school, results.group, [late, {"student_id": bello.pk, "code": "E"}], date=today - 2 * day)
    submit(school, results.group, [], date=today - day)

    # when
    found = {c.student: c for c in cards.class_cards(school=school, term=results.term, class_group=results.group)}

    # then: 41 school days so far (40 back and today), each pupil's marked days by kind
    a, b, c = found[adeyemi].attendance, found[bello].attendance, found[chukwu].attendance
    assert (a.expected, a.marked, a.present, a.absent, a.late, a.excused) == (41, 3, 2, 1, 1, 0)
    assert (b.expected, b.marked, b.present, b.absent, b.late, b.excused) == (41, 3, 2, 0, 0, 1)
    assert (c.present, c.absent, c.late, c.excused, c.unmarked) == (3, 0, 0, 0, 38)


def test_a_class_without_registers_shows_no_attendance(school, results):
    fill_class(results)

    found = cards.class_cards(school=school, term=results.term, class_group=results.group)

    assert {card.attendance for card in found} == {None}


def test_next_terms_start_and_fees_come_from_the_next_term_and_its_invoice(school, results, bursar):
    # given: a second term, Adeyemi enrolled and invoiced for it
    adeyemi, bello, *_ = fill_class(results)
    second = next_term(school)
    f.enroll(adeyemi, second, results.group)
    item = fees.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    lines = [{"fee_item": item, "amount_minor": 15_000_000}]
    fees.fee_schedule_create(
        school=school, actor=bursar, term=second, class_group=results.group, name="JSS1 T2", lines=lines
    )
    draft = fees.invoice_create(school=school, actor=bursar, student=adeyemi, term=second)
    fees.invoice_issue(invoice=draft, actor=bursar)

    # when
    found = {c.student: c for c in cards.class_cards(school=school, term=results.term, class_group=results.group)}

    # then
    a, b = found[adeyemi], found[bello]
    assert a.next_term_starts == b.next_term_starts == datetime.date(2027, 1, 4)
    assert a.next_term_name == "Second term 2026/2027"
    assert (a.next_term_fees_minor, a.next_term_fees) == (15_000_000, "₦150,000.00")
    assert (b.next_term_fees_minor, b.next_term_fees) == (0, "")


def test_the_last_term_has_no_next_term(school, results):
    fill_class(results)

    card = cards.class_cards(school=school, term=results.term, class_group=results.group)[0]

    assert card.next_term_starts is None and card.next_term_fees == ""


def test_comments_and_publishing_come_from_the_report_card_row(school, results, alice):
    adeyemi, *_ = fill_class(results)
    published = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
    ReportCard.objects.create(
        school=school,
        term=results.term,
        student=adeyemi,
        class_group=results.group,
        form_teacher_comment="A steady term.",
        head_comment="Well done.",
        revision=2,
        published_at=published,
    )
    results.group.form_teacher = results.teacher_staff
    results.group.save()

    card = cards.report_card(school=school, term=results.term, student=adeyemi)

    assert (card.form_teacher_comment, card.head_comment) == ("A steady term.", "Well done.")
    assert card.form_teacher_name == "Ada Okafor"
    assert card.published and card.published_at == published and card.revision == 2 and not card.withheld


def test_no_components_or_no_subjects_is_never_complete(school, results):
    results.term.assessment_components.all().delete()

    card = cards.class_cards(school=school, term=results.term, class_group=results.group)[0]

    assert not card.complete and card.missing_text == "No assessment components are set for the term."


def test_class_cards_take_the_same_queries_whatever_the_size_of_the_class(
    school, results, attendance_term, django_assert_max_num_queries
):
    # given: a class of four with registers taken
    results.term.refresh_from_db()
    fill_class(results)
    submit(school, results.group, [], date=school.local_today())
    group = results.group

    def queries():
        with CaptureQueriesContext(connection) as captured:
            found = cards.class_cards(school=school, term=results.term, class_group=group)
        return len(captured), len(found)

    small, four = queries()
    # when the class grows by twelve with scores
    for i in range(12):
        pupil = f.StudentFactory(school=school, last_name=f"Zed{i}")
        f.enroll(pupil, results.term, group)
        results.fill(pupil, "Mathematics", "5", "5", "10", "30")

    # then
    large, sixteen = queries()
    assert (four, sixteen) == (4, 16)
    assert large == small
    with django_assert_max_num_queries(16):
        cards.class_cards(school=school, term=results.term, class_group=group)


# --- the comments ----------------------------------------------------------------------------


def member_with(school, key, permissions):
    Role.objects.create(school=school, key=key, name=key.title(), permissions=permissions)
    return f.member(school, key)


def test_first_comment_makes_the_card_row_and_is_audited(school, results, alice):
    adeyemi, *_ = fill_class(results)

    card = comments.report_card_comment_set(
        school=school, actor=alice, term=results.term, student=adeyemi, head_comment="  Well done.  "
    )

    assert (card.term, card.student, card.class_group) == (results.term, adeyemi, results.group)
    assert card.head_comment == "Well done." and card.form_teacher_comment == "" and card.comments_updated_at
    entry = AuditLog.objects.get(school=school, action="report_card.comments_set")
    assert entry.actor == alice and entry.changes == {"head_comment": ["", "Well done."]}


def test_an_unchanged_comment_writes_nothing(school, results, alice):
    adeyemi, *_ = fill_class(results)
    set_comment = comments.report_card_comment_set
    set_comment(school=school, actor=alice, term=results.term, student=adeyemi, head_comment="Well done.")

    set_comment(school=school, actor=alice, term=results.term, student=adeyemi, head_comment="Well done.")

    assert AuditLog.objects.filter(school=school, action="report_card.comments_set").count() == 1


def test_who_writes_which_comment(school, results, teacher):
    # given: the class's form teacher, a results manager and a publisher who are neither
    adeyemi, *_ = fill_class(results)
    results.group.form_teacher = results.teacher_staff
    results.group.save()
    manager = member_with(school, "results_manager", ["academics.manage_results"])
    head = member_with(school, "head", ["academics.publish_results"])
    other_teacher = f.member(school, "teacher", email="another.teacher@greenfield.test")
    set_comment = partial(comments.report_card_comment_set, school=school, term=results.term, student=adeyemi)

    # when / then
    set_comment(actor=teacher, form_teacher_comment="From the form teacher.")
    set_comment(actor=manager, form_teacher_comment="From the manager.")
    set_comment(actor=head, head_comment="From the head.")
    for actor, field in ((teacher, "head_comment"), (manager, "head_comment"), (head, "form_teacher_comment")):
        with pytest.raises(PermissionDenied):
            set_comment(actor=actor, **{field: "Not mine to write."})
    with pytest.raises(PermissionDenied):
        set_comment(actor=other_teacher, form_teacher_comment="Not my class.")
    card = ReportCard.objects.get(school=school, student=adeyemi)
    assert (card.form_teacher_comment, card.head_comment) == ("From the manager.", "From the head.")


def test_a_comment_over_500_characters_is_refused(school, results, alice):
    adeyemi, *_ = fill_class(results)

    with pytest.raises(AcademicsError) as refused:
        comments.report_card_comment_set(
            school=school, actor=alice, term=results.term, student=adeyemi, form_teacher_comment="x" * 501
        )

    assert refused.value.code == AcademicsErrorCode.COMMENT_INVALID and "form_teacher_comment" in refused.value.fields
    assert not ReportCard.objects.filter(school=school).exists()
    assert (
        comments.report_card_comment_set(
            school=school, actor=alice, term=results.term, student=adeyemi, form_teacher_comment="x" * 500
        ).form_teacher_comment
        == "x" * 500
    )


def test_no_comment_for_a_pupil_in_no_class_or_of_another_school(school, other_school, results, alice):
    stranger = f.StudentFactory(school=school)
    theirs = other_school.students.get()

    for student in (stranger, theirs):
        with pytest.raises(AcademicsError) as refused:
            comments.report_card_comment_set(
                school=school, actor=alice, term=results.term, student=student, head_comment="Hello."
            )
        assert refused.value.code == AcademicsErrorCode.REPORT_CARD_NOT_FOUND
