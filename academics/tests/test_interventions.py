"""The truancy ladder: letter 1 at the school's threshold, each further unexcused day the next
letter once the one before went out, a SARB referral with letter 3; exactly once per threshold,
drafts cancelled by corrections, letters rendered, kept as PDF and sent to the family."""

import datetime
import io

import pytest
from pypdf import PdfReader

from academics.attendance import codes, registers
from academics.errors import AcademicsError, AcademicsErrorCode
from academics.interventions import letters, scan, services
from academics.models import Intervention
from academics.recovery import services as recovery
from classpoint.models import OutboxEvent
from classpoint.outbox.worker import drain
from messaging.models import Message

from .factories import absent

Kind, State = Intervention.Kind, Intervention.State


@pytest.fixture
def setup(school, attendance_year, group, pupil):
    return school.local_today(), group, pupil


def kinds(school, state=None):
    found = Intervention.objects.filter(school=school)
    if state:
        found = found.filter(state=state)
    return sorted(found.values_list("kind", flat=True))


def test_three_unexcused_days_draft_letter_one_once(school, setup, alice):
    today, group, pupil = setup
    absent(school, group, pupil, 10)
    absent(school, group, pupil, 9, code="E-ILL")  # excused: does not count
    absent(school, group, pupil, 8, code="L", minutes_late=20)  # late, but not over 30 minutes
    absent(school, group, pupil, 7)
    assert scan.interventions_scan(school=school)["created"] == {}
    third = absent(school, group, pupil, 6, code="L", minutes_late=45)  # over 30 minutes: counts
    result = scan.interventions_scan(school=school)
    assert result["created"] == {"letter_1": 1}
    letter = Intervention.objects.get(school=school)
    assert letter.crossed_on == third and len(letter.counted_days) == 3
    assert scan.interventions_scan(school=school)["created"] == {}  # once
    # A fourth day does not bring letter 2 while letter 1 is still a draft.
    absent(school, group, pupil, 5)
    assert kinds(school) == ["letter_1"]


def test_the_ladder_climbs_as_letters_go_out_and_sarb_comes_with_letter_three(school, setup, alice):
    today, group, pupil = setup
    for back in (12, 11, 10, 9, 8):
        absent(school, group, pupil, back)
    scan.interventions_scan(school=school)
    first = Intervention.objects.get(school=school, kind=Kind.LETTER_1)
    services.intervention_send(school=school, intervention_id=first.pk, actor=alice)
    scan.interventions_scan(school=school)
    second = Intervention.objects.get(school=school, kind=Kind.LETTER_2)
    services.intervention_send(school=school, intervention_id=second.pk, actor=alice)
    scan.interventions_scan(school=school)
    assert kinds(school) == ["letter_1", "letter_2", "letter_3", "sarb_referral"]


def test_a_correction_before_sending_cancels_the_draft(school, setup, alice):
    today, group, pupil = setup
    days = [absent(school, group, pupil, back) for back in (5, 4, 3)]
    scan.interventions_scan(school=school)
    mark = pupil.attendance_marks.get(date=days[0])
    registers.mark_correct(school=school, mark=mark, code="E-MED", actor=alice, reason="Hospital letter")
    result = scan.interventions_scan(school=school)
    assert result["cancelled"] == 1 and kinds(school, State.CANCELLED) == ["letter_1"]
    # Crossing again later drafts a new one: the cancelled one does not block it.
    absent(school, group, pupil, 2)
    assert scan.interventions_scan(school=school)["created"] == {"letter_1": 1}


def test_sending_renders_keeps_the_pdf_and_asks_for_the_family_message(school, setup, alice):
    today, group, pupil = setup
    for back in (5, 4, 3):
        absent(school, group, pupil, back)
    scan.interventions_scan(school=school)
    letter = Intervention.objects.get(school=school)
    services.intervention_send(school=school, intervention_id=letter.pk, actor=alice)
    letter.refresh_from_db()
    assert letter.state == State.SENT and letter.sent_by == alice
    assert pupil.first_name in letter.body and "48260" in letter.body
    with letter.pdf.open("rb") as stored:
        data = stored.read()
    assert data[:5] == b"%PDF-"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    # The law's numbered points each on their own line; no markup printed as text.
    assert pupil.first_name in text and "<br" not in text and "&amp;" not in text
    assert "\n2. A parent or guardian" in text
    request = OutboxEvent.objects.get(
        school=school, event_type="messaging.requested", payload__template="TRUANCY_LETTER"
    )
    assert "/attendance/letters/" in request.payload["context"]["letter_link"]
    drain()
    sent = Message.objects.get(school=school, template_type="TRUANCY_LETTER")
    assert request.payload["context"]["letter_link"] in sent.body and pupil.first_name in sent.body
    with pytest.raises(AcademicsError) as caught:
        services.intervention_send(school=school, intervention_id=letter.pk, actor=alice)
    assert caught.value.code == AcademicsErrorCode.INTERVENTION_STATE


