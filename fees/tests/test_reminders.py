import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.models import AuditLog, OutboxEvent
from classpoint.testing import run_concurrently
from fees import services
from fees.collections import reminders_request
from fees.models import Invoice
from schools.models import Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/s/greenfield/fees/defaulters/send-reminders/"
API = "/api/v1/schools/greenfield/defaulters/send-reminders/"


def _requests(school):
    return OutboxEvent.objects.filter(school=school, event_type="messaging.requested")


def _overdue_invoice(school, actor, student, days=10):
    invoice = services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=actor, student=student, term=school.current_term()),
        actor=actor,
    )
    Invoice.objects.filter(pk=invoice.pk).update(due_date=school.local_today() - datetime.timedelta(days=days))
    return invoice


def _student(school, number, guardian=None):
    student = Student.objects.create(school=school, admission_number=number, first_name=number, last_name="Okafor")
    f.enroll(student, school.current_term(), school.class_groups.get())
    if guardian is not None:
        f.link(student, guardian)
    return student


def _priced(school, actor, amount_minor=10_000_000):
    item = services.fee_item_create(school=school, actor=actor, code="tuition", name="Tuition")
    services.fee_schedule_create(
        school=school,
        actor=actor,
        term=school.current_term(),
        name="All",
        class_group=school.class_groups.get(),
        lines=[{"fee_item": item, "amount_minor": amount_minor}],
    )


@pytest.fixture
def family(school, bursar):
    """Greenfield: GFAPupil and a sibling under one primary guardian, both overdue; a pupil of
    another family overdue; a pupil with no guardian overdue."""
    _priced(school, bursar)
    first = school.students.get(admission_number="GFA/0001")
    guardian = first.guardian_links.get().guardian
    sibling = _student(school, "GFA/0002", guardian)
    other_guardian = f.GuardianFactory(school=school, first_name="Bola", last_name="Ade")
    other = _student(school, "GFA/0003", other_guardian)
    orphan = _student(school, "GFA/0004")
    invoices = [
        _overdue_invoice(school, bursar, s, days) for s, days in ((first, 30), (sibling, 12), (other, 5), (orphan, 8))
    ]
    return {"guardian": guardian, "other_guardian": other_guardian, "invoices": invoices, "sibling": sibling}


@pytest.fixture
def riverside_defaulter(other_school, charlie):
    _priced(other_school, charlie, amount_minor=5_000_000)
    pupil = other_school.students.get(admission_number="RVC/0001")
    return _overdue_invoice(other_school, charlie, pupil)


def test_two_siblings_overdue_get_one_request_listing_both_invoices(school, bursar, family):
    # when the bursar asks for reminders
    result = reminders_request(school=school, actor=bursar)
    # then each family gets exactly one request, the siblings' family listing both invoices
    assert result == {"families": 2, "requested": 2, "already_reminded": 0, "without_guardian": 1}
    events = list(_requests(school))
    assert len(events) == 2
    by_guardian = {event.payload["guardian_ids"][0]: event.payload for event in events}
    payload = by_guardian[family["guardian"].pk]
    assert payload["template"] == "OVERDUE_NOTICE" and payload["guardian_ids"] == [family["guardian"].pk]
    context = payload["context"]
    first, second = family["invoices"][:2]
    assert [line["invoice_number"] for line in context["invoices"]] == [first.number, second.number]
    assert context["invoices"][0] == {
        "student": "GFAPupil " + first.student.last_name,
        "invoice_number": first.number,
        "balance": {"money": [10_000_000, "NGN"]},
        "due_date": (school.local_today() - datetime.timedelta(days=30)).isoformat(),
        "days_overdue": 30,
    }
    assert context["total"] == {"money": [20_000_000, "NGN"]} and context["total_minor"] == 20_000_000
    assert context["date"] == {"date": school.local_today().isoformat()}
    assert context["school_name"] == "Greenfield Academy" and context["guardian_name"].startswith("Ada ")
    today = school.local_today().isoformat()
    assert {e.dedupe_key for e in events} == {
        f"msg:overdue-notice:{g.pk}:{today}" for g in (family["guardian"], family["other_guardian"])
    }


def test_second_press_the_same_day_requests_nothing_new_but_next_day_does(school, bursar, family):
    reminders_request(school=school, actor=bursar)
    again = reminders_request(school=school, actor=bursar)
    assert again == {"families": 2, "requested": 0, "already_reminded": 2, "without_guardian": 1}
    assert _requests(school).count() == 2
    tomorrow = school.local_today() + datetime.timedelta(days=1)
    assert reminders_request(school=school, actor=bursar, today=tomorrow)["requested"] == 2
    assert _requests(school).count() == 4


