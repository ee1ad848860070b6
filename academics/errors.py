"""The academics domain error, and the clash it most often carries.

A clash (two slots for one teacher, a full class) is not bad input: the request was well formed but
the timetable has moved on, so the API answers 409 and names who and which slot is in the way. The
workspace shows the same sentences beside the fields they concern.
"""

from dataclasses import dataclass

from classpoint.errors import DomainError


@dataclass(frozen=True)
class Conflict:
    """One reason a slot or a placement cannot be saved, in a sentence a registrar can act on.

    kind: "teacher" | "room" | "class" | "capacity" | "slot_capacity" | "time".
    field: the input it concerns (for the form and the API's `fields`).
    """

    kind: str
    message: str
    field: str = ""
    slot_id: int | None = None


class AcademicsError(DomainError):
    """Raised by academics services; the message is safe to show, `fields` point at the inputs."""

    code = "academics_invalid"
    # Codes that describe the timetable's state rather than the request's shape.
    CONFLICT_CODES = frozenset({"conflict", "slot_in_use"})

    def __init__(self, message, *, code=None, fields=None, conflicts=()):
        super().__init__(message, code=code, fields=fields)
        self.conflicts = list(conflicts)
        self.status_code = 409 if self.code in self.CONFLICT_CODES else 400

    @classmethod
    def from_conflicts(cls, conflicts):
        fields = {}
        for conflict in conflicts:
            fields.setdefault(conflict.field or "non_field_errors", []).append(conflict.message)
        message = " ".join(conflict.message for conflict in conflicts)
        return cls(message, code="conflict", fields=fields, conflicts=conflicts)
