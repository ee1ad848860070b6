"""The one interface both SIS adapters speak, and the records they return.

An adapter reads the SIS and hands back plain records in Classpoint's terms (a pupil, a guardian, a
class group, an enrollment, an attendance mark) with the SIS's own ids; it never touches the
database. The sync (sync.py) fetches everything first and writes afterwards, so a SIS that fails
half-way leaves nothing half-written.
"""

import datetime
from dataclasses import dataclass, field


class SisError(Exception):
    """The SIS could not be read or written: unreachable, the credentials refused, an answer that is
    not what the protocol says. The message is an operator's sentence (no secret in it)."""


class SisUnsupported(SisError):
    """The protocol has no such operation (OneRoster rostering carries no attendance)."""


@dataclass(frozen=True)
class SisStudent:
    external_id: str
    admission_number: str  # Aeries StudentID (PermanentID), OneRoster `identifier`: the match key
    first_name: str
    last_name: str
    other_names: str = ""
    date_of_birth: datetime.date | None = None
    gender: str = ""  # "female" | "male" | "" (unknown: left as it is)
    active: bool = True


@dataclass(frozen=True)
class SisContact:
    external_id: str
    student_ids: tuple  # the SIS ids of the pupils this person is a guardian of
    first_name: str
    last_name: str
    relationship: str = ""
    phone: str = ""
    email: str = ""
    primary_for: frozenset = field(default_factory=frozenset)  # pupils whose first contact this is


@dataclass(frozen=True)
class SisClassGroup:
    external_id: str
    name: str
    level: str
    active: bool = True


@dataclass(frozen=True)
class SisEnrollment:
    external_id: str
    student_id: str
    class_group_id: str
    active: bool = True


@dataclass(frozen=True)
class SisAbsenceCode:
    code: str
    label: str
    kind: str  # present | absent | excused | late (AbsenceCode.Kind)


@dataclass(frozen=True)
class SisMark:
    student_id: str  # the SIS's id of the pupil
    date: datetime.date
    code: str  # the day's code as the SIS writes it; "" = present


@dataclass
class Roster:
    """Everything one run reads before it writes. `complete`: the lists are the whole school, so a
    record missing from them has left; False for a delta (`since`), where only records marked
    inactive have."""

    students: list
    contacts: list
    class_groups: list
    enrollments: list
    absence_codes: list = field(default_factory=list)
    marks: list = field(default_factory=list)
    complete: bool = True


class SisAdapter:
    """What every adapter implements. Each call is one or more HTTP requests with a timeout, retried
    on a timeout or a 5xx (http.py); a SisError ends the run."""

    name = ""
    # Whether students(since=...) returns only what changed: a delta cannot say who has left.
    delta_roster = False

    def __init__(self, connection, *, secret, http):
        self.connection = connection
        self.secret = secret
        self.http = http

    def ping(self):
        """A cheap call proving the SIS answers and accepts the credentials; returns what it says."""
        raise NotImplementedError

    def school_info(self):
        """{"code", "name"} of the connection's school in the SIS; SisError if it has no such school."""
        raise NotImplementedError

    def students(self, since=None):
        raise NotImplementedError

    def contacts(self, since=None):
        raise NotImplementedError

    def class_groups(self, since=None):
        raise NotImplementedError

    def enrollments(self, since=None):
        raise NotImplementedError

    def absence_codes(self):
        raise NotImplementedError

    def attendance(self, since, until):
        """[SisMark] of the days from `since` to `until` (inclusive) that have a code."""
        raise NotImplementedError

    def push_attendance(self, marks):
        """Write [SisMark] to the SIS; returns [(mark, error message or None)], one per mark."""
        raise NotImplementedError

    @property
    def credentials_expire_at(self):
        """When the credentials in use stop working, if the protocol says (a OneRoster token)."""
        return None


def grade_label(grade):
    """A grade as the SIS writes it ("09", 9, "KG", 0) as a level a person reads ("Grade 9")."""
    text = str(grade if grade is not None else "").strip()
    special = {"0": "Kindergarten", "KG": "Kindergarten", "-1": "Transitional K", "TK": "Transitional K"}
    special |= {"-2": "Preschool", "PK": "Pre-kindergarten"}
    if text.upper() in special:
        return special[text.upper()]
    if text.lstrip("-").isdigit():
        return f"Grade {int(text)}"
    return f"Grade {text}" if text else ""


def parse_date(value):
    """A SIS date ("2013-05-01", "2013-05-01T00:00:00") or None."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
