"""The truancy interventions' pages: the queue and its scan button, one intervention (its letter,
actions by state, meetings, the pupil's letter log, the kept PDF) and the school's letter wording."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.interventions import services
from academics.models import Intervention, InterventionMeeting, LetterTemplate
from classpoint.models import AuditLog, OutboxEvent
from schools.tests import factories as f

from .factories import absent, truant

pytestmark = pytest.mark.django_db
Kind, State = Intervention.Kind, Intervention.State
BASE = "/s/greenfield/attendance/interventions/"


@pytest.fixture
def officer(officer):
    officer.first_name, officer.last_name = "Funmi", "Adebayo"
    officer.save()
    return officer


@pytest.fixture
def officer_client(verified_client, officer):
    return verified_client(officer)


def html(response):
    return response.content.decode()


# --- the queue -------------------------------------------------------------------------------------


def test_the_queue_shows_drafts_then_letters_awaiting_then_sarb_cases(
    school, group, pupil, officer, officer_client, attendance_year
):
    # given one pupil whose letter 1 is drafted, another whose letter 1 went out, a third referred to SARB
    dates, draft = truant(school, group, pupil)
    second = f.StudentFactory(school=school, first_name="Bisi", last_name="Okafor")
    f.enroll(second, school.current_term(), group)
    third = f.StudentFactory(school=school, first_name="Chike", last_name="Nwosu")
    f.enroll(third, school.current_term(), group)
    _, letter = truant(school, group, second)
    services.intervention_send(school=school, intervention_id=letter.pk, actor=officer)
    sarb = Intervention.objects.create(
        school=school,
        student=third,
        session=attendance_year,
        kind=Kind.SARB_REFERRAL,
        state=State.SENT,
        crossed_on=dates[-1],
        counted_days=[d.isoformat() for d in dates],
    )

    # when
    page = officer_client.get(BASE)

    # then the three sections come in order, each with its rows
    text = html(page)
    assert page.status_code == 200
    drafts, sent, cases = text.index("Drafts to send"), text.index("awaiting acknowledgement"), text.index("SARB cases")
    assert drafts < sent < cases
    assert text.index(f"{BASE}{draft.pk}/") < sent
    assert sent < text.index(f"{BASE}{letter.pk}/") < cases
    assert cases < text.index(f"{BASE}{sarb.pk}/")
    # the pupil's class, the days counted and the day the threshold was crossed
    row = text[text.index(f"{BASE}{draft.pk}/") : sent]
    assert group.name in row and ">3</td>" in row and f"{dates[-1]:%a} {dates[-1].day} {dates[-1]:%b %Y}" in row
    assert 'aria-current="page">Interventions</a>' in text


def test_the_queue_filters_by_state_and_kind(school, group, pupil, officer, officer_client, attendance_year):
    _, draft = truant(school, group, pupil)
    services.intervention_close(school=school, intervention_id=draft.pk, actor=officer, outcome="Moved away")

    closed = html(officer_client.get(BASE, {"state": "closed"}))
    assert f"{BASE}{draft.pk}/" in closed and "Closed</span>" in closed
    assert f"{BASE}{draft.pk}/" not in html(officer_client.get(BASE))  # no longer open work
    assert f"{BASE}{draft.pk}/" not in html(officer_client.get(BASE, {"state": "closed", "kind": "letter_2"}))
    bad = officer_client.get(BASE, {"state": "lost"})
    assert bad.status_code == 200 and "Select a valid choice" in html(bad)


def test_the_queue_reads_in_a_constant_number_of_queries(school, group, pupil, officer_client, attendance_year):
    truant(school, group, pupil)
    officer_client.get(BASE)
    with CaptureQueriesContext(connection) as one:
        officer_client.get(BASE)
    for name in ("Bisi", "Chike", "Dayo"):
        more = f.StudentFactory(school=school, first_name=name)
        f.enroll(more, school.current_term(), group)
        truant(school, group, more)
    with CaptureQueriesContext(connection) as four:
        officer_client.get(BASE)
    assert len(four) == len(one)


def test_running_the_scan_drafts_and_says_what(school, group, pupil, officer, officer_client, attendance_year):
    # given three unexcused days not scanned yet
    for back in (5, 4, 3):
        absent(school, group, pupil, back)

    # when
    response = officer_client.post(f"{BASE}scan/", follow=True)

    # then
    assert response.redirect_chain[-1][0] == BASE
    assert "The scan drafted 1 first letter." in html(response)
    assert Intervention.objects.get(school=school).state == State.DRAFT
    assert AuditLog.objects.filter(school=school, action="intervention.drafted", actor=officer).count() == 1
    again = officer_client.post(f"{BASE}scan/", follow=True)
    assert "The scan found no new threshold crossed." in html(again)


def test_the_scan_says_so_when_no_school_year_includes_today(school, officer_client, attendance_year):
    attendance_year.start_date = school.local_today() + datetime.timedelta(days=1)
    attendance_year.save()
    response = officer_client.post(f"{BASE}scan/", follow=True)
    assert "nothing to scan" in html(response)


def test_the_scan_is_a_post(school, officer_client, attendance_year):
    assert officer_client.get(f"{BASE}scan/").status_code == 405


# --- one intervention ------------------------------------------------------------------------------


def test_a_draft_shows_the_letter_as_it_will_be_sent_and_the_days_counted(
    school, group, pupil, officer, officer_client, attendance_year
):
    dates, draft = truant(school, group, pupil)

    page = officer_client.get(f"{BASE}{draft.pk}/")

    text = html(page)
    assert page.status_code == 200
    assert f"Truancy letter 1: {pupil.full_name}" in text
    assert f'href="/s/greenfield/attendance/students/{pupil.pk}/"' in text
    assert "The letter as it will be sent" in text and "Notification of truancy" in text
    assert "Funmi Adebayo" in text  # signed by whoever sends it
    for day in dates:
        assert f"{day:%a} {day.day} {day:%b %Y}" in text
    assert "Send truancy letter 1</button>" in text and "Record the acknowledgement" not in text
    # the pupil's letter log, this one marked
    assert 'aria-current="true"' in text
    # and the read is in the pupil's access log
    assert AuditLog.objects.filter(school=school, action="student.viewed", target_id=str(pupil.pk)).exists()


def test_sending_keeps_the_letter_and_links_its_pdf(school, group, pupil, officer, officer_client, attendance_year):
    _, draft = truant(school, group, pupil)

    response = officer_client.post(f"{BASE}{draft.pk}/send/", follow=True)

    text = html(response)
    draft.refresh_from_db()
    assert draft.state == State.SENT and draft.sent_by == officer
    assert "Truancy letter 1 sent to" in text
    assert "The letter as sent" in text and f'href="{BASE}{draft.pk}/pdf/"' in text
    assert "Record the acknowledgement" in text and "Send truancy letter 1</button>" not in text
    assert OutboxEvent.objects.filter(school=school, payload__template="TRUANCY_LETTER").count() == 1
    # the PDF: a short-lived link to the kept file
    pdf = officer_client.get(f"{BASE}{draft.pk}/pdf/")
    assert pdf.status_code == 302
    assert b"".join(officer_client.get(pdf["Location"].split("8000", 1)[-1]).streaming_content)[:5] == b"%PDF-"


def test_sending_twice_is_a_409_message_and_sends_nothing_more(
    school, group, pupil, officer, officer_client, attendance_year
):
    _, draft = truant(school, group, pupil)
    officer_client.post(f"{BASE}{draft.pk}/send/")

    again = officer_client.post(f"{BASE}{draft.pk}/send/")

    assert again.status_code == 409
    assert "It cannot be sent now: it is sent." in html(again)
    assert OutboxEvent.objects.filter(school=school, payload__template="TRUANCY_LETTER").count() == 1


def test_a_draft_has_no_pdf(school, group, pupil, officer_client, attendance_year):
    _, draft = truant(school, group, pupil)
    assert officer_client.get(f"{BASE}{draft.pk}/pdf/").status_code == 404


def test_acknowledging_with_a_note(school, group, pupil, officer, officer_client, attendance_year):
    _, draft = truant(school, group, pupil)
    services.intervention_send(school=school, intervention_id=draft.pk, actor=officer)

    response = officer_client.post(f"{BASE}{draft.pk}/acknowledge/", {"note": "Slip  signed by mother"}, follow=True)

    draft.refresh_from_db()
    assert draft.state == State.ACKNOWLEDGED and draft.note == "Slip signed by mother"
    assert "Acknowledged by" in html(response) and "Slip signed by mother" in html(response)


def test_acknowledging_a_draft_is_a_409_and_changes_nothing(school, group, pupil, officer_client, attendance_year):
    _, draft = truant(school, group, pupil)
    response = officer_client.post(f"{BASE}{draft.pk}/acknowledge/", {"note": "x"})
    assert response.status_code == 409 and "It cannot be acknowledged now: it is draft." in html(response)
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.note == ""


def test_closing_needs_an_outcome(school, group, pupil, officer_client, attendance_year):
    _, draft = truant(school, group, pupil)

    refused = officer_client.post(f"{BASE}{draft.pk}/close/", {"outcome": "  "})

    assert refused.status_code == 400
    assert "Write the outcome" in html(refused) and "Nothing was saved" in html(refused)
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    closed = officer_client.post(f"{BASE}{draft.pk}/close/", {"outcome": "Family moved to Abuja"}, follow=True)
    draft.refresh_from_db()
    assert draft.state == State.CLOSED and "Family moved to Abuja" in html(closed)
    assert "What to do next" not in html(closed)


def test_a_meeting_is_recorded_and_listed(school, group, pupil, officer_client, attendance_year):
    _, draft = truant(school, group, pupil)
    today = school.local_today()

    response = officer_client.post(
        f"{BASE}{draft.pk}/meetings/",
        {"held_on": today.isoformat(), "attendees": "Mrs Bello (mother)\n\n Mr Okafor ", "notes": "Agreed a plan"},
        follow=True,
    )

    meeting = InterventionMeeting.objects.get(school=school)
    assert meeting.attendees == "Mrs Bello (mother)\nMr Okafor" and meeting.held_on == today
    text = html(response)
    assert "Mrs Bello (mother); Mr Okafor" in text and "Agreed a plan" in text and "Meetings <span class" in text


def test_a_meeting_in_the_future_or_without_attendees_is_refused_beside_its_fields(
    school, group, pupil, officer_client, attendance_year
):
    _, draft = truant(school, group, pupil)
    tomorrow = school.local_today() + datetime.timedelta(days=1)

    response = officer_client.post(f"{BASE}{draft.pk}/meetings/", {"held_on": tomorrow.isoformat(), "attendees": ""})

    text = html(response)
    assert response.status_code == 400
    assert "Record a meeting once it has taken place." in text and "Who attended? One per line." in text
    assert not InterventionMeeting.objects.exists()
    bad_date = officer_client.post(f"{BASE}{draft.pk}/meetings/", {"held_on": "9999-12-31", "attendees": "Me"})
    assert bad_date.status_code == 400 and not InterventionMeeting.objects.exists()


def test_a_cancelled_intervention_takes_no_meeting(school, group, pupil, officer_client, attendance_year):
    _, draft = truant(school, group, pupil)
    Intervention.objects.filter(pk=draft.pk).update(state=State.CANCELLED)
    page = officer_client.get(f"{BASE}{draft.pk}/")
    assert "Record a meeting" not in html(page) and "What to do next" not in html(page)
    response = officer_client.post(
        f"{BASE}{draft.pk}/meetings/", {"held_on": school.local_today().isoformat(), "attendees": "Me"}
    )
    assert response.status_code == 400 and "This intervention was cancelled." in html(response)


def test_a_sarb_case_opens_its_meeting_form_and_sends_no_letter(
    school, group, pupil, officer, officer_client, attendance_year
):
    dates, _ = truant(school, group, pupil)
    case = Intervention.objects.create(
        school=school,
        student=pupil,
        session=attendance_year,
        kind=Kind.SARB_REFERRAL,
        crossed_on=dates[-1],
        counted_days=[d.isoformat() for d in dates],
    )
    page = html(officer_client.get(f"{BASE}{case.pk}/"))
    assert "Refer to SARB</button>" in page and "The letter as it will be sent" not in page
    assert '<details class="card int-form" open>' in page  # the meeting form
    response = officer_client.post(f"{BASE}{case.pk}/send/", follow=True)
    case.refresh_from_db()
    assert case.state == State.SENT and not case.pdf
    assert "is referred to the School Attendance Review Board" in html(response)
    # the letter log lists both of the pupil's interventions this year
    assert html(response).count('class="badge badge-') >= 3


# --- the wording -----------------------------------------------------------------------------------


def test_the_wording_page_shows_the_default_until_the_school_saves_its_own(school, officer_client, attendance_year):
    page = officer_client.get(f"{BASE}letters/")
    text = html(page)
    assert page.status_code == 200
    assert text.count("The law’s default</span>") == 3
    assert "Notification of truancy: {student_name}" in text and "{days_list}" in text

    saved = officer_client.post(
        f"{BASE}letters/",
        {"kind": "letter_2", "letter_2-subject": "Attendance: {student_name}", "letter_2-body": "Dear {guardian_name}"},
        follow=True,
    )

    assert "Letter 2: truant again: the school’s wording is saved." in html(saved)
    template = LetterTemplate.objects.get(school=school)
    assert (template.kind, template.subject) == ("letter_2", "Attendance: {student_name}")
    assert html(saved).count("The law’s default</span>") == 2 and "The school’s wording</span>" in html(saved)


def test_a_broken_placeholder_is_a_field_error_and_saves_nothing(school, officer_client, attendance_year):
    response = officer_client.post(
        f"{BASE}letters/", {"kind": "letter_1", "letter_1-subject": "Hello {student_name", "letter_1-body": ""}
    )
    text = html(response)
    assert response.status_code == 400
    assert "A placeholder is broken" in text and "Write the letter." in text
    assert 'value="Hello {student_name"' in text  # what was typed stays in the box
    assert not LetterTemplate.objects.exists()


def test_a_letter_kind_that_is_none_of_the_three_is_refused(school, officer_client, attendance_year):
    response = officer_client.post(f"{BASE}letters/", {"kind": "sarb_referral"})
    assert response.status_code == 400 and "Choose letter 1, 2 or 3." in html(response)
    assert not LetterTemplate.objects.exists()


# --- who may --------------------------------------------------------------------------------------


def test_another_schools_intervention_is_a_404(
    school, other_school, group, pupil, officer, charlie, verified_client, attendance_year
):
    _, draft = truant(school, group, pupil)
    client = verified_client(charlie)
    riverside = "/s/riverside/attendance/interventions/"
    for suffix in ("", "pdf/"):
        assert client.get(f"{riverside}{draft.pk}/{suffix}").status_code == 404
    for suffix, data in (("send/", {}), ("acknowledge/", {}), ("close/", {"outcome": "x"}), ("meetings/", {})):
        assert client.post(f"{riverside}{draft.pk}/{suffix}", data).status_code == 404
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert client.get(f"{BASE}{draft.pk}/").status_code == 404  # not a member of Greenfield


def test_an_id_past_any_id_is_a_404(school, officer_client, attendance_year):
    assert officer_client.get(f"{BASE}99999999999999999999/").status_code == 404


def test_a_teacher_may_not_open_the_interventions(school, group, pupil, teacher, verified_client, attendance_year):
    _, draft = truant(school, group, pupil)
    client = verified_client(teacher)
    for url in (BASE, f"{BASE}{draft.pk}/", f"{BASE}letters/", f"{BASE}{draft.pk}/pdf/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{BASE}scan/").status_code == 403
    assert client.post(f"{BASE}{draft.pk}/send/").status_code == 403
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_the_officer_tabs_link_the_queue(school, officer_client, attendance_year):
    page = officer_client.get("/s/greenfield/attendance/day/")
    assert f'href="{BASE}"' in html(page)
