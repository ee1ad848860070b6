"""Academics' tables: the timetable (timetable.py) and attendance (attendance.py)."""

from .attendance import (
    AbsenceCode,
    AttendanceDaily,
    AttendanceMark,
    AttendancePolicy,
    Register,
)
from .timetable import ScheduleSlot, SlotSeat, Weekday

__all__ = [
    "AbsenceCode",
    "AttendanceDaily",
    "AttendanceMark",
    "AttendancePolicy",
    "Register",
    "ScheduleSlot",
    "SlotSeat",
    "Weekday",
]
