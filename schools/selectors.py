"""Reads that are more than a scoped .get(): the students list and a student's record; and what the
apps above read of schools (the school a public page names, guardians, a guardian's children, the
classes), so that their views and selectors never query schools' models themselves."""

from django.db.models import Q

from classpoint.models import AuditLog

from .models import ClassGroup, Enrollment, Guardian, School, Student
from .phones import normalize_phone


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


# --- for the apps above: the tenant before any scope, then rows of one school ------------------------


def school_active(*, school_id=None, slug=None):
    """The active school a public page's slug or a signed link's id names (both must match when both
    are given), or None: a suspended or unknown school. Read before the request has a school scope;
    School is the tenant, not a school-scoped row, and the caller enters the scope of what it finds."""
    if school_id is None and slug is None:
        # Neither would answer with whichever active school comes first.
        raise ValueError("school_active() needs a school_id or a slug")
    schools = School.objects.filter(status=School.Status.ACTIVE)
    if school_id is not None:
        schools = schools.filter(pk=school_id)
    if slug is not None:
        schools = schools.filter(slug=slug)
    return schools.first()


def school_counts(*, school):
    """The school home's header figures: active students and classes."""
    return {
        "students": school.students.filter(status=Student.Status.ACTIVE).count(),
        "classes": school.class_groups.count(),
    }


def class_groups_list(*, school):
    """The school's classes in level and name order (a form's choices)."""
    return ClassGroup.objects.for_school(school)


def guardian_get(*, school, guardian_id):
    """One guardian of `school`, or None: another school's id finds nothing (the caller's 404)."""
    return Guardian.objects.for_school(school).filter(pk=guardian_id).first()


def guardian_of_student(*, school, guardian_id, student_id):
    """The guardian if they are linked to the student now, else None: a guardian unlinked from the
    child loses what they reached through the child."""
    guardians = Guardian.objects.for_school(school).filter(pk=guardian_id, student_links__student_id=student_id)
    return guardians.first()


def guardians_list(*, school, q=""):
    """The school's guardians in name order; `q` matches a word of the name, part of the phone or
    email, or the phone as people type it ("0803 555 0101" finds +2348035550101)."""
    guardians = Guardian.objects.for_school(school)
    q = (q or "").strip()
    if q:
        matches = Q(phone__icontains=q) | Q(email__icontains=q)
        try:
            matches |= Q(phone=normalize_phone(q, school.country or "NG"))
        except ValueError:
            pass
        for word in q.split()[:3]:
            matches |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        guardians = guardians.filter(matches)
    return guardians.order_by("last_name", "first_name", "id")


def students_of_guardian(*, school, guardian):
    """The guardian's children in `school`, in name order."""
    return (
        Student.objects.for_school(school).filter(guardian_links__guardian=guardian).order_by("last_name", "first_name")
    )


def class_roster(*, school, term, class_group):
    """The pupils in a class in a term (active enrollments), by surname then first name."""
    # A join from the class's enrollments (enrollment_class_idx); one active enrollment per pupil
    # and term makes each pupil appear once.
    return list(
        Student.objects.for_school(school)
        .filter(
            enrollments__school=school,
            enrollments__term=term,
            enrollments__class_group=class_group,
            enrollments__status=Enrollment.Status.ACTIVE,
        )
        .order_by("last_name", "first_name", "id")
    )


def membership_of(*, school, user):
    """The user's active membership of `school` with its role, or None (a service that is handed an
    actor rather than a request asks here)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return school.memberships.filter(user=user, is_active=True).select_related("role").first()
