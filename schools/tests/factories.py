import datetime

import factory
from django.contrib.auth import get_user_model

from schools import services
from schools.models import AcademicSession, ClassGroup, Enrollment, Guardian, Student, StudentGuardian, Term


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}@example.test")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("correct-horse-battery")


def provision(slug, name=None, admin_email=None):
    school, _ = services.school_provision(
        slug=slug, name=name or slug.title(), admin_email=admin_email or f"admin@{slug}.test", send_invitation=False
    )
    return school


def member(school, role_key, email=None):
    user = UserFactory(username=email or f"{role_key}@{school.slug}.test")
    services.membership_grant(school=school, user=user, role_key=role_key)
    return user


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AcademicSession

    name = "2026/2027"
    start_date = datetime.date(2026, 9, 7)
    end_date = datetime.date(2027, 7, 23)
    is_current = True


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    session = factory.SubFactory(SessionFactory, school=factory.SelfAttribute("..school"))
    name = "First term"
    start_date = datetime.date(2026, 9, 7)
    end_date = datetime.date(2026, 12, 18)
    is_current = True


class ClassGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassGroup

    name = factory.Sequence(lambda n: f"JSS 1{chr(65 + n % 26)}{n}")
    level = "JSS 1"
    capacity = 40


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    admission_number = factory.Sequence(lambda n: f"ADM/{n:05d}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    gender = "female"
    date_of_birth = datetime.date(2013, 5, 1)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Parent{n}")
    relationship = "Mother"
    phone = factory.Sequence(lambda n: f"+23480{31000000 + n}")
    email = factory.Sequence(lambda n: f"parent{n}@example.ng")


def enroll(student, term, class_group):
    return Enrollment.objects.create(school=student.school, student=student, term=term, class_group=class_group)


def link(student, guardian, primary=True):
    return StudentGuardian.objects.create(school=student.school, student=student, guardian=guardian, is_primary=primary)
