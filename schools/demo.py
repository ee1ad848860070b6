"""The schools' part of the demo: Greenfield Academy (the demo school) and Riverside College (the
second school, so the switcher has something to switch), each with a session, terms, class groups,
form teachers, and pupils with their families and enrollments; a platform admin and a login per role.

The pupils are made from a seeded random generator and numbered, so every run makes the same ones and
a re-run adds nothing."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from classpoint.audit import audit
from classpoint.demo import DEMO_PASSWORD, seeds_demo
from classpoint.models import Counter

from . import services
from .models import (
    AcademicSession,
    ClassGroup,
    Enrollment,
    Guardian,
    School,
    SchoolProfile,
    Student,
    StudentGuardian,
    Term,
)

User = get_user_model()

FIRST = [
    "Adaeze",
    "Chinedu",
    "Tobi",
    "Ifeoma",
    "Emeka",
    "Ngozi",
    "Olumide",
    "Funke",
    "Ibrahim",
    "Aisha",
    "Kelechi",
    "Zainab",
    "Segun",
    "Bisi",
    "Uche",
    "Amaka",
    "Tunde",
    "Halima",
    "Femi",
    "Chioma",
    "Musa",
    "Yetunde",
    "Obinna",
    "Fatima",
]
LAST = [
    "Okafor",
    "Adeyemi",
    "Bello",
    "Eze",
    "Ogunleye",
    "Nwosu",
    "Abubakar",
    "Olawale",
    "Chukwu",
    "Balogun",
    "Okonkwo",
    "Adebayo",
    "Usman",
    "Onyeka",
    "Afolabi",
    "Ibekwe",
    "Lawal",
    "Nnamdi",
    "Oyelaran",
    "Danjuma",
]
LEVELS = ["JSS 1", "JSS 2", "JSS 3", "SS 1", "SS 2", "SS 3"]
ROLES = ["school_admin", "registrar", "bursar", "teacher", "attendance_officer", "viewer"]
# A login's address is its role's key, but for a role whose key reads badly as one.
LOGIN_NAMES = {"attendance_officer": "officer"}


@seeds_demo
def seed_schools(context):
    platform = _user("platform@classpoint.demo", "Platform", "Admin", staff=True)
    greenfield = _school("greenfield", "Greenfield Academy", "admin@greenfield.demo")
    riverside = _school("riverside", "Riverside College", "admin@riverside.demo")
    _structure(greenfield, classes_per_level=2)
    _structure(riverside, classes_per_level=1)
    made_g = _students(greenfield, context.students, prefix="GFA")
    made_r = _students(riverside, max(context.students // 20, 10), prefix="RVC")
    context.school = greenfield
    context.logins.append(("platform admin (Django admin, /admin/)", platform.email))
    context.logins.append(("greenfield school_admin", "admin@greenfield.demo"))
    for role in ROLES[1:]:  # the school admin is the provisioned admin@greenfield.demo
        login = LOGIN_NAMES.get(role, role.replace("_", ""))
        user = _user(f"{login}@greenfield.demo", role.replace("_", " ").title(), "Greenfield")
        services.membership_grant(school=greenfield, user=user, role_key=role)
        context.staff[role] = user
        context.logins.append((f"greenfield {role}", user.email))
    _link_teacher(greenfield, context.staff["teacher"])
    riverside_admin = User.objects.get(email="admin@riverside.demo")
    context.logins.append(("riverside school_admin", riverside_admin.email))
    # The registrar also works at Riverside, so the school switcher has something to switch.
    services.membership_grant(school=riverside, user=context.staff["registrar"], role_key="registrar")
    for email in ("admin@greenfield.demo", "admin@riverside.demo"):
        user = User.objects.get(email=email)
        if not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    if made_g or made_r:
        audit(school=greenfield, actor=None, action="demo.seeded", changes={"students": made_g})
    # Counted when the command prints, after the admissions above this layer have enrolled theirs.
    context.say(
        lambda: (
            f"Demo ready: {greenfield.students.count()} students at Greenfield (+{made_g} new), "
            f"{riverside.students.count()} at Riverside (+{made_r})."
        ),
        success=True,
    )


def _link_teacher(school, user):
    """The teacher login is the form teacher of the first JSS 1 class (the timetable gives them
    lessons too), so signing in as them shows a teacher's morning: their registers to take."""
    if school.staff.filter(user=user).exists():
        return
    group = school.class_groups.filter(level=LEVELS[0], form_teacher__isnull=False).order_by("name").first()
    if group is None or group.form_teacher.user_id is not None:
        return
    staff = group.form_teacher
    staff.user = user
    staff.save(update_fields=["user"])
    # The header names whoever is signed in: the teacher, not "Teacher Greenfield".
    user.first_name, user.last_name = staff.first_name, staff.last_name
    user.save(update_fields=["first_name", "last_name"])


