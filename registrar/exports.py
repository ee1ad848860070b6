"""The registrar's board as a CSV file: every application its filters find (all columns of the board,
not the first cards of each), newest first, with the family's contacts.

One row per application, guardians side by side as the students export writes them ("Guardian 1
first name" ... "Guardian 2 email", the primary first), so a school can sort and count applicants in
a spreadsheet. One query reads the applications with their guardians joined in, through a cursor a
chunk at a time (classpoint.csvfile)."""

from django.db.models import Count, Max

from classpoint.csvfile import EXPORT_CHUNK, with_children

from .models import Application, ApplicationGuardian

GUARDIAN_FIELDS = ("first_name", "last_name", "relationship", "phone", "email")
GUARDIAN_HEADERS = ("first name", "last name", "relationship", "phone", "email")
MIN_GUARDIANS = 2
HEADER = [
    "Reference",
    "Status",
    "Submitted",
    "First name",
    "Last name",
    "Other names",
    "Date of birth",
    "Gender",
    "Class sought",
    "Previous school",
    "Source",
    "Placed in class",
    "Admission number",
    "Documents missing",
    "Possible duplicates",
    "Notes",
]
FIELDS = (
    "pk",
    "reference",
    "status",
    "submitted_at",
    "first_name",
    "last_name",
    "other_names",
    "date_of_birth",
    "gender",
    "class_level",
    "previous_school",
    "source",
    "placed_class_group__name",
    "student__admission_number",
    "missing_documents",
    "open_duplicates",
    "notes",
)


def most_guardians(*, school, applications):
    """How many guardians the application with the most has, among `applications` (one query)."""
    links = ApplicationGuardian.objects.for_school(school).filter(application__in=applications.order_by().values("pk"))
    counted = links.values("application_id").annotate(n=Count("id")).order_by()
    return counted.aggregate(most=Max("n"))["most"] or 0


def applications_export(*, school, applications):
    """(header, rows) of the file for `applications` (the board's filtered set)."""
    guardians = max(MIN_GUARDIANS, most_guardians(school=school, applications=applications))
    header = HEADER + [f"Guardian {n} {suffix}" for n in range(1, guardians + 1) for suffix in GUARDIAN_HEADERS]
    tz = school.tzinfo
    statuses, genders = dict(Application.Status.choices), dict(Application.Gender.choices)
    sources = dict(Application.Source.choices)
    no_guardian = ("",) * len(GUARDIAN_FIELDS)
    # Newest first as the board reads; the id, then the guardians' order, keep one's records together.
    ordering = ("-submitted_at", "-id", "-guardians__is_primary", "guardians__id")
    guardian_fields = [f"guardians__{field}" for field in GUARDIAN_FIELDS]
    records, width = applications.order_by(*ordering).values_list(*FIELDS, *guardian_fields), len(FIELDS)

    def rows():
        for application, contacts in with_children(records.iterator(chunk_size=EXPORT_CHUNK), parent_width=width):
            _pk, reference, status, submitted, first, last, other, born, gender, level, *rest = application
            previous, source, placed, admission, missing, duplicates, notes = rest
            row = [
                reference,
                statuses.get(status, status),
                submitted.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                first,
                last,
                other,
                born.isoformat() if born else "",
                genders.get(gender, gender),
                level,
                previous,
                sources.get(source, source),
                placed or "",
                admission or "",
                missing,
                duplicates,
                notes,
            ]
            for n in range(guardians):
                row += contacts[n] if n < len(contacts) else no_guardian
            yield row

    return header, rows()
