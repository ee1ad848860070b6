"""Saved lists of guardians: made and changed all or nothing (another school's guardian, a pasted line
that matches nobody), an announcement to a list reaching exactly its guardians once, deleting refused
while an announcement still waits on the list, and another school's lists hidden in pages and API."""

import pytest
from django.utils import timezone

from classpoint.models import AuditLog, IdempotencyRecord, OutboxEvent
from classpoint.outbox import worker
from messaging import announcements as ann
from messaging import lists, pipeline
from messaging.errors import MessagingError
from messaging.models import Announcement, GuardianList, Message
from schools.models import Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/s/greenfield/messages/lists/"
API = "/api/v1/schools/greenfield/guardian-lists/"


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    # Outside quiet hours whatever time the suite runs.
    monkeypatch.setattr(pipeline, "_now", lambda: timezone.now().replace(hour=11, minute=0))


@pytest.fixture
def people(school, other_school):
    """Greenfield: the fixture mother (GFAPupil's), a father with a child in another class, and a PTA
    chair with no child at the school. Riverside's guardian too. Everyone consented to SMS."""
    mother = school.guardians.get()
    group = f.ClassGroupFactory(school=school, name="GFA JSS 2A")
    father = f.GuardianFactory(
        school=school, first_name="Bola", last_name="Ade", phone="+2348035550101", email="Bola.Ade@Example.ng"
    )
    child = Student.objects.create(school=school, admission_number="GFA/0002", first_name="Tobi", last_name="Ade")
    f.enroll(child, school.current_term(), group)
    f.link(child, father)
    chair = f.GuardianFactory(school=school, first_name="Ngozi", last_name="Eze", phone="+2348035550202", email="")
    foreign = other_school.guardians.get()
    for s in (school, other_school):
        s.guardians.update(consent_sms=True)
    return {"mother": mother, "father": father, "chair": chair, "foreign": foreign}


def _members(guardian_list):
    return sorted(guardian_list.guardians.values_list("pk", flat=True))


# --- Services --------------------------------------------------------------------------------


def test_create_matches_pasted_numbers_and_emails_as_people_type_them(school, alice, people):
    # given a paste with a local-format number, an email in other case, blanks and a repeat
    paste = "0803 555 0101\n\n  bola.ade@example.NG \n+2348035550202; 0803 555 0202\n"

    # when
    created = lists.guardian_list_create(
        school=school, actor=alice, name=" PTA executive ", contacts=paste, guardian_ids=[people["mother"].pk]
    )

    # then
    assert created.name == "PTA executive"
    assert _members(created) == sorted(people[k].pk for k in ("mother", "father", "chair"))
    entry = AuditLog.objects.get(action="guardian_list.created")
    assert entry.school == school and entry.changes["guardian_ids"] == _members(created)


def test_create_refuses_another_schools_guardian_and_saves_nothing(school, alice, people):
    with pytest.raises(MessagingError) as exc:
        lists.guardian_list_create(
            school=school, actor=alice, name="Trip", guardian_ids=[people["mother"].pk, people["foreign"].pk]
        )

    assert exc.value.fields == {"guardian_ids": ["Some of the chosen guardians do not exist in this school."]}
    assert not GuardianList.objects.for_school(school).exists()
    assert not AuditLog.objects.filter(action="guardian_list.created").exists()


def test_create_reports_every_bad_field_at_once(school, alice, people):
    lists.guardian_list_create(school=school, actor=alice, name="Bus families")

    with pytest.raises(MessagingError) as exc:
        lists.guardian_list_create(
            school=school,
            actor=alice,
            name="BUS FAMILIES",
            description="x" * 501,
            contacts="0803 555 0101\n0809 999 9999\nnobody@example.ng",
        )

    assert set(exc.value.fields) == {"name", "description", "contacts"}
    assert "0809 999 9999" in exc.value.fields["contacts"][0] and "nobody@example.ng" in exc.value.fields["contacts"][0]
    assert "0803 555 0101" not in exc.value.fields["contacts"][0]
    assert GuardianList.objects.for_school(school).count() == 1


