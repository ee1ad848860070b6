"""The tenant (School) and its people. Every row below School carries `school` and is reached from it.

One package of modules, one app ("schools"): import every name from `schools.models`, as settings
(SPECTACULAR_SETTINGS' enum paths) and the migrations (`schools.models.validate_slug`, the quiet-hours
defaults) do."""

from .calendar import AcademicSession, ClassGroup, Enrollment, Rollover, Term
from .imports import ImportJob
from .people import Guardian, StaffProfile, Student, StudentGuardian
from .tenancy import (
    RESERVED_SLUGS,
    SLUG_RE,
    Membership,
    Role,
    School,
    SchoolDomain,
    SchoolProfile,
    SchoolScoped,
    SchoolScopedManager,
    SchoolScopedQuerySet,
    StaffInvite,
    hostname_validator,
    validate_slug,
)

# Named by migration 0001 as `schools.models._default_quiet_*`.
from .tenancy import _default_quiet_end as _default_quiet_end
from .tenancy import _default_quiet_start as _default_quiet_start

__all__ = [
    "RESERVED_SLUGS",
    "SLUG_RE",
    "AcademicSession",
    "ClassGroup",
    "Enrollment",
    "Guardian",
    "ImportJob",
    "Membership",
    "Role",
    "Rollover",
    "School",
    "SchoolDomain",
    "SchoolProfile",
    "SchoolScoped",
    "SchoolScopedManager",
    "SchoolScopedQuerySet",
    "StaffInvite",
    "StaffProfile",
    "Student",
    "StudentGuardian",
    "Term",
    "hostname_validator",
    "validate_slug",
]
