"""Marks over a span of days: the attendance officer's list (a class or the whole school, one kind of
mark or all) and its CSV file, one row per mark, as registers recorded them.

The page and the file read one queryset: marks with their class, lesson, code and pupil joined in
(no query per row), in register order (day, class, pupil, lesson). The file reads it as plain values
through a cursor, a chunk at a time, so a school year of marks streams in flat memory."""

from classpoint.csvfile import export_records

from ..models import AbsenceCode, AttendanceMark

Kind = AbsenceCode.Kind
ORDER = (
    "date",
    "register__class_group__name",
    "student__last_name",
    "student__first_name",
    "student_id",
    "slot__start_time",
    "id",
)


def marks_list(*, school, start, end, class_group_id=None, kind=""):
    """The school's marks from `start` to `end` (both included), optionally of one class or kind."""
    marks = AttendanceMark.objects.for_school(school).filter(date__gte=start, date__lte=end)
    if class_group_id:
        marks = marks.filter(register__class_group_id=class_group_id)
    if kind:
        marks = marks.filter(kind=kind)
    return marks.order_by(*ORDER)


def marks_page(marks):
    return marks.select_related("student", "register__class_group", "slot", "code")


HEADER = [
    "Date",
    "Class",
    "Register",
    "Admission number",
    "Last name",
    "First name",
    "Code",
    "Mark",
    "Counts as",
    "Minutes late",
    "Note",
    "Marked at",
    "Marked by",
]
FIELDS = (
    "date",
    "register__class_group__name",
    "slot__subject",
    "slot__start_time",
    "student__admission_number",
    "student__last_name",
    "student__first_name",
    "code__code",
    "code__label",
    "kind",
    "minutes_late",
    "note",
    "marked_at",
    "marked_by__username",
)


def marks_export(*, school, marks):
    """(header, rows) of the file for `marks` (the page's queryset, in its order)."""
    tz, kinds = school.tzinfo, dict(Kind.choices)

    def row(record):
        day, group, subject, starts, admission, last, first, code, label, kind, late, note, at, by = record
        return [
            day.isoformat(),
            group,
            f"{subject} {starts:%H:%M}" if subject else "Daily register",
            admission,
            last,
            first,
            code,
            label,
            kinds.get(kind, kind),
            "" if late is None else late,
            note,
            at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else "",
            by or "",
        ]

    return HEADER, export_records(marks.values_list(*FIELDS), row)
