"""The guardian's results page: no account, reached by the signed link in a results message
(results/notices.py), bound to one school, one pupil and one guardian, expiring after the school's
`link_days`. It lists each term published for the pupil (newest first) with its report card PDF;
a card withheld while fees are owed is named, never shown.

A forged, damaged, expired or other-kind token, a suspended school and a guardian no longer linked
to the pupil all get the same 404, so a stranger learns nothing about which links exist. Every
opening of the page and every download is written to the school's audit log, with the guardian.
Nothing here is cached or indexed: the URL is the key. The page is in the guardian's language
(classpoint/i18n.py); the report card PDF is the school's document, in the school's words.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from classpoint import i18n
from classpoint.audit import audit
from classpoint.bounds import MAX_ID
from classpoint.scoping import enter_school
from schools import selectors as schools_selectors

from .errors import AcademicsError
from .results import card_pdf, notices

ACTION = "report_card.viewed_by_guardian"
PRIVATE_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _open(token):
    ids = notices.link_ids(token)
    if ids is None:
        raise Http404("This link is not valid or has expired")
    school_id, student_id, guardian_id = ids
    school = schools_selectors.school_active(school_id=school_id)
    if school is None:
        raise Http404("This link is not valid or has expired")
    # The signed link names the school: the rest of the request is scoped to it.
    enter_school(school)
    opened = notices.link_check(school=school, token=token, student_id=student_id, guardian_id=guardian_id)
    if opened is None:
        raise Http404("This link is not valid or has expired")
    return school, *opened


def _private(response):
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


def _logged(*, school, target, guardian):
    audit(
        school=school,
        actor=None,
        action=ACTION,
        target=target,
        changes={"guardian_id": guardian.pk, "via": "result_link"},
    )


@never_cache
@require_GET
@i18n.guardian_page
def result_link(request, token):
    school, student, guardian = _open(token)
    i18n.settle(request, guardian.preferred_language, i18n.school_language(school))
    _logged(school=school, target=student, guardian=guardian)
    address, phone = notices.school_contact(school)
    context = {
        "school_name": school.name,
        "school_address": address,
        "school_phone": phone,
        "student": student,
        "guardian": guardian,
        "cards": notices.released_cards(school=school, student=student),
        "held": notices.held_cards(school=school, student=student),
        "token": token,
    }
    return _private(render(request, "academics/results/link/page.html", context))


@never_cache
@require_GET
def result_link_pdf(request, token, term_id):
    school, student, guardian = _open(token)
    card = notices.released_card(school=school, student=student, term_id=term_id) if term_id <= MAX_ID else None
    if card is None:
        raise Http404("No published report card for that term")
    try:
        body = card_pdf.report_card_pdf(school=school, term=card.term, student=student)
    except AcademicsError:  # no longer in a class that term: nothing to print
        raise Http404("No report card for that term") from None
    _logged(school=school, target=card, guardian=guardian)
    response = HttpResponse(body, content_type="application/pdf")
    name = f"report-card-{student.admission_number}-{card.term}".replace("/", "-").replace(" ", "-").lower()
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return _private(response)
