from classpoint.errors import DomainError


class MessagingError(DomainError):
    code = "messaging_error"
