"""Every write to schools and their people. Keyword-only, atomic, audited; events emitted inside."""

import re
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from classpoint.audit import audit
from classpoint.counters import next_value
from classpoint.outbox import emit

from .errors import SchoolsError, SchoolsErrorCode
from .models import (
    AcademicSession,
    ClassGroup,
    Enrollment,
    Guardian,
    Membership,
    Role,
    School,
    SchoolDomain,
    SchoolProfile,
    StaffProfile,
    Student,
    StudentGuardian,
    Term,
    validate_slug,
)
from .phones import normalize_phone
from .roles import DEFAULT_ROLES
from .seats import class_group_seats, lock_class_group

User = get_user_model()
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


# --- Provisioning ---------------------------------------------------------------------------


def _validate_school_input(*, slug, name, admin_email, timezone, currency, country):
    errors = {}
    try:
        validate_slug(slug)
    except ValidationError as exc:
        errors["slug"] = exc.messages
    else:
        if School.objects.filter(slug=slug).exists():
            errors["slug"] = [f"A school with the slug “{slug}” already exists."]
    if not (name or "").strip():
        errors["name"] = ["Enter the school's name."]
    try:
        validate_email(admin_email or "")
    except ValidationError:
        errors["admin_email"] = ["Enter a valid email address."]
    if timezone not in zoneinfo.available_timezones():
        errors["timezone"] = [f"“{timezone}” is not a known time zone (e.g. Africa/Lagos)."]
    if not _CURRENCY_RE.match(currency or ""):
        errors["currency"] = ["Use a three-letter ISO currency code, e.g. NGN."]
    if not re.match(r"^[A-Z]{2}$", country or ""):
        errors["country"] = ["Use a two-letter ISO country code, e.g. NG."]
    if errors:
        raise SchoolsError("The school could not be provisioned.", code=SchoolsErrorCode.INVALID_SCHOOL, fields=errors)


def roles_seed(*, school):
    """Create the default roles a school lacks; existing roles keep their (possibly edited) permissions."""
    for key, (name, perms) in DEFAULT_ROLES.items():
        Role.objects.get_or_create(school=school, key=key, defaults={"name": name, "permissions": list(perms)})


def invitation_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL.rstrip("/") + reverse("password_reset_confirm", args=[uid, token])


def _user_for_email(email, *, first_name="", last_name=""):
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first() or User.objects.filter(username__iexact=email).first()
    if user is None:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
    return user


@transaction.atomic
def school_provision(
    *,
    slug,
    name,
    admin_email,
    timezone="Africa/Lagos",
    currency="NGN",
    country="NG",
    actor=None,
    admin_first_name="",
    admin_last_name="",
    send_invitation=True,
):
    """School + profile + default domain + roles + first admin (invited to set a password).

    Returns (school, invitation_url). Invalid or duplicate input raises SchoolsError, nothing written.
    """
    slug = (slug or "").strip().lower()
    currency = (currency or "").strip().upper()
    country = (country or "").strip().upper()
    _validate_school_input(
        slug=slug, name=name, admin_email=admin_email, timezone=timezone, currency=currency, country=country
    )
    hostname = f"{slug}.{settings.CLASSPOINT_DOMAIN_SUFFIX}"
    if SchoolDomain.objects.filter(hostname=hostname).exists():
        raise SchoolsError(
            "The school could not be provisioned.",
            code=SchoolsErrorCode.SLUG_TAKEN,
            fields={"slug": [f"{hostname} is taken."]},
        )
    try:
        with transaction.atomic():
            school = School.objects.create(
                slug=slug, name=name.strip(), timezone=timezone, currency=currency, country=country
            )
    except IntegrityError as exc:  # lost a race for the same slug
        raise SchoolsError(
            "The school could not be provisioned.",
            code=SchoolsErrorCode.SLUG_TAKEN,
            fields={"slug": [f"A school with the slug “{slug}” already exists."]},
        ) from exc
    SchoolProfile.objects.create(school=school, email=admin_email.strip().lower())
    SchoolDomain.objects.create(school=school, hostname=hostname, is_primary=True)
    roles_seed(school=school)
    admin = _user_for_email(admin_email, first_name=admin_first_name, last_name=admin_last_name)
    Membership.objects.create(user=admin, school=school, role=school.roles.get(key="school_admin"))
    link = invitation_url(admin)
    audit(
        school=school,
        actor=actor,
        action="school.provisioned",
        target=school,
        changes={"slug": slug, "name": school.name, "admin_email": admin.email, "hostname": hostname},
    )
    emit(school=school, event_type="school.provisioned", payload={"school_id": school.pk}, dedupe_key="provisioned")
    if send_invitation:
        transaction.on_commit(
            lambda: send_mail(
                f"You are the admin of {school.name} on Classpoint",
                f"Set your password and sign in: {link}\n\nThe link works for three days.",
                None,
                [admin.email],
                fail_silently=True,
            )
        )
    return school, link


