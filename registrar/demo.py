"""The registrar's part of the demo (`seed_demo`, the top layer, so it runs last): the documents
each level needs and a season of applications in every column of the board, submitted over the last
seven weeks and placed in the JSS 1 timetable the academics' part made, so the board, the panel and
the dashboard's charts have something real to show; then the dashboard's past days, written into the
KPI sinks from everything the demo holds. Everything goes through the same services staff and
families use; nothing is written behind their back except the back-dating of when things happened."""

import datetime
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from academics import selectors as academics_selectors
from academics.errors import AcademicsError
from classpoint.demo import demo_png, seeds_demo

from .kpi import kpi_seed_demo
from .models import Application, ApplicationEvent, DocumentKind, DocumentRequirement
from .placement import application_place
from .services import application_approve, application_convert, application_submit, application_transition

FIRST = [
    "Amaka",
    "Tobi",
    "Zainab",
    "Chinedu",
    "Ife",
    "Musa",
    "Ngozi",
    "Seyi",
    "Halima",
    "Obinna",
    "Tolu",
    "Yemi",
    "Fatima",
    "Kelechi",
    "Bisi",
    "Emeka",
    "Aisha",
    "Dapo",
    "Uche",
    "Rukayat",
    "Femi",
    "Nneka",
    "Sani",
    "Bukola",
]
LAST = [
    "Adeyemi",
    "Okafor",
    "Bello",
    "Eze",
    "Ogunleye",
    "Ibrahim",
    "Nwosu",
    "Balogun",
    "Danjuma",
    "Okonkwo",
    "Afolabi",
    "Umar",
    "Chukwu",
    "Adebayo",
    "Lawal",
    "Obi",
]
# (how many, where they end up) for the board's columns.
PLAN = [
    (6, "pending"),
    (5, "in_review"),
    (3, "needs_info"),
    (3, "approved"),
    (4, "converted"),
    (2, "rejected"),
    (1, "withdrawn"),
]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@seeds_demo
def seed_registrar(context):
    school = context.school
    applications = seed_applications(school=school, registrar=context.staff["registrar"])
    if applications:
        context.say(f"Admissions: {applications} applications on the registrar board, a JSS 1 timetable.")
    # Last: the dashboard's past days are read from the KPI sinks, written from the data above.
    kpi_days = kpi_seed_demo(school=school)
    context.say(f"Dashboard: {kpi_days} past days of KPI sinks written for Greenfield (today is live).")


def seed_applications(*, school, registrar):
    """Idempotent: a school that already has applications is left as it is. Returns how many were made."""
    if Application.objects.for_school(school).exists():
        return 0
    term = school.current_term()
    if term is None:
        return 0
    _requirements(school)
    groups = school.class_groups.filter(level="JSS 1").order_by("name")
    slots = list(academics_selectors.slots_of_classes(school=school, term=term, class_groups=groups))
    rng = random.Random(f"{school.slug}-applications")
    made = 0
    index = 0
    for count, final in PLAN:
        for _ in range(count):
            index += 1
            days_ago = rng.randint(1, 48) if final != "pending" else rng.randint(0, 6)
            application = _apply(school, rng, index, with_documents=final != "needs_info")
            _walk(application, final, registrar=registrar, slots=slots, rng=rng)
            _back_date(application, days_ago=days_ago, rng=rng)
            made += 1
    # A family that applied twice for the same child: flagged as a possible duplicate on arrival.
    first = Application.objects.for_school(school).filter(status="pending").order_by("id").first()
    if first is not None:
        _again(school, first)
        made += 1
    return made


def _requirements(school):
    for level, kind in [("", DocumentKind.BIRTH_CERTIFICATE), ("", DocumentKind.PHOTO)] + [
        (level, DocumentKind.LAST_REPORT)
        for level in sorted(set(school.class_groups.values_list("level", flat=True)))
        if level != "JSS 1"
    ]:
        DocumentRequirement.objects.get_or_create(school=school, level=level, kind=kind)


