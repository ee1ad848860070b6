"""The message log as a CSV file: every message its filters find, newest first, with the words that
were sent. Read as plain values (guardian and pupil joined in) through a cursor, a chunk at a time."""

from classpoint.csvfile import export_records
from classpoint.messages import TemplateType

from .models import Channel, Message

HEADER = [
    "Created",
    "Guardian",
    "To",
    "Channel",
    "Type",
    "About (student)",
    "Admission number",
    "Status",
    "Reason",
    "Subject",
    "Message",
    "Sent",
    "Delivered",
]
FIELDS = (
    "created_at",
    "guardian__first_name",
    "guardian__last_name",
    "to_address",
    "channel",
    "template_type",
    "student__first_name",
    "student__last_name",
    "student__admission_number",
    "status",
    "status_reason",
    "subject",
    "body",
    "sent_at",
    "delivered_at",
)


def _name(first, last):
    return f"{first or ''} {last or ''}".strip()


def messages_export(*, school, messages):
    """(header, rows) of the file for `messages` (the log's queryset, in its order)."""
    tz = school.tzinfo
    channels, types, statuses = dict(Channel.choices), dict(TemplateType.choices), dict(Message.Status.choices)

    def moment(value):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    def row(record):
        created, g_first, g_last, to, channel, kind, s_first, s_last, admission, status, *rest = record
        reason, subject, body, sent, delivered = rest
        return [
            moment(created),
            _name(g_first, g_last),
            to,
            channels.get(channel, channel),
            types.get(kind, kind),
            _name(s_first, s_last),
            admission or "",
            statuses.get(status, status),
            "" if status in Message.SELF_EXPLAINED else reason,  # as the log shows it (status_note)
            subject,
            body,
            moment(sent),
            moment(delivered),
        ]

    # The log's queryset joins guardian and student for its page; values() reads the same join.
    return HEADER, export_records(messages.values_list(*FIELDS), row)
