"""The interventions API: the list and one intervention, sending, acknowledging, closing, meetings
and the scan; Idempotency-Key, 404 across schools, 403 without the officer's permission. Every
response is checked against the OpenAPI schema (classpoint.schema_testing)."""

import datetime

import pytest

from academics.models import Intervention, InterventionMeeting
from classpoint.models import AuditLog, OutboxEvent
from schools.tests import factories as f

from .factories import absent, truant

pytestmark = pytest.mark.django_db
Kind, State = Intervention.Kind, Intervention.State
API = "/api/v1/schools/greenfield/attendance/interventions/"
RIVERSIDE = "/api/v1/schools/riverside/attendance/interventions/"


def letters_requested(school):
    return OutboxEvent.objects.filter(school=school, payload__template="TRUANCY_LETTER").count()


# --- reading ---------------------------------------------------------------------------------------


def test_the_list_filters_and_keeps_a_stable_order(school, group, pupil, officer, officer_api, attendance_year):
    # given a drafted letter 1 and another pupil's closed one
    _, first = truant(school, group, pupil)
    other = f.StudentFactory(school=school, first_name="Bisi")
    f.enroll(other, school.current_term(), group)
    _, second = truant(school, group, other)
    Intervention.objects.filter(pk=second.pk).update(created_at=first.created_at)  # a tie: the id decides
    officer_api.post(f"{API}{second.pk}/close/", {"outcome": "Moved away"}, format="json")

    # when
    listed = officer_api.get(API).json()

    # then
    assert listed["count"] == 2
    assert [row["id"] for row in listed["results"]] == [second.pk, first.pk]
    row = listed["results"][1]
    assert row["student"] == {"id": pupil.pk, "admission_number": pupil.admission_number, "name": pupil.full_name}
    assert (row["kind"], row["state"], row["days_count"], row["sent_at"]) == ("letter_1", "draft", 3, None)
    assert "counted_days" not in row and "meetings" not in row

    def ids(query):
        return [row["id"] for row in officer_api.get(f"{API}?{query}").json()["results"]]

    assert ids("state=draft") == [first.pk]
    assert ids("state=closed&kind=letter_1") == [second.pk]
    assert ids("kind=sarb_referral") == []
    assert ids(f"student={other.pk}") == [second.pk]
    bad = officer_api.get(f"{API}?state=lost&student=99999999999999999999")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"state", "student"}


def test_one_intervention_with_its_days_and_no_pdf_while_a_draft(
    school, group, pupil, officer, officer_api, attendance_year
):
    dates, draft = truant(school, group, pupil)

    body = officer_api.get(f"{API}{draft.pk}/").json()

    assert body["counted_days"] == [d.isoformat() for d in dates]
    assert body["crossed_on"] == dates[-1].isoformat()
    assert (body["pdf"], body["subject"], body["body"], body["meetings"]) == (None, "", "", [])
    assert AuditLog.objects.filter(
        school=school, action="student.viewed", target_id=str(pupil.pk), changes__via="api"
    ).exists()


# --- acting ----------------------------------------------------------------------------------------


