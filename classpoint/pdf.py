"""Printable documents (receipts, invoices) built with reportlab's platypus from plain values.

The kernel knows no domain app: callers pass strings already written for the reader (money formatted,
dates in the school's timezone) and get PDF bytes back. One layout for every document: the school's
letterhead, a title with the document's number, a block of facts, tables whose money columns are
right-aligned with their totals underneath, notes, an optional diagonal stamp ("VOID", "DRAFT",
"PAID") on every page and a footer with the generation time and "Page n of N".

Several documents may share one file (a class's report cards): each starts on a new page, numbers
its own pages and names itself at the top of its continuation pages. Wide tables (a broadsheet) ask
for compact type and a landscape page.
"""

import functools
import io
import os
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT, BOLD = "ClasspointSans", "ClasspointSans-Bold"
# A Unicode TrueType face is needed for ₦ and GH₵ and for names beyond Latin-1. DejaVu Sans ships
# with most Linux images (Debian's fonts-dejavu-core); reportlab's own Vera is the fallback, and it
# lacks ₦, so callers ask `supports()` before using a symbol.
_FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
)
_register_lock = threading.Lock()

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
RULE = colors.HexColor("#cbd2d9")
SHADE = colors.HexColor("#f0f4f8")
STAMP_COLOURS = {"VOID": colors.HexColor("#c81e1e"), "PAID": colors.HexColor("#0e7c3a")}
MARGIN = 18 * mm


@dataclass(frozen=True)
class Letterhead:
    name: str
    address: str = ""  # line breaks are kept
    contact: Sequence[str] = ()  # phone, email, website: one line, separated by dots
    logo: bytes | None = None  # image bytes; left out when they are not an image reportlab can read


@dataclass(frozen=True)
class Section:
    """A headed table. `numeric` are the indexes of right-aligned (money) columns; `totals` are
    (label, value) rows under the last column, the last one in bold."""

    heading: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: Sequence[int] = ()
    totals: Sequence[tuple[str, str]] = ()
    widths: Sequence[float] | None = None  # relative column widths
    empty: str = "Nothing to show."
    note: str = ""
    # Rows under the body in bold, every column kept (a broadsheet's class averages).
    footer_rows: Sequence[Sequence[str]] = ()
    compact: bool = False  # smaller type, for a table of many columns
    # Every column but the first as wide as its widest word; the first takes the rest (ignores `widths`).
    fit: bool = False


@dataclass(frozen=True)
class Document:
    """One document of a file `render_documents` makes: what `render` takes, and `running`, the line
    at the top of each page after its first (whose letterhead already says whose it is)."""

    title: str
    number: str = ""
    facts: Sequence[tuple[str, str]] = ()
    sections: Sequence[Section] = ()
    notes: Sequence[str] = ()
    stamp: str | None = None
    running: str = ""


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    school: ParagraphStyle
    title: ParagraphStyle
    number: ParagraphStyle
    heading: ParagraphStyle
    cell: ParagraphStyle
    cell_right: ParagraphStyle
    cell_head: ParagraphStyle
    cell_head_right: ParagraphStyle
    total_right: ParagraphStyle


@functools.cache
def _fonts():
    """Register the document font once per process; returns the set of code points it can draw."""
    import reportlab

    bundled = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    candidates = (*_FONT_CANDIDATES, (os.path.join(bundled, "Vera.ttf"), os.path.join(bundled, "VeraBd.ttf")))
    regular, bold = next((pair for pair in candidates if all(os.path.exists(p) for p in pair)), candidates[-1])
    with _register_lock:
        face = TTFont(FONT, regular)
        pdfmetrics.registerFont(face)
        pdfmetrics.registerFont(TTFont(BOLD, bold))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return frozenset(face.face.charToGlyph)


def supports(text):
    """Whether the document font can draw every character of `text` (e.g. a currency symbol)."""
    glyphs = _fonts()
    return all(ord(ch) in glyphs for ch in text if not ch.isspace())


@functools.cache
def _styles():
    _fonts()

    def style(name, size, font=FONT, colour=INK, leading=None, **kw):
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.3, textColor=colour, **kw)

    return _Styles(
        body=style("body", 9.5),
        small=style("small", 8.5, colour=MUTED),
        label=style("label", 8, colour=MUTED),
        school=style("school", 15, font=BOLD, leading=18),
        title=style("title", 18, font=BOLD, alignment=TA_RIGHT, leading=22),
        number=style("number", 11, alignment=TA_RIGHT),
        heading=style("heading", 11, font=BOLD, spaceBefore=10, spaceAfter=4),
        cell=style("cell", 9),
        cell_right=style("cell_right", 9, alignment=TA_RIGHT),
        cell_head=style("cell_head", 8.5, font=BOLD, colour=MUTED),
        cell_head_right=style("cell_head_right", 8.5, font=BOLD, colour=MUTED, alignment=TA_RIGHT),
        total_right=style("total_right", 9.5, font=BOLD, alignment=TA_RIGHT),
    )


