"""What the write steps of one run share: the school, the links, the tally, and the rows found so far
(the SIS's id -> the pupil or class group it is), so a later step never reads them again."""

from dataclasses import dataclass, field

from .links import Links
from .tally import Tally


@dataclass
class SyncContext:
    school: object
    adapter: str
    links: Links
    tally: Tally
    term: object = None  # the school's current term: enrollments are written in it
    students: dict = field(default_factory=dict)  # SIS id -> Student
    groups: dict = field(default_factory=dict)  # SIS id -> ClassGroup