def test_a_family_already_reminded_today_is_skipped_while_the_others_are_asked(school, bursar, family):
    # given only the siblings' class... here: only invoices at least 10 days overdue (the siblings)
    assert reminders_request(school=school, actor=bursar, min_days_overdue=10)["requested"] == 1
    # when the bursar then reminds everyone
    result = reminders_request(school=school, actor=bursar)
    # then only the family not yet reminded today is asked for
    assert (result["requested"], result["already_reminded"]) == (1, 1)


def test_students_without_a_guardian_are_counted_not_messaged(school, bursar, family):
    from schools.models import StudentGuardian

    StudentGuardian.objects.filter(student=family["sibling"]).update(is_primary=False)  # a secondary guardian only
    result = reminders_request(school=school, actor=bursar)
    assert result["without_guardian"] == 2
    payload = _requests(school).get(payload__guardian_ids=[family["guardian"].pk]).payload
    assert len(payload["context"]["invoices"]) == 1


def test_reminders_are_audited_once_with_counts(school, bursar, family):
    reminders_request(school=school, actor=bursar, min_days_overdue=3)
    entry = AuditLog.objects.get(school=school, action="collections.reminders_requested")
    assert entry.actor == bursar
    assert entry.changes["requested"] == 2 and entry.changes["without_guardian"] == 1
    assert entry.changes["invoices"] == 4 and entry.changes["filters"]["min_days_overdue"] == 3


def test_other_schools_defaulters_are_never_included(school, other_school, bursar, family, riverside_defaulter):
    reminders_request(school=school, actor=bursar)
    guardian_ids = {g for event in _requests(school) for g in event.payload["guardian_ids"]}
    riverside_guardians = set(other_school.guardians.values_list("pk", flat=True))
    assert guardian_ids and not guardian_ids & riverside_guardians
    assert not OutboxEvent.objects.filter(school=other_school, event_type="messaging.requested").exists()
    assert "RVCPupil" not in str([e.payload for e in _requests(school)])


def test_query_count_does_not_grow_with_the_number_of_families(school, bursar, family):
    def count_queries(today):
        with CaptureQueriesContext(connection) as queries:
            reminders_request(school=school, actor=bursar, today=today)
        return len(queries)

    today = school.local_today()
    few = count_queries(today)
    for i in range(8):
        _overdue_invoice(school, bursar, _student(school, f"GFA/1{i:03d}", f.GuardianFactory(school=school)))
    many = count_queries(today + datetime.timedelta(days=1))
    assert many == few
    assert _requests(school).count() == 2 + 10


def test_filters_narrow_who_is_reminded(school, bursar, family):
    from schools.models import ClassGroup

    other_class = ClassGroup.objects.create(school=school, name="GFA JSS 2A", level="JSS 2")
    Invoice.objects.filter(pk=family["invoices"][2].pk).update(class_group=other_class)
    result = reminders_request(school=school, actor=bursar, class_group_id=other_class.pk)
    assert result == {"families": 1, "requested": 1, "already_reminded": 0, "without_guardian": 0}
    assert _requests(school).get().payload["guardian_ids"] == [family["other_guardian"].pk]


# --- The defaulters page ---------------------------------------------------------------------


def test_bursar_sends_reminders_from_the_defaulters_page(school, bursar, verified_client, family):
    client = verified_client(bursar)
    page = client.get("/s/greenfield/fees/defaulters/?min_days_overdue=10").content.decode()
    assert "Send reminders" in page and 'name="min_days_overdue" value="10"' in page
    response = client.post(URL, {"term": "", "class_group": "", "min_days_overdue": "10", "min_amount_due": ""})
    assert response.status_code == 302 and response["Location"].endswith("/defaulters/?min_days_overdue=10")
    shown = client.get(response["Location"]).content.decode()
    assert "Reminders requested for 1 family (0 already reminded today; 0 without a guardian)." in shown
    again = client.post(URL, {}, follow=True).content.decode()
    assert "Reminders requested for 1 family (1 already reminded today; 1 without a guardian)." in again
    assert _requests(school).count() == 2


def test_viewer_sees_no_button_and_cannot_send(school, verified_client, family):
    viewer = f.member(school, "viewer")
    client = verified_client(viewer)
    assert "Send reminders" not in client.get("/s/greenfield/fees/defaulters/").content.decode()
    assert client.post(URL, {}).status_code == 403
    assert not _requests(school).exists()