def _p(text, style):
    """A paragraph of plain text: markup characters in names ("A & B") are escaped, not parsed."""
    return Paragraph(escape(str(text if text is not None else "")).replace("\n", "<br/>"), style)


def _logo(data, max_height=18 * mm, max_width=40 * mm):
    try:
        reader = ImageReader(io.BytesIO(data))
        width, height = reader.getSize()
    except Exception:  # noqa: BLE001 - a broken logo upload must not stop a receipt
        return None
    scale = min(max_height / height, max_width / width)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def _header(letterhead, title, number, frame_width):
    s = _styles()
    left = [_p(letterhead.name, s.school)]
    if letterhead.address:
        left.append(_p(letterhead.address.strip(), s.small))
    contact = " · ".join(c for c in letterhead.contact if c)
    if contact:
        left.append(_p(contact, s.small))
    right = [_p(title, s.title), _p(number, s.number)] if number else [_p(title, s.title)]
    logo = _logo(letterhead.logo) if letterhead.logo else None
    if logo is not None:
        cells, widths = [logo, left, right], [logo.drawWidth + 4 * mm, None, 0.38 * frame_width]
        widths[1] = frame_width - widths[0] - widths[2]
    else:
        cells, widths = [left, right], [0.62 * frame_width, 0.38 * frame_width]
    table = Table([cells], colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 8),
            ]
        )
    )
    return table


def _facts(facts, frame_width):
    """Label/value pairs, two pairs to a row."""
    s = _styles()
    cells = [[_p(label, s.label), _p(value, s.body)] for label, value in facts]
    rows = []
    for i in range(0, len(cells), 2):
        pair = cells[i : i + 2]
        rows.append(pair[0] + (pair[1] if len(pair) > 1 else ["", ""]))
    quarter = frame_width / 4
    table = Table(rows, colWidths=[0.7 * quarter, 1.3 * quarter, 0.7 * quarter, 1.3 * quarter])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


@functools.cache
def _table_styles(compact):
    """((cell, right), (head, right), (bold, right)) paragraph styles in a table's type size."""
    _fonts()
    cell, head = (7.5, 7) if compact else (9, 8.5)

    def pair(size, font=FONT, colour=INK):
        left = ParagraphStyle(f"t-{size}-{font}", fontName=font, fontSize=size, leading=size * 1.3, textColor=colour)
        return left, ParagraphStyle(f"{left.name}-r", parent=left, alignment=TA_RIGHT)

    return pair(cell), pair(head, BOLD, MUTED), pair(cell, BOLD)


def _fitted(section, frame_width, padding):
    """Column widths for `Section.fit`."""
    (cell, _), (head, _), _ = _table_styles(section.compact)

    def widest(texts, style):
        return max((stringWidth(w, BOLD, style.fontSize) for t in texts for w in str(t).split()), default=0)

    columns = list(zip(section.columns, *section.rows, *section.footer_rows, strict=True))
    needed = [max(widest(c[:1], head), widest(c[1:], cell)) + 2 * padding + 1 for c in columns[1:]]
    # Too many columns: the first keeps a sixth of the frame and the others shrink alike.
    rest = max(frame_width - sum(needed), frame_width / 6)
    return [rest, *[n * (frame_width - rest) / sum(needed) for n in needed]]


def _section(section, frame_width):
    s = _styles()
    numeric = set(section.numeric)
    ncols = len(section.columns)
    (cell, right), (head, head_right), (bold, bold_right) = _table_styles(section.compact)
    padding = 3 if section.compact else 6

    def cells(row, left, aligned):
        return [_p(v, aligned if i in numeric else left) for i, v in enumerate(row)]

    body = [cells(row, cell, right) for row in section.rows]
    body += [cells(row, bold, bold_right) for row in section.footer_rows]
    flow = [_p(section.heading, s.heading)]
    if not body:
        flow.append(_p(section.empty, s.small))
        return flow
    totals = []
    for i, (label, value) in enumerate(section.totals):
        style = s.total_right if i == len(section.totals) - 1 else s.cell_right
        totals.append([_p(label, style), *[""] * (ncols - 2), _p(value, style)])
    weights = section.widths or [2 if i == 0 else 1 for i in range(ncols)]
    widths = (
        _fitted(section, frame_width, padding) if section.fit else [frame_width * w / sum(weights) for w in weights]
    )
    table = Table([cells(section.columns, head, head_right), *body, *totals], colWidths=widths, repeatRows=1)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, 1), (-1, len(body)), 0.3, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2 if section.compact else 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2 if section.compact else 3),
        ("LEFTPADDING", (0, 0), (-1, -1), padding),
        ("RIGHTPADDING", (0, 0), (-1, -1), padding),
    ]
    if section.footer_rows:
        first_footer = 1 + len(section.rows)
        style += [("LINEABOVE", (0, first_footer), (-1, first_footer), 0.8, INK)]
        style += [("BACKGROUND", (0, first_footer), (-1, len(body)), SHADE)]
    first_total = 1 + len(body)
    for row in range(first_total, first_total + len(totals)):
        if ncols > 1:
            style.append(("SPAN", (0, row), (ncols - 2, row)))
    if totals:
        style.append(("LINEABOVE", (0, first_total), (-1, first_total), 0.8, INK))
        style.append(("LINEABOVE", (-1, -1), (-1, -1), 0.8, INK))
    table.setStyle(TableStyle(style))
    flow.append(table)
    if section.note:
        flow.append(_p(section.note, s.small))
    return [KeepTogether(flow)] if len(body) <= 12 else flow


