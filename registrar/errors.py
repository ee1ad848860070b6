from classpoint.errors import DomainError


class RegistrarError(DomainError):
    """Raised by registrar services; the message is safe to show, `fields` point at the inputs."""

    code = "registrar_invalid"
