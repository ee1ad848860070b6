"""The academics domain error, and the clash it most often carries.

A clash (two slots for one teacher, a full class) is not bad input: the request was well formed but
the timetable has moved on, so the API answers 409 and names who and which slot is in the way. The
workspace shows the same sentences beside the fields they concern.
"""

from dataclasses import dataclass

from classpoint.errors import DomainError, ErrorCode


class AcademicsErrorCode(ErrorCode):
    ACADEMICS_INVALID = "academics_invalid"  # a slot's fields, each named in `fields`
    CONFLICT = "conflict"  # 409: the timetable is in the way; `fields` say who and which slot
    SLOT_IN_USE = "slot_in_use"  # 409: pupils are seated in the slot
    NOT_EDITABLE = "not_editable"  # a slot field that cannot be changed
    INVALID_SLOT_IDS = "invalid_slot_ids"  # slot ids that are not numbers
    SLOT_NOT_FOUND = "slot_not_found"  # no such slot in this school
    SLOT_IN_OTHER_TERM = "slot_in_other_term"
    STUDENT_NOT_FOUND = "student_not_found"  # no such student in this school
    # Placing an applicant (registrar/placement.py raises the timetable's error).
    NOT_OPEN = "not_open"  # the application is no longer open to placement
    NO_TERM = "no_term"  # the school has no current term
    CLASS_GROUP_REQUIRED = "class_group_required"
    CLASS_GROUP_NOT_FOUND = "class_group_not_found"  # no such class group in this school
    # Attendance.
    REGISTER_IN_FUTURE = "register_in_future"  # a register for a day that has not come
    NOT_A_SCHOOL_DAY = "not_a_school_day"  # a weekday the school does not open
    LESSON_NOT_ON_DAY = "lesson_not_on_day"  # the lesson is of another class, term or weekday
    INVALID_MARKS = "invalid_marks"  # marks that name no pupil of the register or no code; `fields`
    REASON_REQUIRED = "reason_required"  # a change to a closed day's register, or a correction
    ALREADY_MARKED = "already_marked"  # 409: the pupil has a mark for that period in another register
    # Interventions.
    INTERVENTION_NOT_FOUND = "intervention_not_found"
    INTERVENTION_STATE = "intervention_state"  # 409: not in a state that allows the action
    OUTCOME_REQUIRED = "outcome_required"
    MEETING_INVALID = "meeting_invalid"
    LETTER_INVALID = "letter_invalid"
    SIS_NOT_CONFIGURED = "sis_not_configured"  # the school has no SIS connection
    REGISTER_NOT_FOUND = "register_not_found"
    MARK_NOT_FOUND = "mark_not_found"
    # Recovery sessions.
    RECOVERY_INVALID = "recovery_invalid"  # a session's fields, or a pupil who cannot take a seat; `fields`
    RECOVERY_FULL = "recovery_full"  # 409: not enough free seats for the pupils asked
    RECOVERY_CANCELLED = "recovery_cancelled"  # 409: the session is cancelled
    RECOVERY_TAKEN = "recovery_taken"  # 409: attendance was taken at the session (it cannot be cancelled)
    RECOVERY_IN_FUTURE = "recovery_in_future"  # attendance at a session whose day has not come
    ALREADY_ASSIGNED = "already_assigned"  # 409: the pupil is in another session at that time
    TEACHER_NOT_FOUND = "teacher_not_found"  # no such staff member in this school
    # Results.
    RESULTS_INVALID = "results_invalid"  # set-up fields (subjects, components, scales, policy); `fields`
    SUBJECT_NOT_FOUND = "subject_not_found"
    TERM_NOT_FOUND = "term_not_found"
    COMPONENT_IN_USE = "component_in_use"  # 409: scores were entered against the component
    SCORE_INVALID = "score_invalid"  # cells out of range or not a score; `fields` name each cell
    SCORE_CONFLICT = "score_conflict"  # 409: another save changed the cell since it was read
    NOT_YOUR_SUBJECT = "not_your_subject"  # a teacher's grid for a subject they do not teach
    RESULTS_LOCKED = "results_locked"  # 409: the class's term is locked; amend with a reason
    RESULTS_NOT_LOCKED = "results_not_locked"  # an amendment of a score that is not locked
    RESULTS_MISSING = "results_missing"  # 409: publishing while scores are missing; `fields` list them
    COMMENT_INVALID = "comment_invalid"
    REPORT_CARD_NOT_FOUND = "report_card_not_found"


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

    codes = AcademicsErrorCode
    code = AcademicsErrorCode.ACADEMICS_INVALID
    # Codes that describe the timetable's state rather than the request's shape.
    CONFLICT_CODES = frozenset(
        {
            AcademicsErrorCode.CONFLICT,
            AcademicsErrorCode.SLOT_IN_USE,
            AcademicsErrorCode.ALREADY_MARKED,
            AcademicsErrorCode.INTERVENTION_STATE,
            AcademicsErrorCode.RECOVERY_FULL,
            AcademicsErrorCode.RECOVERY_CANCELLED,
            AcademicsErrorCode.RECOVERY_TAKEN,
            AcademicsErrorCode.ALREADY_ASSIGNED,
            AcademicsErrorCode.COMPONENT_IN_USE,
            AcademicsErrorCode.SCORE_CONFLICT,
            AcademicsErrorCode.RESULTS_LOCKED,
            AcademicsErrorCode.RESULTS_MISSING,
        }
    )

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
        return cls(message, code=AcademicsErrorCode.CONFLICT, fields=fields, conflicts=conflicts)