def _user(email, first, last, staff=False):
    user, created = User.objects.get_or_create(
        username=email, defaults={"email": email, "first_name": first, "last_name": last}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
    if staff:
        user.is_staff = user.is_superuser = True
    user.save()
    return user


def _school(slug, name, admin_email):
    school = School.objects.filter(slug=slug).first()
    if school is None:
        school, _ = services.school_provision(slug=slug, name=name, admin_email=admin_email, send_invitation=False)
    return school


@transaction.atomic
def _structure(school, classes_per_level):
    today = school.local_today()
    start_year = today.year if today.month >= 9 else today.year - 1
    session = school.sessions.filter(name=f"{start_year}/{start_year + 1}").first()
    if session is None:
        school.sessions.filter(is_current=True).update(is_current=False)
        session = AcademicSession.objects.create(
            school=school,
            name=f"{start_year}/{start_year + 1}",
            start_date=datetime.date(start_year, 9, 8),
            end_date=datetime.date(start_year + 1, 7, 24),
            is_current=True,
        )
    terms = [
        ("First term", datetime.date(start_year, 9, 8), datetime.date(start_year, 12, 18)),
        ("Second term", datetime.date(start_year + 1, 1, 6), datetime.date(start_year + 1, 4, 2)),
        ("Third term", datetime.date(start_year + 1, 4, 27), datetime.date(start_year + 1, 7, 24)),
    ]
    current_name = next((n for n, s, e in terms if s <= today <= e), None) or next(
        (n for n, s, e in terms if today < s), "Third term"
    )
    for name, start, end in terms:
        Term.objects.get_or_create(
            school=school,
            session=session,
            name=name,
            defaults={"start_date": start, "end_date": end, "is_current": False},
        )
    if not school.terms.filter(is_current=True).exists():
        school.terms.filter(session=session, name=current_name).update(is_current=True)
    teachers = list(school.staff.all())
    for i in range(len(teachers), len(LEVELS) * classes_per_level):
        teachers.append(
            services.staff_create(
                school=school,
                actor=None,
                first_name=FIRST[i % len(FIRST)],
                last_name=LAST[(i * 7) % len(LAST)],
                title="Teacher",
                email=f"teacher{i + 1}@{school.slug}.demo",
            )
        )
    index = 0
    for level in LEVELS:
        for arm in "ABC"[:classes_per_level]:
            ClassGroup.objects.get_or_create(
                school=school,
                name=f"{level}{arm}",
                defaults={"level": level, "capacity": 60, "form_teacher": teachers[index]},
            )
            index += 1


@transaction.atomic
def _students(school, count, prefix):
    """Create students up to `count` (numbered, so a re-run adds nothing), with guardians and
    current-term enrollments; siblings share a guardian."""
    rng = random.Random(f"{school.slug}-demo")
    term = school.current_term()
    groups = list(school.class_groups.order_by("level", "name"))
    year = term.session.start_date.year if term else 2026
    # The pupils are numbered by the school's own pattern and admission counter, so a pupil the
    # demo's registrar admits (or one admitted while trying the demo) is GFA/2026/00601, not 2026/0001.
    pattern = f"{prefix}/{{YEAR}}/{{SEQ:5}}"
    profile = school.profile
    if profile.admission_number_pattern == SchoolProfile._meta.get_field("admission_number_pattern").default:
        profile.admission_number_pattern = pattern
        profile.save(update_fields=["admission_number_pattern"])
    wanted = [
        services.admission_number_render(pattern, year=year, seq=n, slug=school.slug) for n in range(1, count + 1)
    ]
    Counter.objects.get_or_create(school=school, key="admission")
    Counter.objects.filter(school=school, key="admission", value__lt=count).update(value=count)
    existing = set(school.students.filter(admission_number__in=wanted).values_list("admission_number", flat=True))
    missing = [number for number in wanted if number not in existing]
    if not missing:
        return 0
    new_students, new_guardians, families = [], [], []
    family = None
    for number in missing:
        if family is None or rng.random() > 0.25:  # about one in four shares the previous family
            last = rng.choice(LAST)
            mother = Guardian(
                school=school,
                first_name=rng.choice(FIRST),
                last_name=last,
                relationship="Mother",
                phone=f"+23480{rng.randrange(10_000_000, 99_999_999)}",
                email=f"{last.lower()}.{rng.randrange(1000, 9999)}@example.ng",
                preferred_channel=rng.choice(["sms", "whatsapp", "email"]),
                # Most families agreed to messages on admission; about one in twelve did not, so
                # the message log also shows suppressed messages.
                consent_sms=rng.random() > 0.08,
                consent_whatsapp=rng.random() > 0.4,
                consent_email=rng.random() > 0.3,
            )
            new_guardians.append(mother)
            family = (last, mother)
        last, guardian = family
        student = Student(
            school=school,
            admission_number=number,
            first_name=rng.choice(FIRST),
            last_name=last,
            gender=rng.choice(["female", "male"]),
            date_of_birth=datetime.date(2008 + rng.randrange(0, 7), rng.randrange(1, 13), rng.randrange(1, 29)),
        )
        new_students.append(student)
        families.append(guardian)
    Guardian.objects.bulk_create(new_guardians, batch_size=500)
    Student.objects.bulk_create(new_students, batch_size=500)
    StudentGuardian.objects.bulk_create(
        [
            StudentGuardian(school=school, student=s, guardian=g, is_primary=True)
            for s, g in zip(new_students, families, strict=True)
        ],
        batch_size=500,
    )
    if term and groups:
        Enrollment.objects.bulk_create(
            [
                Enrollment(school=school, student=s, term=term, class_group=groups[i % len(groups)])
                for i, s in enumerate(new_students)
            ],
            batch_size=500,
        )
    return len(new_students)