def test_unknown_pasted_number_is_refused_and_nothing_changes(school, alice, people):
    # given a list with the mother on it
    trip = lists.guardian_list_create(school=school, actor=alice, name="Trip", guardian_ids=[people["mother"].pk])
    before = trip.updated_at

    # when staff paste the father's number, an unknown one, and the other school's guardian's number
    with pytest.raises(MessagingError) as exc:
        lists.guardian_list_add_members(
            guardian_list=trip, actor=alice, contacts=f"08035550101\n0809 999 9999\n{people['foreign'].phone}"
        )

    # then nobody was added, and the lines that matched nobody here are named
    message = exc.value.fields["contacts"][0]
    assert "0809 999 9999" in message and people["foreign"].phone in message and "08035550101" not in message
    trip.refresh_from_db()
    assert _members(trip) == [people["mother"].pk]
    assert trip.updated_at == before
    assert not AuditLog.objects.filter(action="guardian_list.members_added").exists()


def test_pasting_nothing_is_an_error(school, alice, people):
    trip = lists.guardian_list_create(school=school, actor=alice, name="Trip")
    with pytest.raises(MessagingError) as exc:
        lists.guardian_list_add_members(guardian_list=trip, actor=alice, contacts=" \n ")
    assert set(exc.value.fields) == {"contacts"}


def test_update_with_errors_changes_nothing(school, alice, people):
    lists.guardian_list_create(school=school, actor=alice, name="Choir")
    trip = lists.guardian_list_create(school=school, actor=alice, name="Trip", guardian_ids=[people["mother"].pk])

    with pytest.raises(MessagingError) as exc:
        lists.guardian_list_update(
            guardian_list=trip, actor=alice, name="choir", guardian_ids=[people["father"].pk, people["foreign"].pk]
        )

    assert set(exc.value.fields) == {"name", "guardian_ids"}
    trip.refresh_from_db()
    assert trip.name == "Trip" and _members(trip) == [people["mother"].pk]


def test_update_renames_and_replaces_members_with_an_audit_entry(school, alice, people):
    trip = lists.guardian_list_create(school=school, actor=alice, name="Trip", guardian_ids=[people["mother"].pk])

    lists.guardian_list_update(
        guardian_list=trip, actor=alice, name="Lagos trip", guardian_ids=[people["father"].pk, people["chair"].pk]
    )

    trip.refresh_from_db()
    assert trip.name == "Lagos trip"
    assert _members(trip) == sorted([people["father"].pk, people["chair"].pk])
    entry = AuditLog.objects.get(action="guardian_list.updated")
    assert entry.changes["name"] == ["Trip", "Lagos trip"]
    assert entry.changes["removed"] == [people["mother"].pk]


def test_add_and_remove_members_count_only_real_changes(school, alice, people):
    trip = lists.guardian_list_create(school=school, actor=alice, name="Trip", guardian_ids=[people["mother"].pk])

    assert (
        lists.guardian_list_add_members(
            guardian_list=trip, actor=alice, guardian_ids=[people["mother"].pk], contacts="0803 555 0101"
        )
        == 1
    )
    assert (
        lists.guardian_list_remove_members(
            guardian_list=trip, actor=alice, guardian_ids=[people["mother"].pk, people["chair"].pk]
        )
        == 1
    )
    assert _members(trip) == [people["father"].pk]


# --- Announcements to a list -----------------------------------------------------------------


def _publish(school, actor, capture, **fields):
    announcement = ann.announcement_create(
        school=school, actor=actor, title="PTA meeting", body="PTA meets on Monday at 4pm.", **fields
    )
    with capture(execute=True):
        ann.announcement_publish(announcement=announcement, actor=actor)
        worker.drain()
    return announcement


