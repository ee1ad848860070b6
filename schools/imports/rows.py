"""Check one row of the students import and turn it into plain values the import can apply.

Every problem names the template header and echoes the raw cell, so the errors report reads next to
the uploaded file. A row with any error is rejected whole; warnings let the row through.
"""

import datetime
import difflib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ..phones import normalize_phone
from .csvfile import COLUMNS

HEADERS = {c.key: c.header for c in COLUMNS}
MAX_CELL = 200
GUARDIAN_FIELDS = (
    "first_name",
    "last_name",
    "relationship",
    "phone",
    "email",
    "channel",
    "consent_sms",
    "consent_whatsapp",
    "consent_email",
)
GENDERS = {"f": "female", "female": "female", "girl": "female", "m": "male", "male": "male", "boy": "male"}
CHANNELS = {"sms": "sms", "text": "sms", "textmessage": "sms", "whatsapp": "whatsapp", "email": "email"}
CHANNEL_LABELS = {"sms": "SMS", "whatsapp": "WhatsApp", "email": "Email"}
YES = frozenset({"yes", "y", "true", "1", "x"})
NO = frozenset({"no", "n", "false", "0", ""})

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
MONTH_WORDS = {m.lower(): i for i, m in enumerate(MONTHS, 1)} | {m[:3].lower(): i for i, m in enumerate(MONTHS, 1)}
MONTH_WORDS["sept"] = 9
DATE_HINT = "Use a date like 25/12/2014 or 2014-12-25."
_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_ORDINAL = r"(?:st|nd|rd|th)?"
_TEXT_DMY = re.compile(rf"(\d{{1,2}}){_ORDINAL}[\s/-]*([a-z]+)\.?,?[\s/-]*(\d{{4}}|\d{{2}})", re.IGNORECASE)
_TEXT_MDY = re.compile(rf"([a-z]+)\.?[\s/-]*(\d{{1,2}}){_ORDINAL},?[\s/-]*(\d{{4}}|\d{{2}})", re.IGNORECASE)
# Spreadsheets and database exports sometimes append a midnight time to dates.
_MIDNIGHT = re.compile(r"[ T]00:00(?::00)?$")


@dataclass
class RowProblem:
    row: int
    column: str
    value: str
    message: str
    severity: str = "error"
    # "ambiguous_date" lets the caller drop these warnings once the file shows it writes day first.
    kind: str = ""


@dataclass
class CleanGuardian:
    first_name: str
    last_name: str
    relationship: str
    phone: str
    email: str
    preferred_channel: str
    consent_sms: bool
    consent_whatsapp: bool
    consent_email: bool


@dataclass
class CleanRow:
    row: int
    admission_number: str
    first_name: str
    last_name: str
    other_names: str
    date_of_birth: datetime.date | None
    gender: str
    class_group_name: str
    guardians: list[CleanGuardian]


def _year(text, month, day, today):
    if len(text) == 4:
        return int(text)
    # Two-digit years: this century unless that puts the date in the future.
    yy = int(text)
    return 2000 + yy if (2000 + yy, month, day) <= (today.year, today.month, today.day) else 1900 + yy


def parse_date(raw, today):
    """(date, warning or None) for a date of birth as people type it; ValueError with a message otherwise."""
    text = _MIDNIGHT.sub("", raw.strip())
    warning = None
    if m := _ISO.fullmatch(text):
        year, month, day = int(m[1]), int(m[3]), int(m[4])
    elif m := _DAY_FIRST.fullmatch(text):
        day, month = int(m[1]), int(m[3])
        year = _year(m[4], month, day, today)
        if month > 12 >= day:
            raise ValueError(f"“{raw}” has no month {month}: write dates day first, e.g. 25/12/2014.")
        if day <= 12 and month <= 12 and day != month:
            # 03/04/2014 is 3 April in Nigeria and 4 March in a US-set spreadsheet; say which we chose,
            # unless the other reading is impossible anyway (in the future or before 1900).
            other = datetime.date(_year(m[4], day, month, today), day, month)
            if datetime.date(1900, 1, 1) <= other <= today:
                warning = (
                    f"Read as {day} {MONTHS[month - 1]} {year} (day first); check it is not {month} {MONTHS[day - 1]}."
                )
    elif (m := _TEXT_DMY.fullmatch(text)) and m[2].lower() in MONTH_WORDS:
        day, month = int(m[1]), MONTH_WORDS[m[2].lower()]
        year = _year(m[3], month, day, today)
    elif (m := _TEXT_MDY.fullmatch(text)) and m[1].lower() in MONTH_WORDS:
        day, month = int(m[2]), MONTH_WORDS[m[1].lower()]
        year = _year(m[3], month, day, today)
    else:
        raise ValueError(f"“{raw}” is not a date we recognise. {DATE_HINT}")
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"There is no such date as “{raw}”: check the day and month.")
    if value > today:
        raise ValueError(f"Date of birth “{raw}” is in the future.")
    if value.year < 1900:
        raise ValueError(f"Date of birth “{raw}” is before 1900.")
    return value, warning


def _class_key(name):
    return "".join(name.split()).casefold()


class _Row:
    """The cells of one row and the problems found so far."""

    def __init__(self, row_number, values):
        self.number = row_number
        self.cells = {c.key: str(values.get(c.key) or "").strip() for c in COLUMNS}
        self.problems = []
        # Too-long cells get one problem and no further checks: their other messages would only be noise.
        self.skip = set()
        for key, value in self.cells.items():
            if len(value) > MAX_CELL:
                self.skip.add(key)
                self.problems.append(
                    RowProblem(row_number, HEADERS[key], value[:50] + "…", f"Keep it under {MAX_CELL} characters.")
                )

    def problem(self, key, message, severity="error", kind=""):
        self.problems.append(RowProblem(self.number, HEADERS[key], self.cells[key], message, severity, kind))

    def checkable(self, key):
        """The cell's value if it is non-blank and still worth checking, else ''."""
        return "" if key in self.skip else self.cells[key]

    def text(self, key, *, required=False, limit=None):
        value = self.cells[key]
        if key in self.skip:
            return value
        if required and not value:
            self.problem(key, f"{HEADERS[key]} is required.")
        elif limit and len(value) > limit:
            self.problem(key, f"{HEADERS[key]} must be at most {limit} characters.")
        return value

    @property
    def has_errors(self):
        return any(p.severity == "error" for p in self.problems)


