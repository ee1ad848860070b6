"""Reads that are more than a scoped .get(): the students list and a student's record."""

from classpoint.models import AuditLog

from .models import Enrollment, Student


def students_list(*, school, q="", status="", class_group_id=None, term=None):
    """The school's students, filtered, in name order. Pair with `attach_classes` on the page."""
    students = school.students.all()
    if term is not None:
        if class_group_id:
            students = students.filter(
                pk__in=school.enrollments.filter(
                    term=term, class_group_id=class_group_id, status=Enrollment.Status.ACTIVE
                ).values("student_id")
            )
    if status:
        students = students.filter(status=status)
    for word in (q or "").lower().split()[:4]:
        # search_text is lower-cased by the database and trigram-indexed on PostgreSQL.
        students = students.filter(search_text__contains=word)
    return students.order_by("last_name", "first_name", "id")


def attach_classes(students, *, school, term):
    """Sets `class_name` on each student of a page: one query for the page, not one per row, and
    not evaluated for rows an OFFSET skips (a correlated subquery would be)."""
    students = list(students)
    names = {}
    if term is not None and students:
        names = dict(
            school.enrollments.filter(
                term=term, status=Enrollment.Status.ACTIVE, student_id__in=[s.pk for s in students]
            ).values_list("student_id", "class_group__name")
        )
    for student in students:
        student.class_name = names.get(student.pk, "")
    return students


def student_detail(*, school, student_id):
    """The student with guardians and enrollments prefetched; raises Student.DoesNotExist."""
    return school.students.prefetch_related(
        "guardian_links__guardian", "enrollments__class_group", "enrollments__term"
    ).get(pk=student_id)


def student_access_history(*, student, limit=20):
    return list(
        AuditLog.objects.filter(
            school_id=student.school_id, target_type=Student._meta.label_lower, target_id=str(student.pk)
        ).order_by("-created_at", "-id")[:limit]
    )
