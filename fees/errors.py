from classpoint.errors import DomainError


class FeesError(DomainError):
    """Raised by fees services; the message is safe to show, `fields` point at the inputs."""

    code = "fees_invalid"
