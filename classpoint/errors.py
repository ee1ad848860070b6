"""The base of every app's domain error: a stable code, a message safe to show, optional fields."""


class DomainError(Exception):
    code = "invalid"
    status_code = 400

    def __init__(self, message, *, code=None, fields=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