class _DocumentStart(Flowable):
    """Draws nothing: tells the canvas that a document starts on this page, so the footer numbers its
    pages apart from the others' and its continuation pages carry its running line."""

    def __init__(self, index, running):
        super().__init__()
        self.index, self.running = index, running
        self.width = self.height = 0

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.document_index = self.index
        self.canv.running_text = self.running


class _FooterCanvas(canvas.Canvas):
    """Holds the pages back until the end so each footer can say "Page n of N" (counted within its
    document); the stamp is drawn last, over the content, half transparent."""

    footer_text = ""
    stamps = {}  # document index -> stamp word

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []
        self.document_index = 0
        self.running_text = ""

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        totals, seen = Counter(state["document_index"] for state in self._pages), Counter()
        for state in self._pages:
            self.__dict__.update(state)
            seen[self.document_index] += 1
            self._decorate(seen[self.document_index], totals[self.document_index])
            super().showPage()
        super().save()

    def _decorate(self, number, total):
        width, height = self._pagesize
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, 13 * mm, width - MARGIN, 13 * mm)
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, 9 * mm, self.footer_text)
        self.drawRightString(width - MARGIN, 9 * mm, f"Page {number} of {total}")
        if number > 1 and self.running_text:
            self.drawString(MARGIN, height - 11 * mm, f"{self.running_text} (continued)")
            self.line(MARGIN, height - 12.5 * mm, width - MARGIN, height - 12.5 * mm)
        stamp = self.stamps.get(self.document_index)
        if stamp:
            colour = STAMP_COLOURS.get(stamp.upper(), MUTED)
            self.translate(width / 2, height / 2)
            self.rotate(40)
            self.setFillColor(colour, alpha=0.16)
            self.setStrokeColor(colour, alpha=0.3)
            size = min(150, 0.95 * (width**2 + height**2) ** 0.5 / max(len(stamp), 1) / 0.62)
            self.setFont(BOLD, size)
            self.drawCentredString(0, -size / 3, stamp)
        self.restoreState()


def render(*, letterhead, title, number="", facts=(), sections=(), notes=(), stamp=None, generated_at=None, subject=""):
    """The document as PDF bytes.

    `facts`: (label, value) pairs; `sections`: `Section`s in order; `notes`: paragraphs after them;
    `stamp`: a word across every page; `generated_at`: an aware datetime already in the reader's
    timezone (default: now in the current timezone).
    """
    document = Document(title=title, number=number, facts=facts, sections=sections, notes=notes, stamp=stamp)
    return render_documents(
        letterhead=letterhead,
        documents=[document],
        generated_at=generated_at,
        title=f"{title} {number}".strip(),
        subject=subject or title,
    )


def _story(document, letterhead, frame_width):
    s = _styles()
    story = [_header(letterhead, document.title, document.number, frame_width), Spacer(1, 6 * mm)]
    if document.facts:
        story += [_facts(document.facts, frame_width), Spacer(1, 2 * mm)]
    for section in document.sections:
        story += _section(section, frame_width)
    if document.notes:
        story.append(Spacer(1, 5 * mm))
        story += [_p(note, s.body) for note in document.notes]
    return story


def render_documents(*, letterhead, documents, landscape_pages=False, generated_at=None, title="", subject=""):
    """Several documents in one PDF, each from a new page with its own "Page n of N" (`render`'s
    parts per `Document`); `landscape_pages` turns every page (a wide table). `title` and `subject`
    are the file's metadata (default: the first document's title)."""
    _fonts()
    documents = list(documents)
    generated_at = generated_at or timezone.localtime()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if landscape_pages else A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=20 * mm,
        title=title or documents[0].title,
        author=letterhead.name,
        subject=subject or title or documents[0].title,
        creator="Classpoint",
    )
    frame_width = doc.width - 12  # the frame keeps 6 points of padding on each side
    story = []
    for index, document in enumerate(documents):
        if index:
            story.append(PageBreak())
        story.append(_DocumentStart(index, document.running))
        story += _story(document, letterhead, frame_width)

    footer = f"Generated {generated_at.day} {generated_at:%b %Y, %H:%M} ({generated_at.tzname()}) · {letterhead.name}"
    stamps = {index: document.stamp for index, document in enumerate(documents) if document.stamp}
    maker = type("DocumentCanvas", (_FooterCanvas,), {"footer_text": footer, "stamps": stamps})
    doc.build(story, canvasmaker=maker)
    return buffer.getvalue()
