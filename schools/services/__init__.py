"""Every write to schools and their people. Keyword-only, atomic, audited; events emitted inside.

One module per entity; callers import from here (`from schools import services`,
`from schools.services import student_create`).
"""

from .admission_numbers import admission_number_allocate, admission_number_render
from .calendar import session_create, term_create, term_update
from .classes import class_group_create, class_group_update, enrollment_create, enrollment_update
from .people import guardian_create, guardian_link, guardian_update, staff_create, student_create, student_update
from .schools import api_token_create, membership_grant, roles_seed, school_provision

__all__ = [
    "admission_number_allocate",
    "admission_number_render",
    "api_token_create",
    "class_group_create",
    "class_group_update",
    "enrollment_create",
    "enrollment_update",
    "guardian_create",
    "guardian_link",
    "guardian_update",
    "membership_grant",
    "roles_seed",
    "school_provision",
    "session_create",
    "staff_create",
    "student_create",
    "student_update",
    "term_create",
    "term_update",
]
