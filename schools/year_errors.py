"""The school year's own refusals (class groups in use, the year-end rollover), on top of the schools
codes: a `YearError` is a `SchoolsError`, so every view and the API answer it the same way."""

from classpoint.errors import ErrorCode

from .errors import SchoolsError


class YearErrorCode(ErrorCode):
    YEAR_INVALID = "year_invalid"  # a rollover plan's own fields (names, dates, terms) refused
    CLASS_IN_USE = "class_in_use"  # a class group with enrolments or other records cannot be deleted
    ROLLOVER_NOT_READY = "rollover_not_ready"  # the school is not in its session's last term
    ROLLOVER_BLOCKED = "rollover_blocked"  # the outcome has problems (a class over capacity, no target)
    ROLLOVER_STALE = "rollover_stale"  # the roll changed since the dry run that was confirmed


class YearError(SchoolsError):
    codes = YearErrorCode
    code = YearErrorCode.YEAR_INVALID
