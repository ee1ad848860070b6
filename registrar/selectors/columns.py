"""The registrar's board: its filters, column counts, cards and "load more" cursor.

The board is one query for the counts and one per column, whatever the size of the school: each
column is the lead queue (`application_lead_queue_idx`: school, status, submitted_at DESC, id DESC)
read with a keyset cursor, so "load more" costs the same on page 1 and page 40. Cards read only the
columns they show; the badges come from counters the services keep on the row (open_duplicates,
missing_documents), so no card needs a join.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from classpoint.bounds import date_in_range, parse_id
from schools.phones import normalize_phone

from ..models import OPEN_STATUSES, Application
from ..transitions import allowed_moves

Status = Application.Status

BOARD_STATUSES = [
    Status.PENDING,
    Status.IN_REVIEW,
    Status.NEEDS_INFO,
    Status.APPROVED,
    Status.CONVERTED,
    Status.REJECTED,
    Status.WITHDRAWN,
]
# Closed columns are drawn narrow: the day's work is in the open ones.
COLLAPSED_STATUSES = {Status.CONVERTED, Status.REJECTED, Status.WITHDRAWN}
PER_COLUMN = 25
STALE_AFTER = datetime.timedelta(days=3)
CARD_FIELDS = (
    "id",
    "school_id",
    "reference",
    "status",
    "first_name",
    "last_name",
    "other_names",
    "class_level",
    "submitted_at",
    "status_changed_at",
    "open_duplicates",
    "missing_documents",
)

# How each move reads on a button, and the key that makes it on a focused card.
MOVES = {
    Status.IN_REVIEW: ("Review", "r"),
    Status.NEEDS_INFO: ("Ask for info", "i"),
    Status.APPROVED: ("Approve", "a"),
    Status.CONVERTED: ("Enrol", "e"),
    Status.REJECTED: ("Reject", "x"),
    Status.WITHDRAWN: ("Withdraw", "w"),
}
MOVE_ORDER = list(MOVES)


@dataclass(frozen=True)
class BoardFilters:
    """What the board (and a dashboard tile's link) may filter by; GET names in `PARAMS`."""

    q: str = ""
    class_level: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    duplicates: bool = False
    missing: bool = False
    stale: bool = False
    status: str = ""

    PARAMS = ("q", "class_level", "from", "to", "duplicates", "missing", "stale", "status")

    def params(self):
        """The filters as GET parameters (only those set), for links that keep them."""
        values = {
            "q": self.q,
            "class_level": self.class_level,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "duplicates": "1" if self.duplicates else "",
            "missing": "1" if self.missing else "",
            "stale": "1" if self.stale else "",
            "status": self.status,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def is_set(self):
        return bool(self.params())


def _search_terms(q, *, region):
    """The words of a search, lower-cased (search_text is), with a typed phone number also tried in
    E.164, the way guardians' phones are stored ("0803 123 4567" finds +2348031234567)."""
    q = (q or "").strip().lower()
    terms = []
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 7 and all(ch.isdigit() or ch in " +-()" for ch in q):
        try:
            phone = normalize_phone(q, region)
        except ValueError:
            phone = ""
        return [(digits, phone)] if phone else [(q.replace(" ", ""), "")]
    for word in q.split()[:4]:
        terms.append((word, ""))
    return terms


def applications_matching(*, school, filters, now=None):
    """The school's applications that pass the board's filters, in any status."""
    apps = Application.objects.for_school(school)
    if filters.status:
        apps = apps.filter(status=filters.status)
    if filters.class_level:
        apps = apps.filter(class_level=filters.class_level)
    # The dates are the school's days, not UTC's.
    if filters.date_from:
        apps = apps.filter(submitted_at__gte=school.local_day_start(filters.date_from))
    if filters.date_to:
        apps = apps.filter(submitted_at__lt=school.local_day_start(filters.date_to + datetime.timedelta(days=1)))
    if filters.duplicates:
        apps = apps.filter(open_duplicates__gt=0)
    if filters.missing:
        apps = apps.filter(missing_documents__gt=0)
    if filters.stale:
        cutoff = (now or timezone.now()) - STALE_AFTER
        apps = apps.filter(status__in=OPEN_STATUSES, status_changed_at__lt=cutoff)
    for word, phone in _search_terms(filters.q, region=school.country):
        # search_text is lower-cased, so a lower-cased LIKE is a case-insensitive search that the
        # trigram index serves (icontains would wrap the column in UPPER() and miss it).
        match = Q(search_text__contains=word)
        if phone:
            match |= Q(search_text__contains=phone.lower())
        apps = apps.filter(match)
    return apps


def board_counts(*, school, filters, now=None):
    """{status: count} over the filtered set, every board status present: one GROUP BY."""
    rows = applications_matching(school=school, filters=filters, now=now).values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(BOARD_STATUSES, 0)
    counts.update({row["status"]: row["n"] for row in rows.order_by()})
    return counts


def encode_cursor(application):
    at = application.submitted_at.astimezone(datetime.UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S.%f}Z,{application.pk}"


def decode_cursor(value):
    """(submitted_at, id) from a `before` parameter, or ValueError."""
    at, _, pk = (value or "").rpartition(",")
    moment, pk = datetime.datetime.fromisoformat(at), parse_id(pk)
    if moment.tzinfo is None or pk is None or not date_in_range(moment):
        raise ValueError("Not a board cursor.")
    return moment, pk


def column_page(*, school, status, filters=None, before=None, now=None):
    """One column's next cards, newest first: PER_COLUMN + 1 rows (the extra one says whether there
    is more). `before` is a decoded cursor (submitted_at, id). This is the lead queue the bench
    measures: a range scan of application_lead_queue_idx with a LIMIT."""
    filters = filters or BoardFilters()
    apps = applications_matching(school=school, filters=filters, now=now).filter(status=status)
    if before is not None:
        at, pk = before
        apps = apps.filter(Q(submitted_at__lt=at) | Q(submitted_at=at, id__lt=pk))
    return apps.only(*CARD_FIELDS).order_by("-submitted_at", "-id")[: PER_COLUMN + 1]


def age_in_words(age):
    """How long ago, in its largest whole unit ("3 days ago"), as a card says when the application
    came; cheaper than timesince's translations, 175 times a page."""
    seconds = int(age.total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in (
        (31_536_000, "year"),
        (2_592_000, "month"),
        (604_800, "week"),
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def decorate_cards(cards, *, now=None):
    """Adds what a card shows beyond its row: relative age, stale flag and the moves it offers."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    for card in cards:
        card.submitted_ago = age_in_words(now - card.submitted_at)
        card.is_stale = card.status in OPEN_STATUSES and card.status_changed_at < cutoff
        allowed = allowed_moves(card.status)
        card.moves = [(status, *MOVES[status]) for status in MOVE_ORDER if status in allowed]
    return cards


@dataclass
class Column:
    status: str
    label: str
    count: int
    cards: list = field(default_factory=list)
    next_cursor: str = ""
    collapsed: bool = False


class Card:
    """A card's row as plain attributes: a board builds 175 of them, and a model instance with
    deferred fields costs several times more to make than this."""

    __slots__ = (*CARD_FIELDS, "submitted_ago", "is_stale", "moves")

    def __init__(self, row):
        for name, value in row.items():
            setattr(self, name, value)

    @property
    def pk(self):
        return self.id

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.other_names, self.last_name) if p)


def column_cards(*, school, status, filters=None, before=None, now=None):
    """(cards, next_cursor) for one column: the page of the lead queue, decorated."""
    now = now or timezone.now()
    page = column_page(school=school, status=status, filters=filters, before=before, now=now)
    rows = [Card(row) for row in page.values(*CARD_FIELDS)]
    more = len(rows) > PER_COLUMN
    cards = decorate_cards(rows[:PER_COLUMN], now=now)
    return cards, encode_cursor(cards[-1]) if more else ""


def board(*, school, filters, now=None):
    """The board's columns, each with its count (over the filtered set) and first page of cards.
    A status filter shows that column alone."""
    now = now or timezone.now()
    counts = board_counts(school=school, filters=filters, now=now)
    statuses = [filters.status] if filters.status else BOARD_STATUSES
    columns = []
    for status in statuses:
        cards, cursor = [], ""
        if counts[status]:  # an empty column costs no query
            cards, cursor = column_cards(school=school, status=status, filters=filters, now=now)
        columns.append(
            Column(
                status=status,
                label=Status(status).label,
                count=counts[status],
                cards=cards,
                next_cursor=cursor,
                collapsed=status in COLLAPSED_STATUSES,
            )
        )
    return columns


def class_levels(*, school):
    """The levels the school teaches (what an applicant may seek), in order."""
    return list(school.class_groups.order_by("level").values_list("level", flat=True).distinct())
