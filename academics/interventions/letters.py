"""A truancy letter as the family reads it: the school's wording (or the law's default) filled in,
and the PDF on the school's letterhead with the days counted. The text is rendered when the letter
is sent and kept on the intervention, so a later edit of the wording never rewrites history."""

import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from classpoint import links, pdf
from classpoint.files import new_key
from schools.documents import school_letterhead

from ..models import Intervention, LetterTemplate
from .wording import DEFAULTS

_LINK_SALT = "classpoint.academics.letter"
LINK_MAX_AGE = datetime.timedelta(days=180)  # a family may look for the letter again months later


class _Blank(dict):
    def __missing__(self, key):  # a placeholder the wording names but we do not know stays visible
        return "{" + key + "}"


def wording(*, school, kind):
    """(subject, body) of the school's letter `kind`, the default until it writes its own."""
    template = LetterTemplate.objects.for_school(school).filter(kind=kind).first()
    if template is not None:
        return template.subject, template.body
    return DEFAULTS[kind]


def _day(value):
    return f"{value:%A} {value.day} {value:%B %Y}"


def letter_context(*, intervention, guardian_name="", officer_name=""):
    student = intervention.student
    enrollment = student.enrollments.filter(status="active").select_related("class_group").first()
    days = [datetime.date.fromisoformat(d) for d in intervention.counted_days]
    return _Blank(
        student_name=f"{student.first_name} {student.last_name}",
        guardian_name=guardian_name or "Parent or guardian",
        school_name=intervention.school.name,
        class_name=enrollment.class_group.name if enrollment else "",
        days_count=len(days),
        days_list=", ".join(f"{d.day} {d:%b}" for d in days),
        date=_day(intervention.school.local_today()),
        officer_name=officer_name or "The attendance office",
    )


def letter_render(*, intervention, guardian_name="", officer_name=""):
    """(subject, body) of this letter, filled in."""
    subject, body = wording(school=intervention.school, kind=intervention.kind)
    context = letter_context(intervention=intervention, guardian_name=guardian_name, officer_name=officer_name)
    return subject.format_map(context), body.format_map(context)


def letter_pdf(*, intervention, subject, body):
    """The letter's PDF bytes: letterhead, the facts, the text, and the days counted."""
    student = intervention.student
    days = [datetime.date.fromisoformat(d) for d in intervention.counted_days]
    return pdf.render(
        letterhead=school_letterhead(intervention.school),
        title=subject,
        number=f"{intervention.get_kind_display()}",
        facts=[
            ("Pupil", f"{student.first_name} {student.last_name}"),
            ("Admission number", student.admission_number or "—"),
            ("Date", _day(intervention.school.local_today())),
        ],
        # Plain text: the PDF layer escapes it and keeps its line breaks (the numbered points).
        notes=body.split("\n\n"),
        sections=[
            pdf.Section(
                heading="School days counted",
                columns=["#", "Date"],
                rows=[[str(i), _day(d)] for i, d in enumerate(days, start=1)],
                widths=[1, 6],
            )
        ],
        subject=subject,
    )


def letter_filename(intervention):
    """ "letter-1-GFA-2026-00529.pdf": admission numbers hold slashes, which would cut a file name."""
    number = (intervention.student.admission_number or str(intervention.student_id)).replace("/", "-")
    return f"{intervention.kind.replace('_', '-')}-{number}.pdf"


def letter_store(*, intervention, subject, body):
    """Render and keep the letter's PDF (storage: local files or S3); returns its storage name."""
    name = default_storage.save(
        new_key(f"interventions/{intervention.school_id}", f"{intervention.kind}-{intervention.student_id}.pdf"),
        ContentFile(letter_pdf(intervention=intervention, subject=subject, body=body)),
    )
    return name


def guardian_letter_link(*, intervention, guardian):
    """A link the family opens without an account to read the letter's PDF (signed, it expires)."""
    token = links.sign({"s": intervention.school_id, "i": intervention.pk, "g": guardian.pk}, salt=_LINK_SALT)
    return links.absolute_url("attendance-letter", intervention.school.slug, token)


def guardian_letter_open(token):
    """(school_id, intervention_id, guardian_id) from a link token, or None."""
    return links.verify(token, salt=_LINK_SALT, max_age=LINK_MAX_AGE, keys=("s", "i", "g"))


LETTER_KINDS = [Intervention.Kind.LETTER_1, Intervention.Kind.LETTER_2, Intervention.Kind.LETTER_3]
