"""Report cards on paper: one A4 document per pupil with the school's letterhead (the same PDF
machinery as invoices and receipts), rendered on demand from the computed card and never stored.

A card with many subjects runs on to a second page: the subjects' header row repeats and the page
names the pupil at the top. A class's cards come as one file, each card from a new page with its own
page numbers. A card with scores still missing is stamped PROVISIONAL.
"""

from django.utils import timezone

from classpoint import pdf
from classpoint.money import currency_symbol, format_money
from schools.documents import school_letterhead

from ..errors import AcademicsError, AcademicsErrorCode
from .cards import class_cards, report_card

PROVISIONAL = "PROVISIONAL"
NONE = "—"


def _figure(value):
    return NONE if value is None else f"{value}"


def _term_label(card):
    return f"{card.term_name}, {card.session_name}" if card.session_name else card.term_name


def _max(component):
    return f"{component.max_score.normalize():f}"


def _subjects(card):
    columns = ["Subject", *[f"{c.name} /{_max(c)}" for c in card.components], "Total", "Grade", "Remark"]
    if card.show_subject_position:
        columns.append("Position")
    columns.append("Class avg.")
    rows = []
    for subject in card.subjects:
        row = [subject.name, *[cell or NONE for cell in subject.cells], _figure(subject.total)]
        row += [subject.grade or NONE, subject.remark]
        if card.show_subject_position:
            row.append(subject.position_text or NONE)
        row.append(_figure(subject.class_average))
        rows.append(row)
    last = len(columns) - 1
    numeric = [*range(1, len(card.components) + 2), *range(last - (1 if card.show_subject_position else 0), last + 1)]
    return pdf.Section(
        heading="Subjects",
        columns=columns,
        rows=rows,
        numeric=numeric,
        fit=True,
        # A term of many components prints smaller rather than squeezing the subjects' names.
        compact=len(card.components) > 5,
        empty="No subject is set for this class.",
        note="ABS: absent (counts as 0). —: not entered yet.",
    )


def _attendance(card):
    a = card.attendance
    return pdf.Section(
        heading="Attendance this term",
        columns=("School days", "Present", "Absent", "Late", "Excused"),
        rows=[(str(a.expected), str(a.present), str(a.absent), str(a.late), str(a.excused))],
        numeric=(0, 1, 2, 3, 4),
        widths=(1, 1, 1, 1, 1),
        note="Present counts every day at school, late days included."
        + (f" {a.unmarked} school day{'s' if a.unmarked != 1 else ''} not marked." if a.unmarked else ""),
    )


def _comments(card):
    teacher = "Form teacher" + (f" ({card.form_teacher_name})" if card.form_teacher_name else "")
    return pdf.Section(
        heading="Comments",
        columns=("From", "Comment"),
        rows=[(teacher, card.form_teacher_comment or NONE), ("Head", card.head_comment or NONE)],
        widths=(1.2, 4),
    )


def _grade_key(card):
    bands = card.grade_key
    return pdf.Section(
        heading="Grade key",
        columns=["Grade", *[b.letter for b in bands]],
        rows=[
            ["Total", *[f"{b.min_score} – {b.max_score}" for b in bands]],
            ["Remark", *[b.remark for b in bands]],
        ],
        widths=[1.2, *[1] * len(bands)],
        compact=True,
        empty="The school has no grade scale.",
    )


def _facts(card):
    facts = [
        ("Pupil", card.pupil_name),
        ("Admission no.", card.admission_number),
        ("Class", card.class_name),
        ("Term", _term_label(card)),
        ("Overall total", _figure(card.total)),
        ("Average", _figure(card.average)),
    ]
    if card.show_class_position:
        position = f"{card.position_text} of {card.class_size}" if card.position_text else NONE
        facts.append(("Position in class", position))
    facts.append(("Number in class", str(card.class_size)))
    return facts


def _notes(card):
    notes = []
    if card.next_term_starts:
        notes.append(
            f"Next term ({card.next_term_name}) begins on {card.next_term_starts:%A} {card.next_term_starts.day} "
            f"{card.next_term_starts:%B %Y}."
        )
    if card.next_term_fees_minor > 0:
        symbol = pdf.supports(currency_symbol(card.currency))
        notes.append(f"Fees for next term: {format_money(card.next_term_fees_minor, card.currency, symbol=symbol)}.")
    if not card.complete:
        detail = "; ".join(card.missing[:6]) + ("; …" if len(card.missing) > 6 else "")
        notes.append(f"Provisional: {card.missing_text}" + (f" ({detail})." if detail else "."))
    return notes


def card_document(card):
    """One card as a `pdf.Document` (several make a class's file)."""
    sections = [_subjects(card)]
    if card.attendance is not None:
        sections.append(_attendance(card))
    sections += [_comments(card), _grade_key(card)]
    return pdf.Document(
        title="Report card",
        number=_term_label(card),
        facts=_facts(card),
        sections=sections,
        notes=_notes(card),
        stamp=None if card.complete else PROVISIONAL,
        running=f"{card.pupil_name} · {card.class_name} · report card, {_term_label(card)}",
    )


def _render(school, cards, title):
    return pdf.render_documents(
        letterhead=school_letterhead(school),
        documents=[card_document(card) for card in cards],
        generated_at=timezone.localtime(timezone=school.tzinfo),
        title=title,
        subject="Report card",
    )


def report_card_pdf(*, school, term, student):
    """The pupil's card for `term` as PDF bytes; REPORT_CARD_NOT_FOUND when they were in no class."""
    card = report_card(school=school, term=term, student=student)
    if card is None:
        message = f"{student.full_name} was not in a class in {term}, so has no report card for it."
        raise AcademicsError(message, code=AcademicsErrorCode.REPORT_CARD_NOT_FOUND)
    return _render(school, [card], f"Report card: {card.pupil_name}, {_term_label(card)}")


def class_cards_pdf(*, school, term, class_group):
    """Every card of the class for `term` in one PDF, each from a new page (REPORT_CARD_NOT_FOUND for
    a class with no pupil that term)."""
    cards = class_cards(school=school, term=term, class_group=class_group)
    if not cards:
        message = f"{class_group.name} has no pupil in {term}."
        raise AcademicsError(message, code=AcademicsErrorCode.REPORT_CARD_NOT_FOUND)
    return _render(school, cards, f"Report cards: {class_group.name}, {_term_label(cards[0])}")
