from classpoint.errors import DomainError


class PaymentsError(DomainError):
    code = "payments_invalid"
