from classpoint.errors import DomainError, ErrorCode


class MessagingErrorCode(ErrorCode):
    MESSAGING_ERROR = "messaging_error"  # the class default, for a raise that names no code
    INVALID_TEMPLATE = "invalid_template"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_CONSENT = "invalid_consent"
    INVALID_ANNOUNCEMENT = "invalid_announcement"
    ALREADY_PUBLISHED = "already_published"
    INVALID_GUARDIAN_LIST = "invalid_guardian_list"
    GUARDIAN_LIST_IN_USE = "guardian_list_in_use"  # announcements not sent yet are addressed to it
    NOT_RETRYABLE = "not_retryable"  # only a failed message can be retried
    NO_CONSENT = "no_consent"  # the guardian has not agreed to the message's channel


class MessagingError(DomainError):
    codes = MessagingErrorCode
    code = MessagingErrorCode.MESSAGING_ERROR