def test_announcement_to_a_list_reaches_exactly_its_guardians_once(
    school, alice, people, django_capture_on_commit_callbacks
):
    # given a list with the mother (added twice over: by id and by her number) and the chair, who has
    # no child at the school; the father is not on it
    mother, chair = people["mother"], people["chair"]
    pta = lists.guardian_list_create(
        school=school, actor=alice, name="PTA", guardian_ids=[mother.pk, chair.pk], contacts=mother.phone
    )

    # when
    announcement = _publish(
        school, alice, django_capture_on_commit_callbacks, audience="saved_list", guardian_list_id=pta.pk
    )

    # then one request and one message per member, nobody else
    requests = OutboxEvent.objects.filter(school=school, event_type="messaging.requested")
    assert sorted(requests.values_list("dedupe_key", flat=True)) == sorted(
        f"msg:announcement:{announcement.pk}:{g.pk}" for g in (mother, chair)
    )
    sent = Message.objects.for_school(school).filter(template_type="ANNOUNCEMENT")
    assert sorted(sent.values_list("guardian_id", flat=True)) == sorted([mother.pk, chair.pk])
    assert ann.fan_out(OutboxEvent.objects.get(school=school, event_type="announcement.published")) == 0


def test_saved_list_audience_needs_a_list_of_this_school(school, other_school, alice, charlie, people):
    theirs = lists.guardian_list_create(school=other_school, actor=charlie, name="Riverside PTA")
    ours = lists.guardian_list_create(school=school, actor=alice, name="PTA")

    for audience, list_id, wanted in (
        ("saved_list", None, "Choose a saved list."),
        ("saved_list", theirs.pk, "This list does not exist in this school."),
        ("whole_school", ours.pk, "A list is chosen only for an announcement to a saved list."),
    ):
        with pytest.raises(MessagingError) as exc:
            ann.announcement_create(
                school=school, actor=alice, title="T", body="B", audience=audience, guardian_list_id=list_id
            )
        assert exc.value.fields == {"guardian_list": [wanted]}
    assert not Announcement.objects.for_school(school).exists()


def test_other_audiences_are_unchanged_by_lists(school, alice, people, django_capture_on_commit_callbacks):
    lists.guardian_list_create(school=school, actor=alice, name="PTA", guardian_ids=[people["chair"].pk])

    _publish(school, alice, django_capture_on_commit_callbacks)

    # the chair has no child at the school: the whole school is its families, not every list member
    reached = Message.objects.for_school(school).values_list("guardian_id", flat=True)
    assert sorted(reached) == sorted([people["mother"].pk, people["father"].pk])


def test_delete_is_refused_while_an_announcement_waits_on_the_list(
    school, alice, people, django_capture_on_commit_callbacks
):
    # given a draft to the list
    pta = lists.guardian_list_create(school=school, actor=alice, name="PTA", guardian_ids=[people["chair"].pk])
    draft = ann.announcement_create(
        school=school, actor=alice, title="PTA meeting", body="Monday", audience="saved_list", guardian_list_id=pta.pk
    )

    # then deleting is refused while it is a draft, and while published but not yet fanned out
    with pytest.raises(MessagingError) as exc:
        lists.guardian_list_delete(guardian_list=pta, actor=alice)
    assert exc.value.code == "guardian_list_in_use" and "“PTA meeting”" in exc.value.message
    with django_capture_on_commit_callbacks(execute=False):
        ann.announcement_publish(announcement=draft, actor=alice)
    with pytest.raises(MessagingError):
        lists.guardian_list_delete(guardian_list=pta, actor=alice)
    assert GuardianList.objects.for_school(school).filter(pk=pta.pk).exists()

    # when the announcement has gone out
    with django_capture_on_commit_callbacks(execute=True):
        worker.drain()
    lists.guardian_list_delete(guardian_list=pta, actor=alice)

    # then the list is gone and the announcement keeps its record
    draft.refresh_from_db()
    assert not GuardianList.objects.for_school(school).exists()
    assert draft.audience == "saved_list" and draft.guardian_list_id is None
    assert Message.objects.for_school(school).filter(guardian=people["chair"]).count() == 1
    assert AuditLog.objects.filter(action="guardian_list.deleted", school=school).count() == 1


