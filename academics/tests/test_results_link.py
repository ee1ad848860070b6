"""Telling families: the handlers of `result.ready`, `result.updated` and `result.withheld` ask
messaging for RESULT_READY / RESULT_UPDATED / RESULT_WITHHELD to each guardian, with that guardian's
own link; the link opens the pupil's published terms and their PDFs, logs every access, and is the
same 404 when forged, expired, of another kind or no longer the guardian's."""

import datetime
import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from academics import handlers
from academics.models import ReportCard
from academics.results import notices, publishing
from academics.results.publishing import result_publish
from classpoint import balances, links
from classpoint.models import AuditLog, OutboxEvent
from classpoint.outbox import emit, worker
from classpoint.outbox.registry import handlers_for
from messaging.models import Message
from schools.models import SchoolProfile, StudentGuardian
from schools.tests import factories as f

from .test_results_publishing import fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Drain the outbox (the send tasks it queues are left out)."""

    def drain():
        with django_capture_on_commit_callbacks(execute=False):
            worker.drain()
        failed = list(OutboxEvent.objects.exclude(last_error="").values_list("event_type", "last_error"))
        assert not failed, failed

    return drain


@pytest.fixture
def published(school, alice, results):
    fill(results)
    result_publish(school=school, actor=alice, term=results.term)
    return results


def requests(school, template):
    return list(
        OutboxEvent.objects.filter(
            school=school, event_type="messaging.requested", payload__template=template
        ).order_by("id")
    )


def path_of(url):
    return urlsplit(url).path


def token_for(school, pupil, guardian=None):
    guardian = guardian or pupil.guardian_links.get().guardian
    return notices.link_token(school_id=school.pk, student_id=pupil.pk, guardian_id=guardian.pk)


def test_academics_handles_the_three_results_events():
    assert handlers.results_ready in handlers_for("result.ready")
    assert handlers.results_updated in handlers_for("result.updated")
    assert handlers.results_withheld in handlers_for("result.withheld")


# --- The notices --------------------------------------------------------------------------------------


def test_result_ready_asks_each_guardian_once_with_their_own_link(school, published, run, client):
    pupil = published.pupils[1]
    second = f.GuardianFactory(school=school, first_name="Chidi", last_name="Adeyemi")
    f.link(pupil, second, primary=False)
    # when the outbox is drained
    run()
    # then every guardian of every pupil is asked for once, each request naming one guardian
    asked = requests(school, "RESULT_READY")
    guardians = set(StudentGuardian.objects.filter(school=school).values_list("student_id", "guardian_id"))
    assert {(r.payload["student_id"], r.payload["guardian_ids"][0]) for r in asked} == guardians
    assert len(asked) == 5
    mine = next(r for r in asked if r.payload["guardian_ids"] == [second.pk])
    context = mine.payload["context"]
    assert {k: v for k, v in context.items() if k != "result_link"} == {
        "school_name": "Greenfield Academy",
        "student_name": f"{pupil.first_name} {pupil.last_name}",
        "class_name": "GFA JSS 1A",
        "term_name": str(published.term),
        "guardian_name": "Chidi Adeyemi",
    }
    assert mine.dedupe_key == f"msg:result.ready:{pupil.pk}:{published.term.pk}:g{second.pk}"
    assert context["result_link"].startswith("http") and "/results/" in context["result_link"]
    # and the link opens that pupil's results for that guardian
    page = client.get(path_of(context["result_link"]))
    assert page.status_code == 200
    assert "Hello Chidi" in page.content.decode() and pupil.last_name in page.content.decode()
    # and an event delivered again asks for nothing more
    event = OutboxEvent.objects.get(school=school, event_type="result.ready", payload__student_id=pupil.pk)
    handlers.results_ready(event)
    assert len(requests(school, "RESULT_READY")) == 5


def test_the_message_log_shows_result_ready_per_pupil(school, published, run):
    school.guardians.update(consent_sms=True)
    run()
    messages = Message.objects.filter(school=school, template_type="RESULT_READY")
    assert sorted(m.student_id for m in messages) == sorted(p.pk for p in published.pupils)
    body = messages.first().body
    assert "results are ready. View: http" in body and "/results/" in body


def test_an_amendment_republished_asks_result_updated_for_that_pupil_only(school, alice, published, run):
    run()
    top = published.pupils[3]
    published.put(top, "Mathematics", Exam=59)
    result_publish(school=school, actor=alice, term=published.term)
    run()
    (updated,) = requests(school, "RESULT_UPDATED")
    guardian = top.guardian_links.get().guardian
    assert updated.payload["student_id"] == top.pk and updated.payload["guardian_ids"] == [guardian.pk]
    assert updated.dedupe_key == f"msg:result.updated:{top.pk}:{published.term.pk}:2:g{guardian.pk}"
    assert "/results/" in updated.payload["context"]["result_link"]
    assert len(requests(school, "RESULT_READY")) == 4


def test_an_older_revisions_update_handled_late_asks_for_nothing(school, published):
    pupil = published.pupils[0]
    ReportCard.objects.filter(school=school, student=pupil).update(revision=3)
    event = emit(
        school=school,
        event_type="result.updated",
        payload={"student_id": pupil.pk, "term_id": published.term.pk, "class_group_id": 1, "revision": 2},
    )
    handlers.results_updated(event)
    assert requests(school, "RESULT_UPDATED") == []


def test_a_payload_naming_another_schools_pupil_asks_nothing(school, other_school, published, run):
    run()
    before = OutboxEvent.objects.filter(event_type="messaging.requested").count()
    pupil = published.pupils[0]
    emit(
        school=other_school,
        event_type="result.ready",
        payload={"student_id": pupil.pk, "term_id": published.term.pk, "class_group_id": published.group.pk},
    )
    run()
    assert OutboxEvent.objects.filter(event_type="messaging.requested").count() == before


# --- Withheld ------------------------------------------------------------------------------------------


@pytest.fixture
def debtor(school, results, monkeypatch):
    """The second pupil, whose family owes ₦500.00 where the school withholds above ₦100.00."""
    pupil = results.pupils[1]
    owed = {pupil.pk: 50_000}
    monkeypatch.setattr(balances, "owed_minor", lambda *, school, student_ids: {i: owed.get(i, 0) for i in student_ids})
    monkeypatch.setattr(
        balances, "pay_link", lambda *, school, student_id, guardian_id: f"https://pay.test/{student_id}/{guardian_id}"
    )
    policy = publishing.policy_for(school)
    policy.withhold_owing_above_minor = 10_000
    policy.save()
    SchoolProfile.objects.filter(school=school).update(phone="+2348030000001")
    pupil.owed = owed
    return pupil


def test_a_withheld_pupils_guardians_hear_where_to_pay_and_get_no_card(school, alice, results, debtor, run, client):
    fill(results)
    result_publish(school=school, actor=alice, term=results.term)
    run()
    guardian = debtor.guardian_links.get().guardian
    (held,) = requests(school, "RESULT_WITHHELD")
    assert held.payload["guardian_ids"] == [guardian.pk] and held.payload["student_id"] == debtor.pk
    context = held.payload["context"]
    assert context["amount_owed"] == {"money": [50_000, "NGN"]}
    assert context["pay_link"] == f"https://pay.test/{debtor.pk}/{guardian.pk}"
    assert context["school_phone"] == "+2348030000001"
    assert "result_link" not in context
    assert debtor.pk not in {r.payload["student_id"] for r in requests(school, "RESULT_READY")}
    # and the family's results page names the term as held, without the card
    token = token_for(school, debtor)
    page = client.get(f"/results/{token}/").content.decode()
    assert "held by the school" in page and "Download report card" not in page
    assert client.get(f"/results/{token}/{results.term.pk}/pdf/").status_code == 404
    # when they have paid and the class is published again: RESULT_READY, once
    debtor.owed[debtor.pk] = 0
    result_publish(school=school, actor=alice, term=results.term)
    run()
    ready = [r for r in requests(school, "RESULT_READY") if r.payload["student_id"] == debtor.pk]
    assert len(ready) == 1
    assert "Download report card (PDF)" in client.get(f"/results/{token}/").content.decode()


def test_a_family_that_paid_before_the_notice_went_out_is_not_told_to_pay(school, alice, results, debtor, run):
    fill(results)
    result_publish(school=school, actor=alice, term=results.term)
    debtor.owed[debtor.pk] = 0
    run()
    assert requests(school, "RESULT_WITHHELD") == []


# --- The guardian's page ------------------------------------------------------------------------------


def older_term(school, name="Third term", month=4):
    """A term of last school year (2025/2026), starting in `month` of 2026."""
    session = school.sessions.filter(name="2025/2026").first() or f.SessionFactory(
        school=school,
        name="2025/2026",
        start_date=datetime.date(2025, 9, 8),
        end_date=datetime.date(2026, 7, 24),
        is_current=False,
    )
    start = datetime.date(2026, month, 6)
    return f.TermFactory(
        school=school,
        session=session,
        name=name,
        start_date=start,
        end_date=start + datetime.timedelta(days=60),
        is_current=False,
    )


def test_the_page_shows_each_published_term_newest_first_and_nothing_else(school, alice, published, client):
    pupil = published.pupils[0]
    earlier = older_term(school)
    ReportCard.objects.create(
        school=school, term=earlier, student=pupil, class_group=published.group, published_at=timezone.now(), revision=1
    )
    unpublished = older_term(school, name="Second term", month=1)
    ReportCard.objects.create(school=school, term=unpublished, student=pupil, class_group=published.group)
    page = client.get(f"/results/{token_for(school, pupil)}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Greenfield Academy" in body and f"{pupil.first_name} {pupil.last_name}" in body
    assert body.index(str(published.term)) < body.index(str(earlier)) and str(unpublished) not in body
    assert body.count("Download report card (PDF)") == 2
    assert f"/{published.term.pk}/pdf/" in body and f"/{earlier.pk}/pdf/" in body
    # private: never cached, never indexed
    assert "no-store" in page["Cache-Control"] and page["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in body


def test_the_page_dates_a_publication_in_the_schools_time(school, published, client):
    # 23:30 UTC on 5 December is already 00:30 on the 6th in Lagos, where the school published it.
    pupil = published.pupils[0]
    late = datetime.datetime(2026, 12, 5, 23, 30, tzinfo=datetime.UTC)
    ReportCard.objects.filter(school=school, student=pupil).update(published_at=late)
    body = client.get(f"/results/{token_for(school, pupil)}/").content.decode()
    assert "published 6 Dec 2026" in body


def test_the_pdf_opens_and_every_access_is_logged(school, published, client):
    pupil = published.pupils[0]
    guardian = pupil.guardian_links.get().guardian
    token = token_for(school, pupil)
    client.get(f"/results/{token}/")
    response = client.get(f"/results/{token}/{published.term.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "no-store" in response["Cache-Control"]
    opened, downloaded = AuditLog.objects.filter(school=school, action="report_card.viewed_by_guardian").order_by("id")
    assert (opened.target_type, opened.target_id) == ("schools.student", str(pupil.pk))
    card = ReportCard.objects.get(school=school, student=pupil)
    assert (downloaded.target_type, downloaded.target_id) == ("academics.reportcard", str(card.pk))
    assert opened.changes == downloaded.changes == {"guardian_id": guardian.pk, "via": "result_link"}
    assert opened.actor is None


def test_a_term_not_published_for_the_pupil_is_a_404(school, published, client):
    token = token_for(school, published.pupils[0])
    assert client.get(f"/results/{token}/{older_term(school).pk}/pdf/").status_code == 404
    assert client.get(f"/results/{token}/99999999999999999999/pdf/").status_code == 404


def test_forged_expired_other_kind_and_unlinked_tokens_are_the_same_404(school, published, client, monkeypatch):
    pupil = published.pupils[0]
    guardian = pupil.guardian_links.get().guardian
    good = token_for(school, pupil)
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    other_kind = links.sign({"s": school.pk, "p": pupil.pk, "g": guardian.pk}, salt="invoice")
    policy = publishing.policy_for(school)
    days = policy.link_days
    real = signing.TimestampSigner.timestamp
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - (days + 1) * 86400)
    )
    expired = token_for(school, pupil)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", real)
    stranger = f.GuardianFactory(school=school)
    unlinked = token_for(school, pupil, guardian=stranger)
    answers = [client.get(f"/results/{t}/") for t in (forged, expired, other_kind, unlinked, "x")]
    assert [a.status_code for a in answers] == [404] * 5
    unmask = re.compile(rb'"X-CSRFToken": "[^"]+"')
    assert len({unmask.sub(b"", a.content) for a in answers}) == 1
    assert client.get(f"/results/{good}/").status_code == 200
    assert not AuditLog.objects.filter(school=school, action="report_card.viewed_by_guardian", target_id="").exists()


def test_a_school_that_shortens_its_links_expires_older_ones(school, published, client, monkeypatch):
    pupil = published.pupils[0]
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - 3 * 86400)
    )
    token = token_for(school, pupil)
    monkeypatch.undo()
    assert client.get(f"/results/{token}/").status_code == 200
    policy = publishing.policy_for(school)
    policy.link_days = 2
    policy.save()
    assert client.get(f"/results/{token}/").status_code == 404


def test_a_suspended_schools_link_is_a_404(school, published, client):
    token = token_for(school, published.pupils[0])
    school.status = school.Status.SUSPENDED
    school.save()
    assert client.get(f"/results/{token}/").status_code == 404