def test_other_schools_admin_gets_404_and_get_is_not_allowed(
    school, other_school, charlie, bursar, verified_client, family
):
    assert verified_client(charlie).post(URL, {}).status_code == 404
    assert verified_client(bursar).get(URL).status_code == 405
    assert not _requests(school).exists()


def test_posting_without_the_csrf_token_is_refused(school, bursar, verified_client, family):
    client = verified_client(bursar)
    client.handler.enforce_csrf_checks = True
    assert client.post(URL, {}).status_code == 403
    assert not _requests(school).exists()


# --- The API ---------------------------------------------------------------------------------


def test_api_answers_the_counts(school, bursar, api, family):
    api.force_authenticate(bursar)
    response = api.post(API, {"min_days_overdue": 1}, format="json")
    assert response.status_code == 200
    assert response.json() == {"families": 2, "requested": 2, "already_reminded": 0, "without_guardian": 1}
    again = api.post(API, {"min_days_overdue": 1}, format="json").json()
    assert again == {"families": 2, "requested": 0, "already_reminded": 2, "without_guardian": 1}


def test_api_replays_an_idempotent_post(school, bursar, api, family):
    api.force_authenticate(bursar)
    first = api.post(API, {}, format="json", HTTP_IDEMPOTENCY_KEY="remind-1")
    second = api.post(API, {}, format="json", HTTP_IDEMPOTENCY_KEY="remind-1")
    assert first.json() == second.json() and first.json()["requested"] == 2
    assert second["Idempotent-Replayed"] == "true"
    assert AuditLog.objects.filter(action="collections.reminders_requested").count() == 1


def test_api_validates_filters_and_permission(school, bursar, api, family):
    api.force_authenticate(bursar)
    bad = api.post(API, {"min_days_overdue": -1}, format="json")
    assert bad.status_code == 400 and "min_days_overdue" in bad.json()["error"]["fields"]
    api.force_authenticate(f.member(school, "viewer"))
    assert api.post(API, {}, format="json").status_code == 403
    assert not _requests(school).exists()


def test_api_of_another_school_is_404(school, other_school, charlie, api, family):
    api.force_authenticate(charlie)
    assert api.post(API, {}, format="json").status_code == 404
    assert not _requests(school).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_presses_at_once_request_one_notice_per_family(school, bursar, family):
    errors = run_concurrently(lambda _: reminders_request(school=school, actor=bursar), list(range(6)))
    assert not errors
    assert _requests(school).count() == 2


def test_a_spanish_guardians_reminder_writes_money_and_the_date_in_spanish(
    school, bursar, alice, family, monkeypatch, django_capture_on_commit_callbacks
):
    from classpoint.outbox import worker
    from messaging import pipeline
    from messaging.defaults import message_template_save
    from messaging.models import Message

    # given the siblings' guardian reads Spanish on WhatsApp, the other family English, at noon
    noon = datetime.datetime.combine(school.local_today(), datetime.time(12), tzinfo=school.tzinfo)
    monkeypatch.setattr(pipeline, "_now", lambda: noon)
    spanish, english = family["guardian"], family["other_guardian"]
    for guardian, language in ((spanish, "es"), (english, "en")):
        guardian.__class__.objects.filter(pk=guardian.pk).update(
            preferred_language=language, preferred_channel="whatsapp", consent_whatsapp=True, phone="+2348030000009"
        )
    # and a Spanish WhatsApp reminder of the school's own that names the day
    message_template_save(
        school=school,
        actor=alice,
        type="OVERDUE_NOTICE",
        channel="whatsapp",
        subject="",
        body="Recordatorio del {{ date }}: {{ total }}.\n{{ invoice_summary }}",
        language="es",
    )
    # when the bursar sends reminders and messaging writes them
    with django_capture_on_commit_callbacks(execute=True):
        reminders_request(school=school, actor=bursar)
        worker.drain()
    # then the Spanish guardian reads the amounts and the day as Spanish writes them
    reminders = Message.objects.filter(school=school, template_type="OVERDUE_NOTICE")
    body = reminders.get(guardian=spanish).body
    today = school.local_today()
    day = f"{today.day} de {SPANISH_MONTHS[today.month - 1]} de {today.year}"
    first, second = family["invoices"][:2]
    assert body.startswith(f"Recordatorio del {day}: ₦200.000,00.\n")
    assert f"{first.number} {first.student.full_name} ₦100.000,00; {second.number} GFA/0002 Okafor ₦100.000,00" in body
    # and the English family reads the English default, English figures
    assert "*₦100,000.00*" in reminders.get(guardian=english).body


SPANISH_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