# --- Pages -----------------------------------------------------------------------------------


def test_pages_render_and_link_from_announcements(school, alice, people, verified_client):
    client = verified_client(alice)
    pta = lists.guardian_list_create(school=school, actor=alice, name="PTA", guardian_ids=[people["chair"].pk])

    assert f'href="{URL}"' in client.get("/s/greenfield/messages/announcements/").content.decode()
    index = client.get(URL)
    new = client.get(f"{URL}new/")
    detail = client.get(f"{URL}{pta.pk}/")
    found = client.get(f"{URL}{pta.pk}/", {"q": "Ade"})

    assert (index.status_code, new.status_code, detail.status_code, found.status_code) == (200, 200, 200, 200)
    assert "PTA" in index.content.decode()
    assert (
        "Ngozi Eze" in detail.content.decode()
        and 'aria-label="Remove Ngozi Eze from the list"' in detail.content.decode()
    )
    assert f'id="add-{people["father"].pk}"' in found.content.decode()  # on offer to add
    assert f'id="add-{people["chair"].pk}"' not in found.content.decode()


def test_staff_make_a_list_add_remove_and_delete_it_from_the_workspace(school, alice, people, verified_client):
    client = verified_client(alice)

    made = client.post(f"{URL}new/", {"name": "Bus", "description": "Route A", "contacts": "0803 555 0101"})
    bus = GuardianList.objects.for_school(school).get()
    assert made.status_code == 302 and made["Location"] == f"{URL}{bus.pk}/"
    assert _members(bus) == [people["father"].pk]

    added = client.post(f"{URL}{bus.pk}/members/add/", {"guardian_ids": [people["chair"].pk]})
    removed = client.post(f"{URL}{bus.pk}/members/remove/", {"guardian_ids": [people["father"].pk]})
    renamed = client.post(f"{URL}{bus.pk}/", {"name": "Bus route A", "description": ""})
    assert (added.status_code, removed.status_code, renamed.status_code) == (302, 302, 302)
    bus.refresh_from_db()
    assert bus.name == "Bus route A" and _members(bus) == [people["chair"].pk]

    deleted = client.post(f"{URL}{bus.pk}/delete/")
    assert deleted.status_code == 302 and not GuardianList.objects.for_school(school).exists()


def test_form_errors_show_beside_their_fields_and_save_nothing(school, alice, people, verified_client):
    client = verified_client(alice)
    pta = lists.guardian_list_create(school=school, actor=alice, name="PTA", guardian_ids=[people["chair"].pk])

    new = client.post(f"{URL}new/", {"name": "", "contacts": "0809 999 9999"})
    paste = client.post(f"{URL}{pta.pk}/members/add/", {"contacts": "0803 555 0101\n0809 999 9999"})
    rename = client.post(f"{URL}{pta.pk}/", {"name": "x" * 81})

    assert new.status_code == paste.status_code == rename.status_code == 400
    assert 'id="id_name_error">Give the list a name.' in new.content.decode()
    assert 'id="id_contacts_error">No guardian in this school has this phone number or email: 0809 999 9999.' in (
        paste.content.decode()
    )
    assert "Keep the name to 80 characters." in rename.content.decode()
    assert GuardianList.objects.for_school(school).count() == 1
    pta.refresh_from_db()
    assert pta.name == "PTA" and _members(pta) == [people["chair"].pk]


def test_refused_delete_explains_why_on_the_page(school, alice, people, verified_client):
    pta = lists.guardian_list_create(school=school, actor=alice, name="PTA", guardian_ids=[people["chair"].pk])
    ann.announcement_create(
        school=school, actor=alice, title="PTA meeting", body="Monday", audience="saved_list", guardian_list_id=pta.pk
    )
    client = verified_client(alice)

    response = client.post(f"{URL}{pta.pk}/delete/", follow=True)

    assert "cannot be deleted" in response.content.decode()
    assert GuardianList.objects.for_school(school).filter(pk=pta.pk).exists()


