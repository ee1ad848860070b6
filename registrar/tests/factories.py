"""Applications in any state, built through the services (the path a real one takes), and the
files and fee set-up the admission tests need."""

import datetime
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from registrar import services
from registrar.models import Application

S = Application.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 64

_phones = itertools.count(1)


def upload(content=PDF, name="birth-certificate.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def applicant(**overrides):
    return {
        "first_name": "Chinedu",
        "last_name": "Bello",
        "other_names": "",
        "gender": "male",
        "class_level": "JSS 1",
        "date_of_birth": datetime.date(2014, 3, 21),
        "previous_school": "Bright Stars Primary",
        **overrides,
    }


def guardian(**overrides):
    n = next(_phones)
    return {
        "first_name": "Amina",
        "last_name": "Bello",
        "relationship": "Mother",
        "phone": f"+234805{5000000 + n}",
        "email": f"amina{n}@example.ng",
        "consent_sms": True,
        "consent_whatsapp": False,
        "consent_email": True,
        **overrides,
    }


def submit(school, *, child=None, guardians=None, documents=(), source="staff", actor=None):
    return services.application_submit(
        school=school,
        applicant=child or applicant(),
        documents=documents,
        guardians=[guardian()] if guardians is None else guardians,
        source=source,
        actor=actor,
    )


def place(application, class_group=None):
    """Placed in the school's first class group (a test shortcut for the Class tab: the placement
    rules have their own tests in test_placement.py)."""
    group = class_group or application.school.class_groups.order_by("id").first()
    Application.objects.for_school(application.school).filter(pk=application.pk).update(
        placed_class_group=group, placed_at=timezone.now()
    )
    application.refresh_from_db()
    return application


# The way to each status from a new application, through the services.
PATHS = {
    S.PENDING: [],
    S.IN_REVIEW: [S.IN_REVIEW],
    S.NEEDS_INFO: [S.IN_REVIEW, S.NEEDS_INFO],
    S.APPROVED: [S.IN_REVIEW, S.APPROVED],
    S.CONVERTED: [S.IN_REVIEW, S.APPROVED, S.CONVERTED],
    S.REJECTED: [S.REJECTED],
    S.WITHDRAWN: [S.WITHDRAWN],
}


def in_status(school, status, actor, **submit_kwargs):
    application = place(submit(school, **submit_kwargs))
    for step in PATHS[status]:
        application = services.application_transition(
            application=application, to_status=step, actor=actor, needs_info_items=["Birth certificate"]
        )
    application.refresh_from_db()
    return application


def fee_schedule(school, class_group, amount_minor=15_000_000, term=None):
    from fees import services as fees

    item = fees.fee_item_create(school=school, actor=None, code=f"tuition-{class_group.pk}", name="Tuition")
    return fees.fee_schedule_create(
        school=school,
        actor=None,
        term=term or school.current_term(),
        name=f"{class_group} fees",
        class_group=class_group,
        lines=[{"fee_item": item, "amount_minor": amount_minor}],
    )


def apply_on_public_form(page, base, *, first_name="Adaeze", last_name="Nwosu", guardian="Chioma"):
    """A family fills the public form (a real browser page) for JSS 1 with a birth certificate, sends
    it and waits for the "received" page."""
    page.goto(f"{base}/s/greenfield/apply/")
    page.locator("#id_first_name").fill(first_name)
    page.locator("#id_last_name").fill(last_name)
    page.get_by_label("Date of birth").fill("2014-05-02")
    page.get_by_label("Female").check()
    page.get_by_label("Class applied for").select_option("JSS 1")
    page.locator("#id_g1_first_name").fill(guardian)
    page.locator("#id_g1_last_name").fill(last_name)
    page.locator("#id_g1_phone").fill("0803 111 2222")
    page.locator("#id_g1_consent_sms").check()
    page.get_by_label("Birth certificate").set_input_files(
        {"name": "birth-certificate.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Send the application").click()
    page.get_by_text("the application was received").wait_for()
