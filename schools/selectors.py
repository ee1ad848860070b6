"""Reads that are more than a scoped .get(): the students list and a student's record."""

from django.db.models import OuterRef, Q, Subquery

from classpoint.models import AuditLog

from .models import Enrollment, Student


def students_list(*, school, q="", status="", class_group_id=None, term=None):
    """The school's students with their class in `term` (default: current term), filtered.

    One query whatever the page size: the class name comes from a correlated subquery on the
    (school, term, class_group, status) index rather than a query per row.
    """
    term = term if term is not None else school.current_term()
    students = school.students.all()
    if term is not None:
        current = Enrollment.objects.filter(
            school=school, student=OuterRef("pk"), term=term, status=Enrollment.Status.ACTIVE
        )
        students = students.annotate(
            class_name=Subquery(current.values("class_group__name")[:1]),
            class_group_id=Subquery(current.values("class_group_id")[:1]),
        )
        if class_group_id:
            students = students.filter(
                pk__in=Enrollment.objects.filter(
                    school=school, term=term, class_group_id=class_group_id, status=Enrollment.Status.ACTIVE
                ).values("student_id")
            )
    if status:
        students = students.filter(status=status)
    q = (q or "").strip()
    if q:
        condition = Q()
        for word in q.split()[:4]:
            condition &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(other_names__icontains=word)
                | Q(admission_number__icontains=word)
            )
        students = students.filter(condition)
    return students.order_by("last_name", "first_name", "id")


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
