"""Report cards in the workspace: the class page, a pupil's card with its comment editors, the PDFs,
who may see which class, and the access log."""

import io

import pytest
from pypdf import PdfReader

from academics.models import CommentBank, ReportCard
from classpoint.models import AuditLog
from schools.tests import factories as f

from .test_results_cards import fill_class

pytestmark = pytest.mark.django_db
CARDS = "/s/greenfield/results/cards/"
HX = {"HTTP_HX_REQUEST": "true"}


def card_url(results, pupil, tail=""):
    return f"{CARDS}{results.term.pk}/{pupil.pk}/{tail}"


def viewed(school, pupil):
    return AuditLog.objects.filter(
        school=school, action="student.viewed", target_id=str(pupil.pk), changes__via="workspace"
    ).count()


@pytest.fixture
def form_teacher(results):
    """The `teacher` fixture's user, form teacher of the results class."""
    results.group.form_teacher = results.teacher_staff
    results.group.save()
    return results.teacher_user


def test_class_page_lists_each_pupil_with_figures_missing_scores_and_publishing(
    school, alice, verified_client, results
):
    # given
    adeyemi, bello, _chukwu, own = fill_class(results)
    ReportCard.objects.create(
        school=school, term=results.term, student=bello, class_group=results.group, published_at="2026-12-04T10:00Z"
    )
    client = verified_client(alice)

    # when
    response = client.get(CARDS, {"term": results.term.pk, "class_group": results.group.pk})

    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert adeyemi.full_name in body and "284.0" in body and "71.0" in body and "3rd" in body
    assert "1st=" in body and "1 score missing" in body
    assert body.count("Not published") == 3 and "Published</span>" in body
    assert "All cards (PDF)" in body and f"{results.term.pk}/{results.group.pk}/broadsheet/" in body
    assert card_url(results, own).split("greenfield")[1] in body


def test_class_page_picks_the_current_term_and_first_class_and_survives_bad_ids(
    school, alice, verified_client, results
):
    fill_class(results)
    client = verified_client(alice)

    response = client.get(CARDS, {"term": "²", "class_group": "99999999999999999999"})

    assert response.status_code == 200
    assert results.group.name in response.content.decode()


def test_card_page_shows_the_card_and_logs_the_access(school, alice, verified_client, results):
    adeyemi, *_ = fill_class(results)
    client = verified_client(alice)

    response = client.get(card_url(results, adeyemi))

    assert response.status_code == 200
    body = response.content.decode()
    assert adeyemi.full_name in body and "8.95" in body and "ABS" in body and "86.0" in body
    assert "3rd of 4" in body and "Card as PDF" in body
    # an admin writes both comments
    assert 'id="comment-form_teacher"' in body and 'id="comment-head"' in body
    assert viewed(school, adeyemi) == 1


def test_card_pdf_is_a_pdf_and_logs_the_access(school, alice, verified_client, results):
    adeyemi, *_ = fill_class(results)
    client = verified_client(alice)

    response = client.get(card_url(results, adeyemi, "pdf/"))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert adeyemi.admission_number in text
    assert viewed(school, adeyemi) == 1


def test_class_pdf_has_a_page_per_pupil_and_logs_each(school, alice, verified_client, results):
    pupils = fill_class(results)
    client = verified_client(alice)

    response = client.get(CARDS, {"term": results.term.pk, "class_group": results.group.pk, "format": "pdf"})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 4
    assert [viewed(school, p) for p in pupils] == [1, 1, 1, 1]


def test_form_teacher_sees_their_class_and_writes_its_form_teacher_comment(
    school, verified_client, results, form_teacher
):
    adeyemi, *_ = fill_class(results)
    client = verified_client(form_teacher)

    page = client.get(card_url(results, adeyemi))
    saved = client.post(card_url(results, adeyemi, "comments/"), {"which": "form_teacher", "text": " Good work. "})

    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="comment-form_teacher"' in body and 'id="comment-head"' not in body
    assert saved.status_code == 302 and saved["Location"].endswith("#comment-form_teacher")
    card = ReportCard.objects.get(school=school, term=results.term, student=adeyemi)
    assert card.form_teacher_comment == "Good work." and card.class_group == results.group
    assert AuditLog.objects.filter(school=school, action="report_card.comments_set", actor=form_teacher).exists()


