"""Academics' tables: the timetable (timetable.py), attendance (attendance.py, interventions.py,
recovery.py, sis.py) and results (results.py, reports.py)."""

from .attendance import (
    AbsenceCode,
    AttendanceDaily,
    AttendanceMark,
    AttendancePolicy,
    Register,
)
from .interventions import Intervention, InterventionMeeting, LetterTemplate
from .recovery import RecoveryAssignment, RecoverySession
from .reports import CommentBank, ReportCard
from .results import (
    AssessmentComponent,
    GradeBand,
    GradeScale,
    ResultsLock,
    ResultsPolicy,
    Score,
    ScoreAmendment,
    ScoreRow,
    Subject,
    SubjectTeacher,
)
from .sis import SisConnection, SisLink, SyncRun
from .timetable import ScheduleSlot, SlotSeat, Weekday

__all__ = [
    "AbsenceCode",
    "AssessmentComponent",
    "AttendanceDaily",
    "AttendanceMark",
    "AttendancePolicy",
    "CommentBank",
    "GradeBand",
    "GradeScale",
    "Intervention",
    "InterventionMeeting",
    "LetterTemplate",
    "RecoveryAssignment",
    "RecoverySession",
    "Register",
    "ReportCard",
    "ResultsLock",
    "ResultsPolicy",
    "ScheduleSlot",
    "Score",
    "ScoreAmendment",
    "ScoreRow",
    "SisConnection",
    "SisLink",
    "SlotSeat",
    "Subject",
    "SubjectTeacher",
    "SyncRun",
    "Weekday",
]
