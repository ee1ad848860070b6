"""Admission numbers: the school's pattern filled from its gapless counter."""

import re

from django.utils.translation import gettext as _

from classpoint.counters import next_value

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import SchoolProfile

_ADMISSION_TOKEN = re.compile(r"\{(YEAR|SLUG|SEQ)(?::(\d{1,2}))?\}")


def admission_number_render(pattern, *, year, seq, slug):
    """The pattern with {YEAR}, {SLUG} (upper-cased) and {SEQ} or {SEQ:n} (zero-padded to n) filled."""

    def token(match):
        name, width = match.group(1), match.group(2)
        if name == "YEAR":
            return str(year)
        if name == "SLUG":
            return slug.upper()
        return str(seq).zfill(int(width or 0))

    return _ADMISSION_TOKEN.sub(token, pattern)


def admission_number_allocate(*, school):
    """The next admission number from the school's pattern (SchoolProfile.admission_number_pattern)
    and its gapless "admission" counter. {YEAR} is the first year of the current session (today's
    year without one). Numbers already taken (imported students) are skipped, so the counter can
    start at 1 in a school that has numbered its pupils for years. Call it inside the transaction
    that creates the student: the counter row stays locked until then."""
    profile = SchoolProfile.objects.filter(school=school).first()
    pattern = (profile.admission_number_pattern if profile else "") or "{YEAR}/{SEQ:4}"
    if not any(match.group(1) == "SEQ" for match in _ADMISSION_TOKEN.finditer(pattern)):
        message = _("Include {SEQ} or {SEQ:4} in the pattern.")
        raise SchoolsError(
            _("The admission number pattern has no sequence."),
            code=SchoolsErrorCode.INVALID_PATTERN,
            fields={"admission_number_pattern": [message]},
        )
    session = school.sessions.filter(is_current=True).first()
    year = session.start_date.year if session else school.local_today().year
    taken = school.students
    while True:
        number = admission_number_render(
            pattern, year=year, seq=next_value(school=school, key="admission"), slug=school.slug
        )
        if not taken.filter(admission_number=number).exists():
            return number
