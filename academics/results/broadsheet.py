"""A class's broadsheet: every pupil by every subject of the class's level (each subject's total),
with each pupil's overall total, average and class position, and the class's average per subject as
the last row. For the form teacher and the head, so positions are always shown (the school's policy
hides them from the cards families receive, not from staff).

The same figures as the cards (compute), in three shapes: a page, a CSV (formula-safe, through the
kernel's writer) and a landscape PDF.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone

from classpoint import pdf
from schools.documents import school_letterhead

from . import compute
from .selectors import class_results


@dataclass(frozen=True)
class BroadsheetRow:
    student: object
    totals: list[Decimal | None]  # one per subject; None: the pupil does not take it
    total: Decimal | None
    average: Decimal | None
    position: int | None
    position_text: str
    missing: int  # blank cells in the pupil's subjects

    @property
    def complete(self):
        return self.missing == 0


@dataclass(frozen=True)
class Broadsheet:
    term: object
    class_group: object
    subjects: list  # Subject rows, in report order
    rows: list[BroadsheetRow]  # register order
    subject_averages: list[Decimal | None]
    average_total: Decimal | None  # the class's mean overall total
    average_average: Decimal | None  # the class's mean average

    def subject_label(self, subject):
        return subject.code or subject.name


def broadsheet(*, school, term, class_group):
    results = class_results(school=school, term=term, class_group=class_group)
    worked = results.worked
    positions = Counter(p.position for p in worked.pupils.values() if p.position is not None)
    rows, exact_totals, exact_averages = [], [], []
    for pupil in results.pupils:
        mine = worked.pupils[pupil.pk]
        taken = mine.subjects
        # Summed once here: the worked figures' properties add the fractions up again on each read.
        exact = sum((t.result.exact for t in taken.values()), Fraction(0))
        average = exact / len(taken) if taken else None
        if taken:
            exact_totals.append(exact)
            exact_averages.append(average)
        rows.append(
            BroadsheetRow(
                student=pupil,
                totals=[taken[s.pk].result.total if s.pk in taken else None for s in results.subjects],
                total=compute.shown(exact) if taken else None,
                average=compute.shown(average),
                position=mine.position,
                position_text=compute.ordinal(mine.position) + ("=" if positions[mine.position] > 1 else ""),
                missing=sum(len(t.result.missing) for t in taken.values()),
            )
        )
    return Broadsheet(
        term=term,
        class_group=class_group,
        subjects=results.subjects,
        rows=rows,
        subject_averages=[worked.subject_average(s.pk) for s in results.subjects],
        average_total=compute.shown(compute.mean(exact_totals)),
        average_average=compute.shown(compute.mean(exact_averages)),
    )


def _text(value):
    return "" if value is None else str(value)


def csv_table(sheet):
    """(header, rows) for the CSV: one row a pupil, then the class averages."""
    header = ["Position", "Admission no.", "Pupil", *[s.name for s in sheet.subjects], "Total", "Average", "Missing"]
    rows = [
        [
            row.position_text,
            row.student.admission_number,
            row.student.full_name,
            *[_text(total) for total in row.totals],
            _text(row.total),
            _text(row.average),
            row.missing,
        ]
        for row in sheet.rows
    ]
    rows.append(
        [
            "",
            "",
            "Class average",
            *[_text(a) for a in sheet.subject_averages],
            _text(sheet.average_total),
            _text(sheet.average_average),
            "",
        ]
    )
    return header, rows


def broadsheet_pdf(*, school, sheet):
    """The broadsheet on landscape A4 pages (the header row repeats on each)."""
    columns = ["Pupil", *[sheet.subject_label(s) for s in sheet.subjects], "Total", "Average", "Position"]
    n = len(sheet.subjects)
    rows = [
        [
            f"{row.student.full_name} ({row.student.admission_number})",
            *[_text(t) or "—" for t in row.totals],
            _text(row.total),
            _text(row.average),
            row.position_text,
        ]
        for row in sheet.rows
    ]
    averages = [
        "Class average",
        *[_text(a) for a in sheet.subject_averages],
        _text(sheet.average_total),
        _text(sheet.average_average),
        "",
    ]
    key = " · ".join(f"{s.code}: {s.name}" for s in sheet.subjects if s.code)
    term = f"{sheet.term.name}, {sheet.term.session.name}" if sheet.term.session_id else sheet.term.name
    section = pdf.Section(
        heading=f"{sheet.class_group.name}: {len(sheet.rows)} pupils, {n} subjects",
        columns=columns,
        rows=rows,
        numeric=range(1, n + 4),
        fit=True,
        footer_rows=[averages],
        compact=True,
        empty="No pupil in this class this term.",
        note=(key + ". " if key else "") + "Subject totals out of 100; —: the pupil does not take the subject.",
    )
    return pdf.render_documents(
        letterhead=school_letterhead(school),
        documents=[
            pdf.Document(
                title="Broadsheet",
                number=term,
                sections=[section],
                running=f"Broadsheet · {sheet.class_group.name} · {term}",
            )
        ],
        landscape_pages=True,
        generated_at=timezone.localtime(timezone=school.tzinfo),
        title=f"Broadsheet: {sheet.class_group.name}, {term}",
    )