@transaction.atomic
def membership_grant(*, school, user, role_key, actor=None):
    role = school.roles.filter(key=role_key).first()
    if role is None:
        raise SchoolsError(
            "Unknown role.", code=SchoolsErrorCode.UNKNOWN_ROLE, fields={"role": [f"No role “{role_key}”."]}
        )
    membership, created = Membership.objects.update_or_create(
        user=user, school=school, defaults={"role": role, "is_active": True}
    )
    audit(
        school=school,
        actor=actor,
        action="membership.granted",
        target=membership,
        changes={"user": user.get_username(), "role": role_key, "created": created},
    )
    return membership


@transaction.atomic
def api_token_create(*, school, email, role_key, actor=None):
    """A service user for an integrator with a membership and a token; reused if it exists."""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise SchoolsError(
            "Invalid email.", code=SchoolsErrorCode.INVALID_EMAIL, fields={"email": ["Enter a valid email address."]}
        ) from exc
    user = _user_for_email(email)
    membership_grant(school=school, user=user, role_key=role_key, actor=actor)
    token, created = Token.objects.get_or_create(user=user)
    if created:
        audit(school=school, actor=actor, action="api_token.created", target=user, changes={"email": user.email})
    return token


# --- People ---------------------------------------------------------------------------------

STUDENT_FIELDS = ("admission_number", "first_name", "last_name", "other_names", "date_of_birth", "gender", "status")
GUARDIAN_FIELDS = ("first_name", "last_name", "relationship", "phone", "email", "preferred_channel")


def _changes(instance, data, fields):
    changes = {}
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            changes[field] = [str(getattr(instance, field)), str(data[field])]
    return changes


def _full_clean(instance, exclude=("school",)):
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        raise SchoolsError(
            "Some fields are invalid.", code=SchoolsErrorCode.SCHOOLS_INVALID, fields=exc.message_dict
        ) from exc


@transaction.atomic
def student_create(*, school, actor, **data):
    data = {k: v for k, v in data.items() if k in STUDENT_FIELDS}
    if school.students.filter(admission_number=data.get("admission_number")).exists():
        raise SchoolsError(
            "Admission number in use.",
            code=SchoolsErrorCode.DUPLICATE_ADMISSION_NUMBER,
            fields={"admission_number": ["Another student already has this admission number."]},
        )
    student = Student(school=school, **data)
    _full_clean(student)
    student.save()
    audit(school=school, actor=actor, action="student.created", target=student, changes={"fields": list(data)})
    return student


@transaction.atomic
def student_update(*, student, actor, **data):
    data = {k: v for k, v in data.items() if k in STUDENT_FIELDS}
    number = data.get("admission_number")
    if number and number != student.admission_number:
        if student.school.students.filter(admission_number=number).exclude(pk=student.pk).exists():
            raise SchoolsError(
                "Admission number in use.",
                code=SchoolsErrorCode.DUPLICATE_ADMISSION_NUMBER,
                fields={"admission_number": ["Another student already has this admission number."]},
            )
    changes = _changes(student, data, STUDENT_FIELDS)
    for key, value in data.items():
        setattr(student, key, value)
    _full_clean(student)
    student.save()
    if changes:
        audit(school=student.school, actor=actor, action="student.updated", target=student, changes=changes)
    return student


def _clean_guardian(school, data):
    if "phone" in data:
        try:
            data["phone"] = normalize_phone(data["phone"], school.country)
        except ValueError as exc:
            raise SchoolsError(
                "Some fields are invalid.", code=SchoolsErrorCode.INVALID_PHONE, fields={"phone": [str(exc)]}
            ) from exc
    if "email" in data:
        data["email"] = (data["email"] or "").strip().lower()
    return data