def test_announcement_form_offers_the_schools_lists_and_sends_to_one(
    school, other_school, alice, charlie, people, verified_client
):
    pta = lists.guardian_list_create(school=school, actor=alice, name="PTA", guardian_ids=[people["chair"].pk])
    lists.guardian_list_create(school=other_school, actor=charlie, name="Riverside PTA")
    client = verified_client(alice)

    new = "/s/greenfield/messages/announcements/new/"
    form = client.get(new).content.decode()
    missing = client.post(new, {"title": "T", "body": "B", "audience": "saved_list"})
    ignored = client.post(new, {"title": "All", "body": "B", "audience": "whole_school", "guardian_list": pta.pk})
    made = client.post(new, {"title": "PTA", "body": "B", "audience": "saved_list", "guardian_list": pta.pk})

    assert '<label for="id_guardian_list">' in form and "PTA (1)" in form and "Riverside PTA" not in form
    assert missing.status_code == 400 and "Choose a saved list." in missing.content.decode()
    assert ignored.status_code == made.status_code == 302
    by_title = {a.title: a for a in Announcement.objects.for_school(school)}
    assert by_title["All"].guardian_list_id is None
    assert by_title["PTA"].guardian_list_id == pta.pk
    detail = client.get(made["Location"]).content.decode()
    assert f'href="{URL}{pta.pk}/">PTA</a>' in detail


def test_other_schools_list_is_a_404_in_pages_and_api(school, other_school, alice, charlie, verified_client, api):
    theirs = lists.guardian_list_create(
        school=other_school, actor=charlie, name="Riverside PTA", guardian_ids=[other_school.guardians.get().pk]
    )
    client = verified_client(alice)
    api.force_authenticate(alice)

    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/", {"name": "Mine now"}).status_code == 404
    for action in ("members/add/", "members/remove/", "delete/"):
        assert client.post(f"{URL}{theirs.pk}/{action}", {"guardian_ids": []}).status_code == 404
    assert api.get(f"{API}{theirs.pk}/").status_code == 404
    assert api.patch(f"{API}{theirs.pk}/", {"name": "Mine now", "guardian_ids": []}, format="json").status_code == 404
    assert api.delete(f"{API}{theirs.pk}/").status_code == 404
    assert "Riverside PTA" not in client.get(URL).content.decode()
    assert api.get(API).json()["count"] == 0

    theirs.refresh_from_db()
    assert theirs.name == "Riverside PTA" and theirs.guardians.count() == 1


def test_staff_without_messaging_permission_get_403(school, teacher, verified_client, api):
    assert verified_client(teacher).get(URL).status_code == 403
    api.force_authenticate(teacher)
    assert api.get(API).status_code == 403


# --- API -------------------------------------------------------------------------------------


