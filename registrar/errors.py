from classpoint.errors import DomainError, ErrorCode


class RegistrarErrorCode(ErrorCode):
    REGISTRAR_INVALID = "registrar_invalid"  # the class default, for a raise that names no code
    INVALID = "invalid"  # an API request whose fields do not validate
    NOT_FOUND = "not_found"  # an id in an API request that is not the school's
    SCHOOL_SUSPENDED = "school_suspended"
    INVALID_SOURCE = "invalid_source"  # an application's or a document's source is not one we know
    INVALID_APPLICATION = "invalid_application"  # the applicant's or guardians' fields need attention
    APPLICATION_CLOSED = "application_closed"
    INVALID_STATUS = "invalid_status"
    INVALID_TRANSITION = "invalid_transition"
    NEEDS_INFO_ITEMS_REQUIRED = "needs_info_items_required"
    NEEDS_INFO_ITEMS_TOO_LONG = "needs_info_items_too_long"  # too many items, or one too long
    NOT_WAITING = "not_waiting"  # a needs-info reply to an application no longer in needs_info
    HAS_PAYMENTS = "has_payments"  # unwinding an admission whose invoice has money paid on it
    INVALID_KIND = "invalid_kind"  # not a document kind
    NO_FILE = "no_file"
    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    UNSUPPORTED_TYPE = "unsupported_type"  # the file's first bytes are not a type this kind allows
    INVALID_REVIEW_STATUS = "invalid_review_status"  # a document is verified or rejected, nothing else
    NOTE_REQUIRED = "note_required"  # a rejected document needs the reason
    INVALID_DUPLICATE_ACTION = "invalid_duplicate_action"  # a possible duplicate is merged or dismissed
    ALREADY_RESOLVED = "already_resolved"
    CANNOT_MERGE = "cannot_merge"
    NO_TERM = "no_term"  # the application has no term and the school no current one
    NOT_PLACED = "not_placed"  # approving or converting an applicant with no class
    AUTOPAY_NEEDS_INVOICE = "autopay_needs_invoice"
    NO_FEE_SCHEDULE = "no_fee_schedule"  # invoicing a class with no fee schedule for the term
    INVOICE_REFUSED = "invoice_refused"  # fees refused the first invoice; the message gives fees' reason
    INVALID_REQUIREMENTS = "invalid_requirements"  # the checklist names an unknown level or document kind
    INVALID_PATTERN = "invalid_pattern"  # the admission number pattern would not make valid numbers


class RegistrarError(DomainError):
    """Raised by registrar services; the message is safe to show, `fields` point at the inputs."""

    codes = RegistrarErrorCode
    code = RegistrarErrorCode.REGISTRAR_INVALID