@transaction.atomic
def guardian_create(*, school, actor, student=None, is_primary=False, **data):
    data = _clean_guardian(school, {k: v for k, v in data.items() if k in GUARDIAN_FIELDS})
    if not data.get("phone") and not data.get("email"):
        raise SchoolsError(
            "A guardian needs a way to be reached.",
            code=SchoolsErrorCode.CONTACT_REQUIRED,
            fields={"phone": ["Give a phone number or an email address."]},
        )
    guardian = Guardian(school=school, **data)
    _full_clean(guardian)
    guardian.save()
    audit(school=school, actor=actor, action="guardian.created", target=guardian)
    if student is not None:
        guardian_link(student=student, guardian=guardian, is_primary=is_primary, actor=actor)
    return guardian


@transaction.atomic
def guardian_update(*, guardian, actor, **data):
    data = _clean_guardian(guardian.school, {k: v for k, v in data.items() if k in GUARDIAN_FIELDS})
    changes = _changes(guardian, data, GUARDIAN_FIELDS)
    for key, value in data.items():
        setattr(guardian, key, value)
    if not guardian.phone and not guardian.email:
        raise SchoolsError(
            "A guardian needs a way to be reached.",
            code=SchoolsErrorCode.CONTACT_REQUIRED,
            fields={"phone": ["Give a phone or an email."]},
        )
    _full_clean(guardian)
    guardian.save()
    if changes:
        audit(school=guardian.school, actor=actor, action="guardian.updated", target=guardian, changes=changes)
    return guardian


@transaction.atomic
def guardian_link(*, student, guardian, is_primary=False, actor=None):
    if student.school_id != guardian.school_id:
        raise SchoolsError(
            "Guardian not found.", code=SchoolsErrorCode.GUARDIAN_NOT_FOUND, fields={"guardian": ["Not found."]}
        )
    if is_primary:
        StudentGuardian.objects.filter(student=student, is_primary=True).exclude(guardian=guardian).update(
            is_primary=False
        )
    elif not StudentGuardian.objects.filter(student=student, is_primary=True).exclude(guardian=guardian).exists():
        is_primary = True  # the first guardian is the primary contact
    link, _ = StudentGuardian.objects.update_or_create(
        student=student, guardian=guardian, defaults={"school": student.school, "is_primary": is_primary}
    )
    audit(
        school=student.school,
        actor=actor,
        action="guardian.linked",
        target=student,
        changes={"guardian_id": guardian.pk, "is_primary": is_primary},
    )
    return link


# --- Structure: sessions, terms, classes, staff ---------------------------------------------


@transaction.atomic
def session_create(*, school, actor, name, start_date, end_date, is_current=False):
    if school.sessions.filter(name=name).exists():
        raise SchoolsError(
            "Session exists.",
            code=SchoolsErrorCode.SESSION_EXISTS,
            fields={"name": [f"A session “{name}” already exists."]},
        )
    if is_current:
        school.sessions.filter(is_current=True).update(is_current=False)
    session = AcademicSession(school=school, name=name, start_date=start_date, end_date=end_date, is_current=is_current)
    _check_dates(start_date, end_date)
    session.save()
    audit(school=school, actor=actor, action="session.created", target=session)
    return session


def _check_dates(start_date, end_date):
    if start_date and end_date and end_date <= start_date:
        raise SchoolsError(
            "Dates out of order.",
            code=SchoolsErrorCode.DATES_OUT_OF_ORDER,
            fields={"end_date": ["The end date must be after the start date."]},
        )


TERM_FIELDS = ("name", "start_date", "end_date", "is_current")


@transaction.atomic
def term_create(*, school, actor, session, name, start_date, end_date, is_current=False):
    if session.school_id != school.pk:
        raise SchoolsError(
            "Session not found.", code=SchoolsErrorCode.SESSION_NOT_FOUND, fields={"session": ["Not found."]}
        )
    if session.terms.filter(name=name).exists():
        raise SchoolsError(
            "Term exists.",
            code=SchoolsErrorCode.TERM_EXISTS,
            fields={"name": [f"“{name}” already exists in {session.name}."]},
        )
    _check_dates(start_date, end_date)
    if is_current:
        school.terms.filter(is_current=True).update(is_current=False)
    term = Term.objects.create(
        school=school, session=session, name=name, start_date=start_date, end_date=end_date, is_current=is_current
    )
    audit(school=school, actor=actor, action="term.created", target=term)
    return term


