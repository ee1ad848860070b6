"""The guardian's results page in the guardian's language (theirs, else the school's, unless they
pick another), its dates written the way that language writes them."""

import datetime

import pytest

from academics.models import ReportCard
from academics.results.publishing import result_publish
from schools.models import SchoolProfile

from .test_results_link import token_for
from .test_results_publishing import fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(school, alice, results):
    fill(results)
    result_publish(school=school, actor=alice, term=results.term)
    late = datetime.datetime(2026, 12, 5, 23, 30, tzinfo=datetime.UTC)
    ReportCard.objects.filter(school=school).update(published_at=late)
    return results


def test_the_results_page_is_in_the_guardians_language(client, school, published):
    pupil = published.pupils[0]
    guardian = pupil.guardian_links.get().guardian
    guardian.preferred_language = "es"
    guardian.save()
    body = client.get(f"/results/{token_for(school, pupil)}/").content.decode()
    assert '<html lang="es">' in body and f"Boletines de notas: {pupil.first_name} {pupil.last_name}" in body
    assert "Descargar el boletín de notas (PDF)" in body and "Download report card" not in body
    assert "publicado el 6 de diciembre de 2026" in body  # in Lagos, in Spanish


def test_the_results_page_follows_the_school_unless_the_reader_picks(client, school, other_school, published):
    pupil = published.pupils[0]
    path = f"/results/{token_for(school, pupil)}/"
    assert "published 6 Dec 2026" in client.get(path).content.decode()
    SchoolProfile.objects.filter(school=school).update(default_language="es")
    assert "Trimestres publicados" in client.get(path).content.decode()
    assert "Published terms" in client.get(path + "?lang=en").content.decode()
