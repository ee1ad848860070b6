"""The two comments on a report card: the form teacher's and the head's.

Who writes which: the class's form teacher (the staff record the class names, through its user) or a
member who manages results writes the form teacher's; a member who publishes results writes the
head's. The ReportCard row is made the first time either is set, so a card may be commented on long
before it is published. Every change is audited with what it was and what it became.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from classpoint.audit import audit
from schools.selectors import membership_of

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import ReportCard
from .cards import MANAGE, PUBLISH, class_of, is_form_teacher

MAX_COMMENT = 500
FIELDS = ("form_teacher_comment", "head_comment")


def may_comment(*, school, actor, class_group):
    """{"form_teacher_comment": bool, "head_comment": bool}: which comments `actor` may set on the
    cards of `class_group` (the pages show only the editors they may use)."""
    membership = membership_of(school=school, user=actor)
    if membership is None:
        return {"form_teacher_comment": False, "head_comment": False}
    return {
        "form_teacher_comment": membership.has_perm(MANAGE) or is_form_teacher(class_group=class_group, user=actor),
        "head_comment": membership.has_perm(PUBLISH),
    }


def _clean(name, text):
    text = (text or "").strip()
    if len(text) > MAX_COMMENT:
        message = f"A comment holds at most {MAX_COMMENT} characters (this one has {len(text)})."
        raise AcademicsError(message, code=AcademicsErrorCode.COMMENT_INVALID, fields={name: [message]})
    if "\x00" in text:
        message = "The comment holds a character that cannot be stored."
        raise AcademicsError(message, code=AcademicsErrorCode.COMMENT_INVALID, fields={name: [message]})
    return text


def _card_for_update(*, school, term, student, class_group):
    cards = ReportCard.objects.for_school(school).select_for_update()
    card = cards.filter(term=term, student=student).first()
    if card is not None:
        return card
    try:
        with transaction.atomic():
            return ReportCard.objects.create(school=school, term=term, student=student, class_group=class_group)
    except IntegrityError:  # made by a save a moment ago
        return cards.get(term=term, student=student)


@transaction.atomic
def report_card_comment_set(*, school, actor, term, student, form_teacher_comment=None, head_comment=None):
    """Set either comment (None leaves one as it is; "" clears it) on the pupil's card for `term`.
    Refused with PermissionDenied for a comment the actor may not write, and with COMMENT_INVALID
    for one over 500 characters. Returns the ReportCard."""
    if term.school_id != school.pk or student.school_id != school.pk:
        raise AcademicsError("No such report card.", code=AcademicsErrorCode.REPORT_CARD_NOT_FOUND)
    class_group = class_of(school=school, term=term, student=student)
    if class_group is None:
        message = f"{student.full_name} was not in a class in {term}, so has no report card for it."
        raise AcademicsError(message, code=AcademicsErrorCode.REPORT_CARD_NOT_FOUND)
    wanted = {
        name: _clean(name, text)
        for name, text in zip(FIELDS, (form_teacher_comment, head_comment), strict=True)
        if text is not None
    }
    allowed = may_comment(school=school, actor=actor, class_group=class_group)
    refused = [name for name in wanted if not allowed[name]]
    if refused:
        who = {"form_teacher_comment": "the form teacher's comment", "head_comment": "the head's comment"}
        raise PermissionDenied(f"You may not write {' or '.join(who[name] for name in refused)}.")
    card = _card_for_update(school=school, term=term, student=student, class_group=class_group)
    changes = {name: [getattr(card, name), text] for name, text in wanted.items() if getattr(card, name) != text}
    if changes:
        for name, (_old, new) in changes.items():
            setattr(card, name, new)
        card.comments_updated_at = timezone.now()
        card.save(update_fields=[*changes, "comments_updated_at"])
        audit(
            school=school,
            actor=actor,
            action="report_card.comments_set",
            target=card,
            changes=changes,
            target_label=f"{student.full_name}, {term}",
        )
    return card