class RowValidator:
    def __init__(self, *, country: str, class_names: list[str], today: datetime.date | None = None):
        self.country = country
        self.today = today or datetime.date.today()
        self._classes = {}
        for name in class_names:
            self._classes.setdefault(_class_key(name), name)
        self._seen = {}  # admission number -> first row it appeared on
        # Set once a numeric date could only be day first (21/02/2013): then 03/04/2014 in the same
        # file is not ambiguous either, and the caller may drop the warnings it held back.
        self.day_first_confirmed = False

    def validate(self, row_number: int, values: dict) -> tuple[CleanRow | None, list[RowProblem]]:
        """(clean, problems); clean is None iff a problem is an error. Remembers admission numbers across
        calls, so a number seen again is an error naming the row it first appeared on."""
        r = _Row(row_number, values)
        number = r.text("admission_number", required=True, limit=40)
        if r.checkable("admission_number") and len(number) <= 40:
            first = self._seen.setdefault(number, row_number)
            if first != row_number:
                r.problem(
                    "admission_number",
                    f"Admission number “{number}” is already used on row {first}; each student can appear only once.",
                )
        first_name = r.text("first_name", required=True, limit=80)
        last_name = r.text("last_name", required=True, limit=80)
        other_names = r.text("other_names", limit=120)
        date_of_birth = None
        if raw := r.checkable("date_of_birth"):
            try:
                date_of_birth, warning = parse_date(raw, self.today)
            except ValueError as exc:
                r.problem("date_of_birth", str(exc))
            else:
                if warning:
                    r.problem("date_of_birth", warning, severity="warning", kind="ambiguous_date")
                elif _DAY_FIRST.fullmatch(_MIDNIGHT.sub("", raw.strip())):
                    self.day_first_confirmed = True
        gender = ""
        if raw := r.checkable("gender"):
            gender = GENDERS.get(raw.casefold(), "")
            if not gender:
                r.problem("gender", "Use Female or Male (F or M also work), or leave it blank.")
        class_name = self._class(r)
        guardians = [g for g in (self._guardian(r, 1), self._guardian(r, 2)) if g is not None]
        if r.has_errors:
            return None, r.problems
        clean = CleanRow(
            row=row_number,
            admission_number=number,
            first_name=first_name,
            last_name=last_name,
            other_names=other_names,
            date_of_birth=date_of_birth,
            gender=gender,
            class_group_name=class_name,
            guardians=guardians,
        )
        return clean, r.problems

    def _class(self, r):
        raw = r.text("class_group", required=True)
        if not r.checkable("class_group"):
            return ""
        key = _class_key(raw)
        if key in self._classes:
            return self._classes[key]
        message = f"Unknown class “{raw}”."
        close = difflib.get_close_matches(key, list(self._classes), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean “{self._classes[close[0]]}”?"
        elif not self._classes:
            message += " The school has no classes yet: add them before importing."
        r.problem("class_group", message)
        return ""

    def _guardian(self, r, n):
        keys = {field: f"guardian{n}_{field}" for field in GUARDIAN_FIELDS}
        if not any(r.cells[key] for key in keys.values()):
            return None
        first_name = r.text(keys["first_name"], required=True, limit=80)
        last_name = r.text(keys["last_name"], required=True, limit=80)
        relationship = r.text(keys["relationship"], limit=40)
        raw_phone, raw_email = r.cells[keys["phone"]], r.cells[keys["email"]]
        if not raw_phone and not raw_email:
            r.problem(keys["phone"], f"Give Guardian {n} a phone number or an email address.")
        phone = email = ""
        if r.checkable(keys["phone"]):
            try:
                phone = normalize_phone(raw_phone, self.country)
            except ValueError as exc:
                r.problem(keys["phone"], str(exc))
        if r.checkable(keys["email"]):
            try:
                validate_email(raw_email)
            except ValidationError:
                r.problem(keys["email"], "Enter a valid email address, e.g. ngozi.okafor@example.com.")
            else:
                email = raw_email.lower()
        channel = "sms" if raw_phone else "email"
        if raw := r.checkable(keys["channel"]):
            channel = CHANNELS.get(re.sub(r"[\s_-]+", "", raw.casefold()), "")
            label = CHANNEL_LABELS.get(channel)
            if not channel:
                r.problem(keys["channel"], "Use SMS, WhatsApp or Email, or leave it blank.")
            elif channel != "email" and not raw_phone:
                r.problem(keys["channel"], f"{label} needs Guardian {n} phone: add the number or choose Email.")
            elif channel == "email" and not raw_email:
                r.problem(keys["channel"], f"Email needs Guardian {n} email: add the address or choose SMS.")
        consents = {}
        for field in ("consent_sms", "consent_whatsapp", "consent_email"):
            raw = r.checkable(keys[field]).casefold()
            consents[field] = raw in YES
            if raw not in YES and raw not in NO:
                r.problem(keys[field], "Use Yes or No; blank means No.")
        return CleanGuardian(
            first_name=first_name,
            last_name=last_name,
            relationship=relationship,
            phone=phone,
            email=email,
            preferred_channel=channel,
            **consents,
        )
