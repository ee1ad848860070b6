"""Reads for an application's detail panel: its header, duplicates, documents checklist, placement
(class and timetable slots), fees summary and history. Other apps' rows come from their selectors."""

import datetime
from dataclasses import dataclass

from academics import selectors as academics_selectors
from classpoint.money import format_money
from messaging import selectors as messaging_selectors
from payments import selectors as payments_selectors
from payments.proofs import guardian_link

from ..checklist import missing_documents_for, requirements_for
from ..models import Application, ApplicationEvent, DocumentKind, DuplicateFlag

Status = Application.Status

# Message statuses whose reason says something the status does not ("Not sent: no consent for SMS").
EXPLAINED = {"suppressed", "failed", "undelivered", "deferred"}


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
        slots = list(
            academics_selectors.slots_for_placement(
                school=school, term=term, level=application.class_level, class_group=chosen
            )
        )
        # The chosen class's own slots first.
        slots.sort(key=lambda s: chosen is None or s.class_group_id != chosen.pk)
    return term, groups, slots


def seated_slot_ids(*, school, application):
    return academics_selectors.slot_ids_seated(school=school, application=application)


def fees_summary(*, school, application):
    """The invoice approval made (if any) with its payments and the latest pay-now link."""
    invoice = application.invoice
    if invoice is None:
        return {"invoice": None}
    transactions = list(payments_selectors.invoice_transactions(school=school, invoice=invoice))
    intent = payments_selectors.invoice_latest_pay_link(school=school, invoice=invoice)
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
        messages = messaging_selectors.messages_to_guardians(
            school=school,
            guardian_ids=guardian_ids,
            template_types=HISTORY_TEMPLATES,
            since=application.submitted_at,
            student_id=application.student_id,
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
        for tx in payments_selectors.invoice_transactions(school=school, invoice=application.invoice_id):
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
