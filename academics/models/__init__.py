"""Academics' tables: the timetable (timetable.py) and attendance (attendance.py)."""

from .attendance import (
    AbsenceCode,
    AttendanceDaily,
    AttendanceMark,
    AttendancePolicy,
    Register,
)
from .interventions import Intervention, InterventionMeeting, LetterTemplate
from .recovery import RecoveryAssignment, RecoverySession
from .sis import SisConnection, SisLink, SyncRun
from .timetable import ScheduleSlot, SlotSeat, Weekday

__all__ = [
    "AbsenceCode",
    "AttendanceDaily",
    "AttendanceMark",
    "AttendancePolicy",
    "Intervention",
    "InterventionMeeting",
    "LetterTemplate",
    "RecoveryAssignment",
    "RecoverySession",
    "Register",
    "ScheduleSlot",
    "SisConnection",
    "SisLink",
    "SlotSeat",
    "SyncRun",
    "Weekday",
]
