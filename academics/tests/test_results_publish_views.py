"""The workspace's publish page, /s/<slug>/results/publish/: each class's state for a term, "Publish
<class>" and "Publish all", a refusal that lists what is missing and offers "Publish anyway" with a
reason, and the outcome said after. Plain forms, no JavaScript needed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.models import ReportCard, ResultsLock
from classpoint.models import OutboxEvent
from schools.tests import factories as f

from .test_results_publishing import fill

pytestmark = pytest.mark.django_db
URL = "/s/greenfield/results/publish/"


@pytest.fixture
def admin(alice, verified_client):
    return verified_client(alice)


def test_the_page_shows_each_class_of_the_term_with_its_state(school, results, admin):
    fill(results, skip={(results.pupils[0], "Mathematics")})
    page = admin.get(URL)
    body = page.content.decode()
    assert page.status_code == 200
    assert str(results.term) in body and "GFA JSS 1A" in body
    assert 'data-label="Pupils">4<' in body and "<strong>1</strong>" in body and "Not locked" in body
    assert "Publish GFA JSS 1A" in body and "Publish all" in body and "Never" in body
    assert 'for="pub-term"' in body  # the term picker is labelled


def test_publishing_a_class_says_what_it_did(school, alice, results, admin):
    fill(results)
    response = admin.post(URL, {"term": results.term.pk, "class_group": results.group.pk}, follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{URL}?term={results.term.pk}"
    assert "4 report cards published, 0 updated, 0 withheld, 0 unchanged." in body
    assert "GFA JSS 1A: 4 published" in body
    assert ReportCard.objects.filter(school=school, published_by=alice).count() == 4
    assert "Locked" in body and 'data-label="Published">4<' in body
    assert OutboxEvent.objects.filter(school=school, event_type="result.ready").count() == 4


def test_a_refusal_lists_what_is_missing_and_publishing_anyway_needs_a_reason(school, results, admin):
    fill(results, skip={(results.pupils[2], "English Language")})
    # when the admin publishes all while a pupil's English is missing
    refused = admin.post(URL, {"term": results.term.pk})
    body = refused.content.decode()
    # then nothing is published and the page lists the gap with a "publish anyway" form
    assert refused.status_code == 409
    pupil = results.pupils[2]
    assert f"GFA JSS 1A, English Language: {pupil.first_name} {pupil.last_name} has nothing entered yet." in body
    assert 'name="force_reason"' in body and "Publish anyway" in body and 'for="pub-reason"' in body
    assert not ReportCard.objects.filter(school=school).exists()
    # when "publish anyway" is pressed without a reason: still refused, the reason asked for
    again = admin.post(URL, {"term": results.term.pk, "action": "force", "force_reason": "  "})
    assert again.status_code == 409 and "Give the reason for publishing with scores missing." in again.content.decode()
    assert not ResultsLock.objects.filter(school=school).exists()
    # when it is pressed with a reason: published, the reason kept
    done = admin.post(
        URL, {"term": results.term.pk, "action": "force", "force_reason": "English exam resat next week"}, follow=True
    )
    assert "Published with scores missing: English exam resat next week." in done.content.decode()
    assert set(ReportCard.objects.filter(school=school).values_list("forced_reason", flat=True)) == {
        "English exam resat next week"
    }


def test_the_page_reads_the_term_in_a_fixed_number_of_queries(school, results, admin):
    fill(results)
    admin.get(URL)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(URL).status_code == 200
        return len(captured)

    one = queries()
    other = f.ClassGroupFactory(school=school, name="GFA JSS 1B", level=results.group.level)
    for n in range(3):
        f.enroll(f.StudentFactory(school=school, last_name=f"Other{n}"), results.term, other)
    assert queries() == one


def test_another_term_is_picked_by_its_id(school, results, admin):
    session = f.SessionFactory(school=school, name="2027/2028", is_current=False)
    later = f.TermFactory(school=school, session=session, is_current=False)
    body = admin.get(URL, {"term": later.pk}).content.decode()
    assert "No class has pupils in" in body


def test_a_term_or_class_of_another_school_is_a_404(school, other_school, results, admin):
    foreign_term = other_school.current_term()
    foreign_class = other_school.class_groups.first()
    assert admin.get(URL, {"term": foreign_term.pk}).status_code == 404
    assert admin.post(URL, {"term": foreign_term.pk}).status_code == 404
    assert admin.post(URL, {"term": results.term.pk, "class_group": foreign_class.pk}).status_code == 404
    assert admin.post(URL, {"term": results.term.pk, "class_group": "²"}).status_code == 404


def test_a_teacher_may_not_publish(school, results, teacher, client):
    client.force_login(teacher)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"term": results.term.pk}).status_code == 403


def test_charlie_gets_404(school, results, charlie, verified_client):
    client = verified_client(charlie)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"term": results.term.pk}).status_code == 404
    assert not ReportCard.objects.filter(school=school).exists()
