"""Every write to applications: keyword-only, atomic, audited; events emitted inside.

Status changes go through `_base.move`, which consults the one transition table and writes the
history row, the audit entry and `selfreg.status.updated` together; callers hold the application's
row lock. Files are checked before anything is written and deleted again if the transaction that
would have kept them fails, so a refused file is never kept.
"""

from ..checklist import missing_documents_for, requirements_for
from ._base import class_levels
from .admission import application_approve, application_convert
from .documents import document_add, document_review
from .duplicates import duplicate_resolve
from .intake import application_submit
from .settings import admission_number_preview, admission_pattern_set, document_requirements_set
from .status import application_transition, needs_info_link, needs_info_reply

__all__ = [
    "admission_number_preview",
    "admission_pattern_set",
    "application_approve",
    "application_convert",
    "application_submit",
    "application_transition",
    "class_levels",
    "document_add",
    "document_requirements_set",
    "document_review",
    "duplicate_resolve",
    "missing_documents_for",
    "needs_info_link",
    "needs_info_reply",
    "requirements_for",
]