def _apply(school, rng, index, *, with_documents):
    last = rng.choice(LAST)
    born = datetime.date(2014, 1, 1) + datetime.timedelta(days=rng.randint(0, 900))
    documents = []
    if with_documents:
        documents = [
            (DocumentKind.BIRTH_CERTIFICATE, SimpleUploadedFile("birth-certificate.pdf", PDF, "application/pdf"))
        ]
        if rng.random() < 0.7:
            documents.append((DocumentKind.PHOTO, SimpleUploadedFile("photo.png", demo_png(80, 100), "image/png")))
    return application_submit(
        school=school,
        source=Application.Source.FORM,
        applicant={
            "first_name": rng.choice(FIRST),
            "last_name": last,
            "date_of_birth": born.isoformat(),
            "gender": rng.choice(["female", "male"]),
            "class_level": "JSS 1",
            "previous_school": rng.choice(["Little Stars Nursery & Primary", "Bright Future Primary", ""]),
        },
        guardians=[
            {
                "first_name": rng.choice(FIRST),
                "last_name": last,
                "relationship": rng.choice(["Mother", "Father"]),
                "phone": f"+23481{index:02d}{rng.randint(1000000, 9999999)}"[:14],
                "email": f"family{index}.{last.lower()}@example.ng",
                "consent_sms": True,
                "consent_email": rng.random() < 0.6,
            }
        ],
        documents=documents,
    )


def _walk(application, final, *, registrar, slots, rng):
    if final == "pending":
        return
    if final == "withdrawn":
        application_transition(
            application=application, to_status="withdrawn", actor=None, note="The family chose another school."
        )
        return
    application_transition(application=application, to_status="in_review", actor=registrar)
    if final == "in_review":
        return
    if final == "needs_info":
        application_transition(
            application=application,
            to_status="needs_info",
            actor=registrar,
            needs_info_items=["Birth certificate", "Last school report"],
        )
        return
    if final == "rejected":
        application_transition(
            application=application, to_status="rejected", actor=registrar, note="No place in JSS 1 for this session."
        )
        return
    lessons = [s for s in slots if "club" not in s.subject]
    group = lessons[rng.randrange(len(lessons))].class_group if lessons else None
    if group is None:
        return
    with transaction.atomic():
        try:
            application_place(
                application=application,
                actor=registrar,
                class_group=group,
                slot_ids=[s.pk for s in lessons if s.class_group_id == group.pk],
            )
        except AcademicsError:
            return
    application.refresh_from_db()
    application_approve(application=application, actor=registrar, send_invoice=True, send_autopay_link=True)
    if final == "converted":
        application.refresh_from_db()
        application_convert(application=application, actor=registrar, send_welcome=True)


def _back_date(application, *, days_ago, rng):
    """Move the application's story into the past, keeping its order: submitted `days_ago` days ago,
    each later step a few hours to a couple of days after the one before."""
    start = timezone.now() - datetime.timedelta(days=days_ago, hours=rng.randint(0, 8))
    at = start
    events = list(ApplicationEvent.objects.filter(application=application).order_by("at", "id"))
    for n, event in enumerate(events):
        if n:
            at = min(at + datetime.timedelta(hours=rng.randint(3, 40)), timezone.now())
        event.at = at if n else start
        event.save(update_fields=["at"])
    Application.objects.filter(pk=application.pk).update(submitted_at=start, status_changed_at=at)


def _again(school, original):
    guardian = original.guardians.order_by("id").first()
    application_submit(
        school=school,
        source=Application.Source.FORM,
        applicant={
            "first_name": original.first_name,
            "last_name": original.last_name,
            "date_of_birth": original.date_of_birth.isoformat(),
            "gender": original.gender,
            "class_level": original.class_level,
        },
        guardians=[
            {
                "first_name": guardian.first_name,
                "last_name": guardian.last_name,
                "phone": guardian.phone,
                "email": guardian.email,
                "relationship": guardian.relationship,
                "consent_sms": True,
            }
        ],
    )
