from classpoint.errors import DomainError


class SchoolsError(DomainError):
    """Raised by schools services; the message is safe to show, `fields` point at the inputs."""

    code = "schools_invalid"
