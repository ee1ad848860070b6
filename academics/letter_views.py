"""The family's link to a truancy letter (sent in the letter's message): a signed, expiring token
that opens the letter's PDF without an account. Anything wrong with it is the same 404."""

from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from classpoint.files import download_url
from classpoint.scoping import enter_school
from schools import selectors as schools_selectors

from .interventions.letters import guardian_letter_open, letter_filename
from .models import Intervention


@never_cache
@require_GET
def guardian_letter(request, slug, token):
    opened = guardian_letter_open(token)
    if opened is None:
        raise Http404("This link is not valid or has expired")
    school_id, intervention_id, guardian_id = opened
    school = schools_selectors.school_active(school_id=school_id, slug=slug)
    if school is None:
        raise Http404("This link is not valid")
    enter_school(school)  # the signed link names the school: the rest of the request is scoped to it
    letter = (
        Intervention.objects.for_school(school)
        .filter(pk=intervention_id)
        .exclude(state__in=[Intervention.State.DRAFT, Intervention.State.CANCELLED])
        .exclude(pdf="")
        .first()
    )
    # A guardian unlinked from the child since the letter was sent loses access with it.
    if letter is None or not schools_selectors.guardian_of_student(
        school=school, guardian_id=guardian_id, student_id=letter.student_id
    ):
        raise Http404("This link is not valid")
    url, _expires_at = download_url(letter.pdf.name, filename=letter_filename(letter))
    return redirect(url)