def test_sending_keeps_the_letter_and_links_its_pdf(
    school, group, pupil, officer, officer_api, attendance_year, client
):
    _, draft = truant(school, group, pupil)

    response = officer_api.post(f"{API}{draft.pk}/send/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "sent" and body["sent_by"] == officer.get_username() and body["sent_at"]
    assert "48260" in body["body"] and pupil.first_name in body["subject"]
    assert letters_requested(school) == 1
    pdf = client.get(body["pdf"]["url"].split("8000", 1)[-1])
    assert b"".join(pdf.streaming_content)[:5] == b"%PDF-"
    # sending again: 409, nothing sent twice
    again = officer_api.post(f"{API}{draft.pk}/send/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "intervention_state"
    assert again.json()["error"]["fields"] == {"state": ["It cannot be sent now: it is sent."]}
    assert letters_requested(school) == 1


def test_an_idempotency_key_replays_the_send_and_refuses_another_body(
    school, group, pupil, officer_api, attendance_year
):
    _, draft = truant(school, group, pupil)

    first = officer_api.post(f"{API}{draft.pk}/send/", HTTP_IDEMPOTENCY_KEY="send-1")
    replay = officer_api.post(f"{API}{draft.pk}/send/", HTTP_IDEMPOTENCY_KEY="send-1")

    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert letters_requested(school) == 1
    other = officer_api.post(
        f"{API}{draft.pk}/acknowledge/", {"note": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="send-1"
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    draft.refresh_from_db()
    assert draft.state == State.SENT


def test_acknowledge_then_close_with_an_outcome(school, group, pupil, officer, officer_api, attendance_year):
    _, draft = truant(school, group, pupil)
    officer_api.post(f"{API}{draft.pk}/send/")

    acknowledged = officer_api.post(f"{API}{draft.pk}/acknowledge/", {"note": "Slip returned"}, format="json")
    assert acknowledged.status_code == 200
    assert (acknowledged.json()["state"], acknowledged.json()["note"]) == ("acknowledged", "Slip returned")
    assert acknowledged.json()["acknowledged_at"]

    refused = officer_api.post(f"{API}{draft.pk}/close/", {"outcome": "  "}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "outcome_required"
    missing = officer_api.post(f"{API}{draft.pk}/close/", {}, format="json")
    assert missing.status_code == 400 and "outcome" in missing.json()["error"]["fields"]

    closed = officer_api.post(f"{API}{draft.pk}/close/", {"outcome": "Attendance contract"}, format="json")
    assert closed.status_code == 200
    assert (closed.json()["state"], closed.json()["outcome"]) == ("closed", "Attendance contract")
    again = officer_api.post(f"{API}{draft.pk}/acknowledge/", {}, format="json")
    assert again.status_code == 409


def test_a_meeting_is_added_and_shows_on_the_intervention(school, group, pupil, officer, officer_api, attendance_year):
    _, draft = truant(school, group, pupil)
    today = school.local_today()

    response = officer_api.post(
        f"{API}{draft.pk}/meetings/",
        {"held_on": today.isoformat(), "attendees": ["Mrs Bello (mother)", " Mr  Okafor "], "notes": "A plan"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    meeting = response.json()
    assert meeting["attendees"] == ["Mrs Bello (mother)", "Mr Okafor"] and meeting["held_on"] == today.isoformat()
    assert meeting["created_by"] == officer.get_username()
    detail = officer_api.get(f"{API}{draft.pk}/").json()
    assert [m["id"] for m in detail["meetings"]] == [meeting["id"]]


def test_a_meeting_that_has_not_happened_or_without_attendees_is_refused(
    school, group, pupil, officer_api, attendance_year
):
    _, draft = truant(school, group, pupil)
    tomorrow = school.local_today() + datetime.timedelta(days=1)

    refused = officer_api.post(
        f"{API}{draft.pk}/meetings/", {"held_on": tomorrow.isoformat(), "attendees": []}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "meeting_invalid"
    assert set(refused.json()["error"]["fields"]) == {"held_on", "attendees"}
    for held_on in ("9999-12-31", "0001-01-01", "soon"):
        bad = officer_api.post(f"{API}{draft.pk}/meetings/", {"held_on": held_on, "attendees": ["Me"]}, format="json")
        assert bad.status_code == 400 and "held_on" in bad.json()["error"]["fields"]
    assert not InterventionMeeting.objects.exists()


def test_the_scan_drafts_once_and_says_what(school, group, pupil, officer_api, attendance_year):
    for back in (5, 4, 3):
        absent(school, group, pupil, back)

    first = officer_api.post(f"{API}scan/", {}, format="json")
    again = officer_api.post(f"{API}scan/", {"date": school.local_today().isoformat()}, format="json")

    assert first.status_code == 200
    assert first.json() == {
        "date": school.local_today().isoformat(),
        "created": {"letter_1": 1, "letter_2": 0, "letter_3": 0, "sarb_referral": 0},
        "cancelled": 0,
    }
    assert again.json()["created"] == {"letter_1": 0, "letter_2": 0, "letter_3": 0, "sarb_referral": 0}
    assert Intervention.objects.filter(school=school).count() == 1


def test_the_scan_up_to_an_earlier_day_counts_only_the_days_before_it(
    school, group, pupil, officer_api, attendance_year
):
    for back in (5, 4, 3):
        absent(school, group, pupil, back)
    earlier = school.local_today() - datetime.timedelta(days=4)
    body = officer_api.post(f"{API}scan/", {"date": earlier.isoformat()}, format="json").json()
    assert body["date"] == earlier.isoformat() and body["created"]["letter_1"] == 0


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "tomorrow", None])
def test_the_scan_refuses_a_day_that_has_not_come_or_is_no_date(school, officer_api, attendance_year, day):
    tomorrow = (school.local_today() + datetime.timedelta(days=1)).isoformat()
    response = officer_api.post(f"{API}scan/", {"date": day or tomorrow}, format="json")
    assert response.status_code == 400 and "date" in response.json()["error"]["fields"]


# --- who may ---------------------------------------------------------------------------------------


def test_another_schools_intervention_is_a_404_as_if_absent(
    school, other_school, group, pupil, officer_api, charlie, api, attendance_year
):
    _, draft = truant(school, group, pupil)
    api.force_authenticate(charlie)
    assert api.get(f"{RIVERSIDE}{draft.pk}/").status_code == 404
    assert api.get(f"{RIVERSIDE}?student={pupil.pk}").json()["count"] == 0
    for action, body in (("send", {}), ("acknowledge", {}), ("close", {"outcome": "x"}), ("meetings", {})):
        response = api.post(f"{RIVERSIDE}{draft.pk}/{action}/", body, format="json")
        assert response.status_code == 404, action
        assert response.json()["error"]["code"] == "not_found"
    assert api.get(f"{API}{draft.pk}/").status_code == 404  # not a member of Greenfield
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and letters_requested(school) == 0


def test_a_teacher_gets_403(school, group, pupil, teacher, api, attendance_year):
    _, draft = truant(school, group, pupil)
    api.force_authenticate(teacher)
    assert api.get(API).status_code == 403
    assert api.get(f"{API}{draft.pk}/").status_code == 403
    assert api.post(f"{API}{draft.pk}/send/").status_code == 403
    assert api.post(f"{API}scan/", {}, format="json").status_code == 403
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