@transaction.atomic
def term_update(*, term, actor, **data):
    data = {k: v for k, v in data.items() if k in TERM_FIELDS}
    if "name" in data and term.session.terms.filter(name=data["name"]).exclude(pk=term.pk).exists():
        raise SchoolsError(
            "Term exists.",
            code=SchoolsErrorCode.TERM_EXISTS,
            fields={"name": ["Another term in this session has this name."]},
        )
    _check_dates(data.get("start_date", term.start_date), data.get("end_date", term.end_date))
    if data.get("is_current"):
        term.school.terms.filter(is_current=True).exclude(pk=term.pk).update(is_current=False)
    changes = _changes(term, data, TERM_FIELDS)
    for key, value in data.items():
        setattr(term, key, value)
    term.save()
    if changes:
        audit(school=term.school, actor=actor, action="term.updated", target=term, changes=changes)
    return term


CLASS_FIELDS = ("name", "level", "capacity", "form_teacher")


@transaction.atomic
def class_group_create(*, school, actor, name, level, capacity=40, form_teacher=None):
    if school.class_groups.filter(name=name).exists():
        raise SchoolsError(
            "Class exists.", code=SchoolsErrorCode.CLASS_EXISTS, fields={"name": [f"A class “{name}” already exists."]}
        )
    if form_teacher is not None and form_teacher.school_id != school.pk:
        raise SchoolsError(
            "Teacher not found.", code=SchoolsErrorCode.TEACHER_NOT_FOUND, fields={"form_teacher": ["Not found."]}
        )
    group = ClassGroup.objects.create(
        school=school, name=name, level=level, capacity=capacity, form_teacher=form_teacher
    )
    audit(school=school, actor=actor, action="class_group.created", target=group)
    return group


@transaction.atomic
def class_group_update(*, class_group, actor, **data):
    data = {k: v for k, v in data.items() if k in CLASS_FIELDS}
    school = class_group.school
    if "name" in data and school.class_groups.filter(name=data["name"]).exclude(pk=class_group.pk).exists():
        raise SchoolsError(
            "Class exists.", code=SchoolsErrorCode.CLASS_EXISTS, fields={"name": ["Another class has this name."]}
        )
    teacher = data.get("form_teacher")
    if teacher is not None and teacher.school_id != school.pk:
        raise SchoolsError(
            "Teacher not found.", code=SchoolsErrorCode.TEACHER_NOT_FOUND, fields={"form_teacher": ["Not found."]}
        )
    changes = _changes(class_group, data, CLASS_FIELDS)
    for key, value in data.items():
        setattr(class_group, key, value)
    class_group.save()
    if changes:
        audit(school=school, actor=actor, action="class_group.updated", target=class_group, changes=changes)
    return class_group


@transaction.atomic
def staff_create(*, school, actor, first_name, last_name, email="", title="", is_teacher=True, user=None):
    staff = StaffProfile.objects.create(
        school=school,
        first_name=first_name,
        last_name=last_name,
        email=email,
        title=title,
        is_teacher=is_teacher,
        user=user,
    )
    audit(school=school, actor=actor, action="staff.created", target=staff)
    return staff


# --- Admission numbers ----------------------------------------------------------------------

_ADMISSION_TOKEN = re.compile(r"\{(YEAR|SLUG|SEQ)(?::(\d{1,2}))?\}")


def render_admission_number(pattern, *, year, seq, slug):
    """The pattern with {YEAR}, {SLUG} (upper-cased) and {SEQ} or {SEQ:n} (zero-padded to n) filled."""

    def token(match):
        name, width = match.group(1), match.group(2)
        if name == "YEAR":
            return str(year)
        if name == "SLUG":
            return slug.upper()
        return str(seq).zfill(int(width or 0))

    return _ADMISSION_TOKEN.sub(token, pattern)


def next_admission_number(*, school):
    """The next admission number from the school's pattern (SchoolProfile.admission_number_pattern)
    and its gapless "admission" counter. {YEAR} is the first year of the current session (today's
    year without one). Numbers already taken (imported students) are skipped, so the counter can
    start at 1 in a school that has numbered its pupils for years. Call it inside the transaction
    that creates the student: the counter row stays locked until then."""
    profile = SchoolProfile.objects.filter(school=school).first()
    pattern = (profile.admission_number_pattern if profile else "") or "{YEAR}/{SEQ:4}"
    if not any(match.group(1) == "SEQ" for match in _ADMISSION_TOKEN.finditer(pattern)):
        message = "Include {SEQ} or {SEQ:4} in the pattern."
        raise SchoolsError(
            "The admission number pattern has no sequence.",
            code=SchoolsErrorCode.INVALID_PATTERN,
            fields={"admission_number_pattern": [message]},
        )
    session = school.sessions.filter(is_current=True).first()
    year = session.start_date.year if session else school.local_today().year
    taken = school.students
    while True:
        number = render_admission_number(
            pattern, year=year, seq=next_value(school=school, key="admission"), slug=school.slug
        )
        if not taken.filter(admission_number=number).exists():
            return number


