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
    # People: invitations, members, roles and API tokens.
    ALREADY_MEMBER = "already_member"  # inviting (or accepting for) someone who is a member already
    INVITE_EXPIRED = "invite_expired"
    INVITE_USED = "invite_used"  # accepted already: a link works once
    INVITE_REVOKED = "invite_revoked"  # withdrawn, or replaced by a newer invitation
    LAST_ADMIN = "last_admin"  # the change would leave the school with nobody who can manage it
    NOT_ALLOWED_ON_SELF = "not_allowed_on_self"  # suspending or removing oneself
    ROLE_IN_USE = "role_in_use"
    ROLE_NOT_EDITABLE = "role_not_editable"  # a default role: copy it to change it
    ROLE_NAME_TAKEN = "role_name_taken"
    UNKNOWN_PERMISSION = "unknown_permission"  # a code the catalogue does not declare
    INVALID_PASSWORD = "invalid_password"
    TOKEN_REVOKED = "token_revoked"  # revoking a token that is revoked already


class SchoolsError(DomainError):
    """Raised by schools services; the message is safe to show, `fields` point at the inputs."""

    codes = SchoolsErrorCode
    code = SchoolsErrorCode.SCHOOLS_INVALID
