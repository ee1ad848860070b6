"""Reads for the registrar's board and an application's detail panel.

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

from academics.models import ScheduleSlot, SlotSeat
from classpoint.bounds import date_in_range, parse_id
from classpoint.money import format_money
from messaging.models import Message
from payments.models import PaymentIntent, PaymentTransaction
from payments.proofs import guardian_link
from schools.phones import normalize_phone

from .checklist import missing_documents_for, requirements_for
from .models import OPEN_STATUSES, Application, ApplicationEvent, DocumentKind, DuplicateFlag
from .transitions import allowed_moves

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


# Message statuses whose reason says something the status does not ("Not sent: no consent for SMS").
EXPLAINED = {"suppressed", "failed", "undelivered", "deferred"}


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


# --- The detail panel -----------------------------------------------------------------------------


def application_detail(*, school, application_id):
    """The application with what every tab's header needs; raises Application.DoesNotExist."""
    application = (
        Application.objects.for_school(school)
        .select_related("placed_class_group", "student", "invoice", "term__session", "created_by")
        .prefetch_related("guardians__guardian")
        .get(pk=application_id)
    )
    application.school = school  # the same row; the services and checklists read it
    return application


def open_duplicate_flags(*, school, application):
    """Open duplicate flags with the other side (an application and its guardians, or a student and
    theirs) loaded, for the side-by-side view."""
    return list(
        DuplicateFlag.objects.for_school(school)
        .filter(application=application, status=DuplicateFlag.Status.OPEN)
        .select_related("other_application", "student")
        .prefetch_related("other_application__guardians", "student__guardian_links__guardian")
        .order_by("-created_at", "-id")
    )


def documents_checklist(*, school, application):
    """(documents, checklist): the application's documents, newest first per kind, and one row per
    required kind saying what the family sent for it."""
    documents = list(application.documents.select_related("reviewed_by").order_by("kind", "-uploaded_at", "-id"))
    missing = set(missing_documents_for(application))
    by_kind = {}
    for document in documents:
        by_kind.setdefault(document.kind, []).append(document)
    checklist = []
    for kind in requirements_for(school=school, level=application.class_level):
        sent = by_kind.get(kind, [])
        checklist.append(
            {
                "kind": kind,
                "label": DocumentKind(kind).label,
                "missing": kind in missing,
                "documents": sent,
                "status": sent[0].status if sent else "",
            }
        )
    return documents, checklist


def placement_options(*, school, application, class_group=None):
    """What the Class tab offers: the term, the class groups (those of the level sought first) and
    the term's slots for the chosen class and the other classes of that level (streams and sets
    share a timetable: a subject may be taken with a parallel class)."""
    term = application.term or school.current_term()
    groups = list(school.class_groups.order_by("level", "name"))
    groups.sort(key=lambda g: g.level != application.class_level)
    chosen = class_group or application.placed_class_group
    slots = []
    if term is not None:
        wanted = Q(class_group__level=application.class_level)
        if chosen is not None:
            wanted |= Q(class_group=chosen)
        slots = list(
            ScheduleSlot.objects.for_school(school)
            .filter(wanted, term=term)
            .select_related("class_group", "teacher")
            .order_by("class_group__level", "class_group__name", "weekday", "start_time", "id")
        )
        # The chosen class's own slots first.
        slots.sort(key=lambda s: chosen is None or s.class_group_id != chosen.pk)
    return term, groups, slots


def seated_slot_ids(*, school, application):
    return set(SlotSeat.objects.for_school(school).filter(application=application).values_list("slot_id", flat=True))


def fees_summary(*, school, application):
    """The invoice approval made (if any) with its payments and the latest pay-now link."""
    invoice = application.invoice
    if invoice is None:
        return {"invoice": None}
    transactions = list(
        PaymentTransaction.objects.for_school(school).filter(invoice=invoice).order_by("-created_at", "-id")
    )
    intent = (
        PaymentIntent.objects.for_school(school)
        .filter(invoice=invoice)
        .exclude(checkout_url="")
        .order_by("-created_at", "-id")
        .first()
    )
    pay_links = []
    if invoice.has_balance_to_pay:
        # The same signed links the family's INVOICE_ISSUED carried (they are signed, not stored).
        pay_links = [
            (g.guardian, guardian_link(invoice=invoice, guardian=g.guardian)) for g in application.guardians.all()
        ]
    return {"invoice": invoice, "transactions": transactions, "intent": intent, "pay_links": pay_links}


@dataclass
class TimelineEntry:
    at: datetime.datetime
    kind: str
    title: str
    detail: str = ""
    actor: str = ""


# Messages that belong on an application's history (others to the same family do not).
HISTORY_TEMPLATES = (
    "APPLICATION_RECEIVED",
    "APPLICATION_NEEDS_INFO",
    "APPLICATION_APPROVED",
    "INVOICE_ISSUED",
    "WELCOME",
)


def _actor(user):
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def history(*, school, application):
    """One timeline, oldest first: the application's own events, the messages sent to its guardians
    about it since it arrived, and the payments on its invoice. Three queries."""
    entries = []
    labels = dict(Status.choices)
    for event in ApplicationEvent.objects.for_school(school).filter(application=application).select_related("actor"):
        if event.kind == ApplicationEvent.Kind.STATUS:
            before = labels.get(event.from_status, event.from_status)
            title = f"{before} → {labels.get(event.to_status, event.to_status)}" if before else "Submitted"
        else:
            title = event.get_kind_display()
        entries.append(
            TimelineEntry(at=event.at, kind=event.kind, title=title, detail=event.note, actor=_actor(event.actor))
        )
    guardian_ids = [g.guardian_id for g in application.guardians.all()]
    if guardian_ids:
        # Messages about the family's other children carry their student; this application's are
        # about no student yet, or about the one it became.
        about = Q(student__isnull=True)
        if application.student_id:
            about |= Q(student_id=application.student_id)
        messages = (
            Message.objects.for_school(school)
            .filter(
                about,
                guardian_id__in=guardian_ids,
                template_type__in=HISTORY_TEMPLATES,
                created_at__gte=application.submitted_at,
            )
            .order_by("created_at", "id")[:200]
        )
        for message in messages:
            entries.append(
                TimelineEntry(
                    at=message.created_at,
                    kind="message",
                    title=f"{message.get_template_type_display()} by {message.get_channel_display()}",
                    detail=f"To {message.to_address}: {message.get_status_display()}"
                    + (f" ({message.status_reason})" if message.status_reason and message.status in EXPLAINED else ""),
                )
            )
    if application.invoice_id:
        for tx in PaymentTransaction.objects.for_school(school).filter(invoice_id=application.invoice_id):
            entries.append(
                TimelineEntry(
                    at=tx.confirmed_at or tx.created_at,
                    kind="payment",
                    title=f"Payment {format_money(tx.amount_minor, tx.currency)} ({tx.get_kind_display()})",
                    detail=tx.get_status_display(),
                )
            )
    entries.sort(key=lambda e: e.at)
    return entries
