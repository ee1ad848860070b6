from classpoint.errors import DomainError, ErrorCode


class SchoolsErrorCode(ErrorCode):
    SCHOOLS_INVALID = "schools_invalid"  # a model's own validation refused the fields named
    INVALID_SCHOOL = "invalid_school"  # provisioning input (slug, name, timezone, currency...)
    SLUG_TAKEN = "slug_taken"
    UNKNOWN_ROLE = "unknown_role"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    DUPLICATE_ADMISSION_NUMBER = "duplicate_admission_number"
    INVALID_PATTERN = "invalid_pattern"  # an admission number pattern without {SEQ}
    CONTACT_REQUIRED = "contact_required"  # a guardian with neither phone nor email
    GUARDIAN_NOT_FOUND = "guardian_not_found"
    SESSION_EXISTS = "session_exists"
    SESSION_NOT_FOUND = "session_not_found"
    TERM_EXISTS = "term_exists"
    DATES_OUT_OF_ORDER = "dates_out_of_order"
    CLASS_EXISTS = "class_exists"
    TEACHER_NOT_FOUND = "teacher_not_found"
    NOT_IN_SCHOOL = "not_in_school"  # a student, term or class group of another school
    ALREADY_ENROLLED = "already_enrolled"
    CLASS_FULL = "class_full"
    NO_FILE = "no_file"
    FILE_TOO_LARGE = "file_too_large"
    NOT_CSV = "not_csv"
    UNKNOWN_FILE = "unknown_file"  # an import's file key that is not this school's upload
    UNKNOWN_MODE = "unknown_mode"  # an import mode other than dry_run or import


class SchoolsError(DomainError):
    """Raised by schools services; the message is safe to show, `fields` point at the inputs."""

    codes = SchoolsErrorCode
    code = SchoolsErrorCode.SCHOOLS_INVALID
