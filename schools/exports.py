"""The students list as a CSV file: exactly the pupils the list shows with its filters (every page),
each with their class this term and their guardians' contacts.

One row per pupil, guardians side by side in numbered columns ("Guardian 1 first name", ...,
"Guardian 2 phone"): a school sorts, filters and counts pupils in Excel, which a row per
pupil-guardian would break (a pupil with two guardians would count twice and a filter on the class
would split a family). Guardian 1 is the primary contact, and the headers are the student import's
own, so an exported file edited in a spreadsheet can be imported back. As many guardian columns as
the pupil with the most guardians needs (two at least, like the import's template).

Streamed: one query reads the pupils with their class and guardians joined in, through a cursor a
chunk at a time (classpoint.csvfile), so neither memory nor the query count grows with the school."""

from django.db.models import Count, FilteredRelation, Max, Q, Value

from classpoint.csvfile import EXPORT_CHUNK, with_children

from .models import Enrollment, Student, StudentGuardian

STUDENT_FIELDS = ("pk", "admission_number", "first_name", "last_name", "other_names", "date_of_birth", "gender")
GUARDIAN_FIELDS = ("first_name", "last_name", "relationship", "phone", "email")
GUARDIAN_HEADERS = ("first name", "last name", "relationship", "phone", "email")
MIN_GUARDIANS = 2


def students_export_header(*, guardians):
    """The file's header: the import's columns (the class is the list's term's), the status, then
    `guardians` numbered groups of contact columns."""
    header = [
        "Admission number",
        "First name",
        "Last name",
        "Other names",
        "Date of birth",
        "Gender",
        "Class",
        "Status",
    ]
    for n in range(1, guardians + 1):
        header += [f"Guardian {n} {suffix}" for suffix in GUARDIAN_HEADERS]
    return header


def most_guardians(*, school, students):
    """How many guardians the pupil with the most has, among `students` (one aggregate query)."""
    links = StudentGuardian.objects.for_school(school).filter(student__in=students.order_by().values("pk"))
    counted = links.values("student_id").annotate(n=Count("id")).order_by()
    return counted.aggregate(most=Max("n"))["most"] or 0


def _with_class_and_guardians(students, term):
    """`students` as plain values with their class this term, one record per guardian (primary
    first): the list's own order, then the pupil's id, keeps a pupil's records together."""
    class_name = "placed__class_group__name"
    if term is not None:
        current = Q(enrollments__term=term, enrollments__status=Enrollment.Status.ACTIVE)
        students = students.annotate(placed=FilteredRelation("enrollments", condition=current))
    else:
        students = students.annotate(placed_name=Value(""))
        class_name = "placed_name"
    fields = [*STUDENT_FIELDS, "status", class_name]
    guardians = [f"guardian_links__guardian__{field}" for field in GUARDIAN_FIELDS]
    listed = students.query.order_by or Student._meta.ordering
    ordering = [*listed, "pk", "-guardian_links__is_primary", "guardian_links__id"]
    return students.order_by(*ordering).values_list(*fields, *guardians), len(fields)


def students_export(*, school, students, term):
    """(header, rows) of the file for `students` (the list's queryset, in its order): rows is a
    generator, consumed as the response streams."""
    guardians = max(MIN_GUARDIANS, most_guardians(school=school, students=students))
    header = students_export_header(guardians=guardians)
    statuses, genders = dict(Student.Status.choices), dict(Student.Gender.choices)
    records, width = _with_class_and_guardians(students, term)
    no_guardian = ("",) * len(GUARDIAN_FIELDS)

    def rows():
        for student, contacts in with_children(records.iterator(chunk_size=EXPORT_CHUNK), parent_width=width):
            _pk, admission_number, first_name, last_name, other_names, born, gender, status, class_name = student
            row = [
                admission_number,
                first_name,
                last_name,
                other_names,
                born.isoformat() if born else "",
                genders.get(gender, gender),
                class_name or "",
                statuses.get(status, status),
            ]
            for n in range(guardians):
                row += contacts[n] if n < len(contacts) else no_guardian
            yield row

    return header, rows()