# --- Enrollment -----------------------------------------------------------------------------


def _check_same_school(school, **objs):
    for field, obj in objs.items():
        if obj is not None and obj.school_id != school.pk:
            raise SchoolsError("Not found.", code=SchoolsErrorCode.NOT_IN_SCHOOL, fields={field: ["Not found."]})


@transaction.atomic
def enrollment_create(*, school, actor, student, term, class_group, check_capacity=True):
    """Enrol `student` in `class_group` for `term`. `check_capacity=False` only where the seat is
    already held for this student (a placed applicant being enrolled: the placement becomes the
    enrollment, one seat either way)."""
    _check_same_school(school, student=student, term=term, class_group=class_group)
    # Lock the student's row: two concurrent enrollments for one student serialise here, and the
    # partial unique constraint is the last word if anything slips past.
    Student.objects.select_for_update().filter(pk=student.pk).first()
    if school.enrollments.filter(student=student, term=term, status=Enrollment.Status.ACTIVE).exists():
        raise SchoolsError(
            "Already enrolled.",
            code=SchoolsErrorCode.ALREADY_ENROLLED,
            fields={"student": [f"{student} already has an active enrollment in {term}; move it instead."]},
        )
    if check_capacity:
        _check_room(term=term, class_group=class_group, student=student)
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(school=school, student=student, term=term, class_group=class_group)
    except IntegrityError as exc:
        raise SchoolsError(
            "Already enrolled.", code=SchoolsErrorCode.ALREADY_ENROLLED, fields={"student": ["Already enrolled."]}
        ) from exc
    audit(
        school=school,
        actor=actor,
        action="enrollment.created",
        target=student,
        changes={"term": str(term), "class_group": class_group.name},
    )
    return enrollment


def _check_room(*, term, class_group, student):
    """A class never takes more pupils than its capacity, counting the applicants the registrar has
    placed in it as well as its enrollments. The class group's row lock serialises this with
    concurrent enrollments and placements (which take the same lock), so two requests never both
    take the last seat. The placed applicants are counted by the registrar's own counter, registered
    with schools/seats.py: schools never imports the layers above it."""
    lock_class_group(class_group)
    taken, capacity = class_group_seats(class_group=class_group, term=term, exclude_student=student)
    if taken >= capacity:
        message = (
            f"{class_group} is full: {taken} of {capacity} places are taken for {term} (counting applicants "
            "placed in it). Choose another class or raise its capacity."
        )
        raise SchoolsError("The class is full.", code=SchoolsErrorCode.CLASS_FULL, fields={"class_group": [message]})


@transaction.atomic
def enrollment_update(*, enrollment, actor, class_group=None, status=None):
    school = enrollment.school
    _check_same_school(school, class_group=class_group)
    changes = {}
    moving = class_group is not None and class_group.pk != enrollment.class_group_id
    will_be_active = (status or enrollment.status) == Enrollment.Status.ACTIVE
    if will_be_active and (moving or enrollment.status != Enrollment.Status.ACTIVE):
        # Taking a seat in a class it does not hold one in yet (moved, or made active again).
        _check_room(
            term=enrollment.term,
            class_group=class_group if moving else enrollment.class_group,
            student=enrollment.student,
        )
    if moving:
        changes["class_group"] = [enrollment.class_group.name, class_group.name]
        enrollment.class_group = class_group
    if status is not None and status != enrollment.status:
        if (
            status == Enrollment.Status.ACTIVE
            and school.enrollments.filter(
                student_id=enrollment.student_id, term_id=enrollment.term_id, status=Enrollment.Status.ACTIVE
            )
            .exclude(pk=enrollment.pk)
            .exists()
        ):
            raise SchoolsError(
                "Already enrolled.",
                code=SchoolsErrorCode.ALREADY_ENROLLED,
                fields={"status": ["Another enrollment is active in this term."]},
            )
        changes["status"] = [enrollment.status, status]
        enrollment.status = status
    enrollment.save()
    if changes:
        audit(school=school, actor=actor, action="enrollment.updated", target=enrollment.student, changes=changes)
    return enrollment
