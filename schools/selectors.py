"""Reads that are more than a scoped .get(): the students list and a student's record; and what the
apps above read of schools (the school a public page names, guardians, a guardian's children, the
classes), so that their views and selectors never query schools' models themselves."""

from django.db.models import Count, Q

from classpoint.models import AuditLog

from .models import ClassGroup, Enrollment, Guardian, School, Student, StudentGuardian
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


def on_roll(term, prefix=""):
    """Enrollments holding a place on `term`'s roll: the active ones, and those ended only after the
    term's last day (the year-end rollover ends them then), so a past term's results, cards and
    publishing still find the pupils who sat it. `prefix` reaches enrollments through a relation."""
    return Q(**{f"{prefix}status": Enrollment.Status.ACTIVE}) | Q(**{f"{prefix}ended_on__gt": term.end_date})


def class_roster(*, school, term, class_group):
    """The pupils on a class's roll in a term (see `on_roll`), by surname then first name."""
    # A join from the class's enrollments (enrollment_class_idx); one active enrollment per pupil
    # and term makes each pupil appear once.
    return list(
        Student.objects.for_school(school)
        .filter(
            on_roll(term, prefix="enrollments__"),
            enrollments__school=school,
            enrollments__term=term,
            enrollments__class_group=class_group,
        )
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def membership_of(*, school, user):
    """The user's active membership of `school` with its role, or None (a service that is handed an
    actor rather than a request asks here)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return school.memberships.filter(user=user, is_active=True).select_related("role").first()


# --- a pupil's record and a guardian's page (record_views.py and the other apps' tabs) ------------

# What the profile keeps the earlier values of: a pupil known by another name or born on another
# day in older papers (a report, a certificate) is still this pupil.
IDENTITY_FIELDS = {
    "first_name": "First name",
    "other_names": "Other names",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
}


def student_of_school(*, school, student_id):
    """One pupil of `school`, or None: another school's id finds nothing (the caller's 404)."""
    return school.students.filter(pk=student_id).first()


def student_current_place(*, student):
    """The pupil's active enrollment in the current term, with its class and term, or None."""
    return (
        Enrollment.objects.for_school(student.school_id)
        .filter(student=student, term__is_current=True, status=Enrollment.Status.ACTIVE)
        .select_related("class_group", "term__session")
        .first()
    )


def student_enrollments(*, student):
    """Every enrollment of the pupil, newest term first, then the latest move first."""
    return list(
        Enrollment.objects.for_school(student.school_id)
        .filter(student=student)
        .select_related("class_group", "term__session")
        .order_by("-term__start_date", "-term_id", "-created_at", "-id")
    )


def student_guardian_links(*, student):
    """The pupil's guardians (primary first) with their links."""
    return list(
        StudentGuardian.objects.for_school(student.school_id)
        .filter(student=student)
        .select_related("guardian")
        .order_by("-is_primary", "id")
    )


def _shown(value):
    # The audit log keeps values as text; an empty field was written "None" by older entries.
    return "" if value in (None, "None") else str(value)


def student_identity_history(*, student, limit=50):
    """The pupil's earlier names and dates of birth, newest change first: [{when, who, field,
    label, old, new}] read from the audit log's changes (each edit keeps old and new)."""
    entries = AuditLog.objects.filter(
        school_id=student.school_id,
        target_type=Student._meta.label_lower,
        target_id=str(student.pk),
        action="student.updated",
    ).order_by("-created_at", "-id")[:limit]
    history = []
    for entry in entries:
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        for field, label in IDENTITY_FIELDS.items():
            pair = changes.get(field)
            if isinstance(pair, list) and len(pair) == 2:
                history.append(
                    {
                        "when": entry.created_at,
                        "who": entry.actor_label,
                        "field": field,
                        "label": label,
                        "old": _shown(pair[0]),
                        "new": _shown(pair[1]),
                    }
                )
    return history


def student_access_log(*, student):
    """Every audit entry about the pupil (views and changes), newest first: a queryset to page."""
    return AuditLog.objects.filter(
        school_id=student.school_id, target_type=Student._meta.label_lower, target_id=str(student.pk)
    ).order_by("-created_at", "-id")


def guardians_to_link(*, school, student, q, limit=10):
    """Guardians matching `q` (see guardians_list) who are not linked to the pupil yet."""
    if not (q or "").strip():
        return []
    found = guardians_list(school=school, q=q).exclude(student_links__student=student)
    return list(found[:limit])


def guardian_with_children(*, school, guardian_id):
    """One guardian of `school` with their links to their children (primary first), or None."""
    guardian = Guardian.objects.for_school(school).filter(pk=guardian_id).first()
    if guardian is None:
        return None
    guardian.links = list(
        StudentGuardian.objects.for_school(school)
        .filter(guardian=guardian)
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student_id")
    )
    return guardian


def class_groups_with_places(*, school, term):
    """The school's classes in level and name order, each with `enrolled`: its active enrollments in
    `term` (one query for all; a form's choices say how full each is)."""
    groups = list(ClassGroup.objects.for_school(school).order_by("level", "name", "id"))
    counts = {}
    if term is not None:
        counts = dict(
            Enrollment.objects.for_school(school)
            .filter(term=term, status=Enrollment.Status.ACTIVE)
            .values("class_group_id")
            .annotate(n=Count("id"))
            .values_list("class_group_id", "n")
        )
    for group in groups:
        group.enrolled = counts.get(group.pk, 0)
    return groups


def guardian_history(*, guardian, limit=20):
    """Changes to the guardian (contact details, consent, links), newest first; looks left out."""
    return list(
        AuditLog.objects.filter(
            school_id=guardian.school_id, target_type=Guardian._meta.label_lower, target_id=str(guardian.pk)
        )
        .exclude(action__endswith=".viewed")
        .order_by("-created_at", "-id")[:limit]
    )