def test_api_creates_lists_reads_changes_and_deletes(school, alice, people, api):
    api.force_authenticate(alice)

    created = api.post(API, {"name": "PTA", "guardian_ids": [people["chair"].pk]}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["guardian_ids"] == [people["chair"].pk] and created.json()["guardian_count"] == 1

    patched = api.patch(f"{API}{pk}/", {"guardian_ids": [people["mother"].pk, people["father"].pk]}, format="json")
    assert patched.status_code == 200
    assert patched.json()["name"] == "PTA"  # omitted: unchanged
    assert patched.json()["guardian_ids"] == sorted([people["mother"].pk, people["father"].pk])

    listed = api.get(API, {"q": "pt"}).json()
    assert listed["count"] == 1 and listed["results"][0]["guardian_count"] == 2
    assert api.get(API, {"guardian": people["chair"].pk}).json()["count"] == 0
    assert api.get(f"{API}{pk}/").json()["guardian_count"] == 2

    assert api.delete(f"{API}{pk}/").status_code == 204
    assert api.get(f"{API}{pk}/").status_code == 404


def test_api_answers_bad_input_with_field_errors(school, alice, people, api):
    api.force_authenticate(alice)

    foreign = api.post(API, {"name": "PTA", "guardian_ids": [people["foreign"].pk]}, format="json")
    nameless = api.post(API, {"name": " "}, format="json")

    assert foreign.status_code == 400
    assert foreign.json()["error"]["fields"] == {
        "guardian_ids": ["Some of the chosen guardians do not exist in this school."]
    }
    assert nameless.status_code == 400 and "name" in nameless.json()["error"]["fields"]
    assert not GuardianList.objects.for_school(school).exists()


def test_api_refuses_to_delete_a_list_an_announcement_waits_on(school, alice, people, api):
    pta = lists.guardian_list_create(school=school, actor=alice, name="PTA")
    ann.announcement_create(
        school=school, actor=alice, title="T", body="B", audience="saved_list", guardian_list_id=pta.pk
    )
    api.force_authenticate(alice)

    response = api.delete(f"{API}{pta.pk}/")

    assert response.status_code == 400 and response.json()["error"]["code"] == "guardian_list_in_use"
    assert GuardianList.objects.for_school(school).exists()


def test_api_create_honours_idempotency_key(school, alice, people, api):
    api.force_authenticate(alice)
    body = {"name": "PTA", "guardian_ids": [people["chair"].pk]}

    first = api.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="list-1")
    again = api.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="list-1")
    other = api.post(API, {"name": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="list-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert GuardianList.objects.for_school(school).count() == 1
    assert IdempotencyRecord.objects.filter(key="list-1").count() == 1


def test_api_announcement_takes_a_saved_list(school, alice, people, api):
    pta = lists.guardian_list_create(school=school, actor=alice, name="PTA", guardian_ids=[people["chair"].pk])
    api.force_authenticate(alice)
    url = "/api/v1/schools/greenfield/announcements/"

    made = api.post(url, {"title": "T", "body": "B", "audience": "saved_list", "guardian_list": pta.pk}, format="json")
    missing = api.post(url, {"title": "T", "body": "B", "audience": "saved_list"}, format="json")

    assert made.status_code == 201 and made.json()["guardian_list"] == pta.pk
    assert made.json()["audience"] == "saved_list"
    assert missing.status_code == 400 and missing.json()["error"]["fields"] == {
        "guardian_list": ["Choose a saved list."]
    }


def test_schema_describes_the_list_endpoints(api, alice):
    api.force_authenticate(alice)
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    listing = paths["/api/v1/schools/{school_slug}/guardian-lists/"]
    detail = paths["/api/v1/schools/{school_slug}/guardian-lists/{id}/"]

    assert {"get", "post"} <= set(listing) and {"get", "patch", "delete"} <= set(detail)
    ref = listing["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    envelope = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"count", "next", "previous", "results"} <= set(envelope["properties"])
    assert {"page", "page_size", "q"} <= {p["name"] for p in listing["get"]["parameters"]}
    assert "404" in detail["get"]["responses"] and "204" in detail["delete"]["responses"]
    assert "guardian_list" in schema["components"]["schemas"]["AnnouncementInputRequest"]["properties"]


def test_list_page_and_api_keep_a_constant_query_count(school, alice, people, verified_client, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client(alice)
    api.force_authenticate(alice)
    pta = lists.guardian_list_create(school=school, actor=alice, name="PTA", guardian_ids=[people["chair"].pk])

    def queries():
        counts = []
        for get in (
            lambda: client.get(f"{URL}{pta.pk}/", {"q": "Ada"}),
            lambda: client.get(URL),
            lambda: api.get(API),
            lambda: api.get(f"{API}{pta.pk}/"),
        ):
            with CaptureQueriesContext(connection) as captured:
                assert get().status_code == 200
            counts.append(len(captured))
        return counts

    few = queries()
    more = [f.GuardianFactory(school=school).pk for _ in range(12)]
    lists.guardian_list_add_members(guardian_list=pta, actor=alice, guardian_ids=more)
    for n in range(5):
        lists.guardian_list_create(school=school, actor=alice, name=f"Class rep {n}", guardian_ids=more[:3])

    assert queries() == few