def test_form_teacher_may_not_write_the_heads_comment(school, verified_client, results, form_teacher):
    adeyemi, *_ = fill_class(results)
    client = verified_client(form_teacher)

    response = client.post(card_url(results, adeyemi, "comments/"), {"which": "head", "text": "Excellent."}, **HX)

    assert response.status_code == 403
    assert not ReportCard.objects.filter(school=school, student=adeyemi).exists()


def test_htmx_save_answers_the_editor_and_an_overlong_comment_changes_nothing(school, alice, verified_client, results):
    adeyemi, *_ = fill_class(results)
    client = verified_client(alice)
    url = card_url(results, adeyemi, "comments/")

    saved = client.post(url, {"which": "head", "text": "Well done.", "action": "save"}, **HX)
    refused = client.post(url, {"which": "head", "text": "x" * 501, "action": "save"}, **HX)

    assert saved.status_code == 200 and "Saved." in saved.content.decode()
    assert "<html" not in saved.content.decode()
    assert refused.status_code == 400 and "at most 500 characters" in refused.content.decode()
    assert ReportCard.objects.get(school=school, student=adeyemi).head_comment == "Well done."


def test_picking_from_the_bank_fills_the_box_without_saving(school, alice, verified_client, results):
    adeyemi, *_ = fill_class(results)
    second = CommentBank.objects.create(school=school, kind="head", text="A fine term.", position=2)
    CommentBank.objects.create(school=school, kind="head", text="Aim higher.", position=1)
    CommentBank.objects.create(school=school, kind="form_teacher", text="Neat and punctual.", position=1)
    client = verified_client(alice)
    url = card_url(results, adeyemi, "comments/")

    page = client.get(card_url(results, adeyemi)).content.decode()
    picked = client.post(url, {"which": "head", "action": "pick", "bank": second.pk}, **HX)
    plain = client.post(url, {"which": "head", "action": "pick", "bank": second.pk})

    # the bank in its order, each kind in its own editor
    head_editor = page[page.index('id="comment-head"') :]
    assert head_editor.index("Aim higher.") < head_editor.index("A fine term.")
    assert "Neat and punctual." not in head_editor
    assert picked.status_code == 200 and ">A fine term.</textarea>" in picked.content.decode()
    assert plain.status_code == 200 and ">A fine term.</textarea>" in plain.content.decode()
    assert not ReportCard.objects.filter(school=school, student=adeyemi).exists()


def test_teacher_of_another_class_is_refused(school, teacher, verified_client, results):
    adeyemi, *_ = fill_class(results)
    client = verified_client(teacher)

    card = client.get(card_url(results, adeyemi))
    sheet = client.get(f"{CARDS}{results.term.pk}/{results.group.pk}/broadsheet/")
    listing = client.get(CARDS)

    assert card.status_code == sheet.status_code == 403
    assert listing.status_code == 200 and "not the form teacher of any class" in listing.content.decode()
    assert viewed(school, adeyemi) == 0


def test_member_without_a_results_permission_gets_403(school, registrar, verified_client, results):
    adeyemi, *_ = fill_class(results)
    client = verified_client(registrar)

    assert client.get(CARDS).status_code == 403
    assert client.get(card_url(results, adeyemi)).status_code == 403


def test_pupil_in_no_class_that_term_is_404(school, alice, verified_client, results):
    stranger = f.StudentFactory(school=school)
    client = verified_client(alice)

    assert client.get(card_url(results, stranger)).status_code == 404


def test_charlie_gets_404_for_greenfields_cards(school, other_school, charlie, verified_client, results):
    adeyemi, *_ = fill_class(results)
    client = verified_client(charlie)
    riverside = f"/s/riverside/results/cards/{results.term.pk}/{adeyemi.pk}/"

    assert client.get(card_url(results, adeyemi)).status_code == 404
    assert client.get(CARDS).status_code == 404
    assert client.get(riverside).status_code == 404
    assert client.get(f"{riverside}pdf/").status_code == 404
    assert client.post(f"{riverside}comments/", {"which": "head", "text": "x"}).status_code == 404
    assert client.get(f"/s/riverside/results/cards/{results.term.pk}/{results.group.pk}/broadsheet/").status_code == 404
    assert viewed(school, adeyemi) == 0