def test_the_familys_link_opens_the_pdf_and_nothing_else(client, school, other_school, setup, alice):
    today, group, pupil = setup
    for back in (5, 4, 3):
        absent(school, group, pupil, back)
    scan.interventions_scan(school=school)
    letter = Intervention.objects.get(school=school)
    guardian = pupil.guardian_links.get().guardian
    draft_link = letters.guardian_letter_link(intervention=letter, guardian=guardian)
    assert client.get(draft_link.split("8000", 1)[-1]).status_code == 404  # a draft is not the family's yet
    services.intervention_send(school=school, intervention_id=letter.pk, actor=alice)
    path = draft_link.split("8000", 1)[-1]
    response = client.get(path)
    assert response.status_code == 302
    assert b"".join(client.get(response["Location"].split("8000", 1)[-1]).streaming_content)[:5] == b"%PDF-"
    assert client.get(path.replace(school.slug, other_school.slug)).status_code == 404
    assert client.get(path[:-3] + "xyz/").status_code == 404


def test_the_school_writes_its_own_wording_and_broken_placeholders_are_refused(school, setup, alice):
    with pytest.raises(AcademicsError) as caught:
        services.letter_template_save(
            school=school, kind="letter_1", subject="Hello {student_name", body="", actor=alice
        )
    assert set(caught.value.fields) == {"subject", "body"}
    services.letter_template_save(
        school=school,
        kind="letter_1",
        subject="Attendance: {student_name}",
        body="Dear {guardian_name}, {days_list}.",
        actor=alice,
    )
    assert letters.wording(school=school, kind="letter_1")[0] == "Attendance: {student_name}"


def test_meetings_and_closing_a_case(school, setup, alice):
    today, group, pupil = setup
    for back in (5, 4, 3):
        absent(school, group, pupil, back)
    scan.interventions_scan(school=school)
    letter = Intervention.objects.get(school=school)
    with pytest.raises(AcademicsError) as caught:
        services.meeting_add(
            school=school,
            intervention_id=letter.pk,
            actor=alice,
            held_on=today + datetime.timedelta(days=1),
            attendees="",
        )
    assert set(caught.value.fields) == {"held_on", "attendees"}
    services.meeting_add(
        school=school, intervention_id=letter.pk, actor=alice, held_on=today, attendees="Mrs Bello\nMr Okafor"
    )
    with pytest.raises(AcademicsError):
        services.intervention_close(school=school, intervention_id=letter.pk, actor=alice, outcome=" ")
    services.intervention_close(
        school=school, intervention_id=letter.pk, actor=alice, outcome="Attendance contract agreed"
    )
    letter.refresh_from_db()
    assert letter.state == State.CLOSED and letter.meetings.count() == 1


def test_another_schools_intervention_is_not_found(school, other_school, setup, alice):
    today, group, pupil = setup
    for back in (5, 4, 3):
        absent(school, group, pupil, back)
    scan.interventions_scan(school=school)
    letter = Intervention.objects.get(school=school)
    with pytest.raises(AcademicsError) as caught:
        services.intervention_send(school=other_school, intervention_id=letter.pk, actor=alice)
    assert caught.value.code == AcademicsErrorCode.INTERVENTION_NOT_FOUND


def test_a_day_made_up_in_recovery_does_not_count_unless_the_school_says_so(school, setup, alice):
    today, group, pupil = setup
    for back in (5, 4, 3):
        absent(school, group, pupil, back)
    session = recovery.recovery_session_create(
        school=school,
        actor=alice,
        date=today,
        start_time=datetime.time(8, 0),
        end_time=datetime.time(14, 0),
        location="Library",
    )
    recovery.recovery_assign(school=school, session=session, student_ids=[pupil.pk], actor=alice)
    recovery.recovery_attendance_take(school=school, session=session, marks={pupil.pk: True}, actor=alice)
    assert scan.interventions_scan(school=school)["created"] == {}  # six hours made up the earliest day
    policy = codes.policy_for(school)
    policy.recovered_days_count = True
    policy.save()
    assert scan.interventions_scan(school=school)["created"] == {"letter_1": 1}
