"""What academics asks messaging to tell a pupil's guardians when results are published, and the
link those messages carry.

The handlers of `result.ready`, `result.updated` and `result.withheld` (academics/handlers.py) run
here, in the event's school, so a payload naming another school's pupil finds no card and messages
no one. Each looks at the card as it is when it runs: a card withheld since is not announced as
ready, and a card released since is not announced as withheld. Each guardian gets their own request,
because each carries that guardian's own link (it names the guardian, so a link forwarded out of
the family is still traceable in the access log); the dedupe keys make a redelivered event ask for
nothing again.

The link opens the guardian's page of the pupil's published report cards (result_link_views.py):
signed, not stored, bound to one school, one pupil and one guardian, and it expires after the
school's `link_days`.
"""

import datetime

from django.db import transaction

from classpoint import balances, links
from classpoint.messages import TemplateType, request_message
from schools.models import SchoolProfile, StudentGuardian

from ..models import ReportCard
from .policy import policy_for

LINK_SALT = "results"
LINK_KEYS = ("s", "p", "g")


# --- The guardian's link --------------------------------------------------------------------------


def link_token(*, school_id, student_id, guardian_id):
    return links.sign({"s": school_id, "p": student_id, "g": guardian_id}, salt=LINK_SALT)


def link_url(*, school_id, student_id, guardian_id):
    """The absolute URL of the guardian's results page, for a message."""
    token = link_token(school_id=school_id, student_id=student_id, guardian_id=guardian_id)
    return links.absolute_url("result-link", token)


def link_ids(token):
    """(school_id, student_id, guardian_id) from a genuine results token of any age, or None. Its
    age is checked against the school's own `link_days` once the school is known (link_check)."""
    return links.verify(token, salt=LINK_SALT, max_age=None, keys=LINK_KEYS)


def link_check(*, school, token, student_id, guardian_id):
    """(student, guardian) if the token is young enough for the school and the guardian is still
    linked to the pupil, else None (the caller's 404, like a forged token). Call in the school's scope."""
    policy = policy_for(school)
    if links.verify(token, salt=LINK_SALT, max_age=datetime.timedelta(days=policy.link_days), keys=LINK_KEYS) is None:
        return None
    link = (
        StudentGuardian.objects.for_school(school)
        .filter(student_id=student_id, guardian_id=guardian_id)
        .select_related("student", "guardian")
        .first()
    )
    return (link.student, link.guardian) if link is not None else None


def school_contact(school):
    """(address, phone) from the school's profile, blank where it has none."""
    profile = SchoolProfile.objects.filter(school=school).first()
    return (profile.address, profile.phone) if profile is not None else ("", "")


def released_cards(*, school, student):
    """The pupil's cards the family may see: published and not withheld, newest term first."""
    return list(
        ReportCard.objects.for_school(school)
        .filter(student=student, published_at__isnull=False, withheld=False)
        .select_related("term__session", "class_group")
        .order_by("-term__start_date", "-term_id")
    )


def held_cards(*, school, student):
    """The pupil's cards published but withheld while the family owes (named, never shown)."""
    return list(
        ReportCard.objects.for_school(school)
        .filter(student=student, published_at__isnull=False, withheld=True)
        .select_related("term__session")
        .order_by("-term__start_date", "-term_id")
    )


def released_card(*, school, student, term_id):
    return (
        ReportCard.objects.for_school(school)
        .filter(student=student, term_id=term_id, published_at__isnull=False, withheld=False)
        .select_related("term__session")
        .first()
    )


# --- The notices ------------------------------------------------------------------------------------


def _card(school, payload):
    student_id, term_id = payload.get("student_id"), payload.get("term_id")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (student_id, term_id)):
        return None
    return (
        ReportCard.objects.for_school(school)
        .filter(student_id=student_id, term_id=term_id, published_at__isnull=False)
        .select_related("student", "term__session", "class_group")
        .first()
    )


def _guardians(school, student_id):
    return list(
        StudentGuardian.objects.for_school(school)
        .filter(student_id=student_id)
        .select_related("guardian")
        .order_by("-is_primary", "id")
    )


def _context(school, card):
    student = card.student
    return {
        "school_name": school.name,
        "student_name": f"{student.first_name} {student.last_name}".strip(),
        "class_name": card.class_group.name,
        "term_name": str(card.term),
    }


def _ask(*, school, card, template, key, reason, extra):
    """One request per guardian: `extra(guardian)` adds that guardian's own values."""
    context = _context(school, card)
    asked = 0
    for link in _guardians(school, card.student_id):
        guardian = link.guardian
        request_message(
            school=school,
            template=template,
            guardian_ids=[guardian.pk],
            student_id=card.student_id,
            context={
                **context,
                "guardian_name": f"{guardian.first_name} {guardian.last_name}".strip(),
                **extra(guardian),
            },
            dedupe_key=f"{key}:g{guardian.pk}",
            reason=reason,
        )
        asked += 1
    return asked


def _result_link(school, card):
    def extra(guardian):
        return {"result_link": link_url(school_id=school.pk, student_id=card.student_id, guardian_id=guardian.pk)}

    return extra


@transaction.atomic
def ready_request(*, school, payload):
    """RESULT_READY to each guardian of a pupil whose card is published and not withheld, once per
    guardian, pupil and term. Returns how many were asked for."""
    card = _card(school, payload)
    if card is None or card.withheld:
        return 0
    key = f"result.ready:{card.student_id}:{card.term_id}"
    return _ask(
        school=school,
        card=card,
        template=TemplateType.RESULT_READY,
        key=key,
        reason="result.ready",
        extra=_result_link(school, card),
    )


@transaction.atomic
def updated_request(*, school, payload):
    """RESULT_UPDATED for a revision of a released card, once per guardian and revision. An older
    revision's event handled after a newer one was published asks for nothing: the newer one tells."""
    card = _card(school, payload)
    revision = payload.get("revision")
    if card is None or card.withheld or not isinstance(revision, int) or revision < card.revision:
        return 0
    key = f"result.updated:{card.student_id}:{card.term_id}:{revision}"
    return _ask(
        school=school,
        card=card,
        template=TemplateType.RESULT_UPDATED,
        key=key,
        reason="result.updated",
        extra=_result_link(school, card),
    )


@transaction.atomic
def withheld_request(*, school, payload):
    """RESULT_WITHHELD while a pupil's card is withheld: the results are ready, held until the
    balance is settled, where to pay and whom to call; no link to the card. Nothing when the family
    owes nothing by now (they paid before the notice went out: the next publish releases the card
    and tells them it is ready)."""
    card = _card(school, payload)
    if card is None or not card.withheld:
        return 0
    owed = balances.owed_minor(school=school, student_ids=[card.student_id]).get(card.student_id, 0)
    if owed <= 0:
        return 0
    # Typed, not formatted: messaging writes the amount in each guardian's language.
    amount, (_address, phone) = {"money": [int(owed), school.currency]}, school_contact(school)

    def extra(guardian):
        pay = balances.pay_link(school=school, student_id=card.student_id, guardian_id=guardian.pk)
        return {"amount_owed": amount, "pay_link": pay, "school_phone": phone}

    key = f"result.withheld:{card.student_id}:{card.term_id}"
    return _ask(
        school=school, card=card, template=TemplateType.RESULT_WITHHELD, key=key, reason="result.withheld", extra=extra
    )
