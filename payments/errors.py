from classpoint.errors import DomainError, ErrorCode


class PaymentsErrorCode(ErrorCode):
    PAYMENTS_INVALID = "payments_invalid"  # the default, for an error raised without a specific code
    NOT_FOUND = "not_found"  # the transaction or proof is not in this school
    NOT_PAYABLE = "not_payable"  # the invoice takes no payment in its status
    NOTHING_DUE = "nothing_due"  # the invoice is paid
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    REASON_REQUIRED = "reason_required"
    # Pay links and gateways
    UNKNOWN_GATEWAY = "unknown_gateway"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"  # the gateway refused or did not answer, or has no key
    # Recorded payments
    DUPLICATE_REFERENCE = "duplicate_reference"  # the bank or counter reference is already recorded
    NOT_REVERSIBLE = "not_reversible"  # only a confirmed payment is reversed
    # Flagged payments
    NOT_FLAGGED = "not_flagged"
    ALREADY_RESOLVED = "already_resolved"
    ALREADY_CREDITED = "already_credited"  # the pay link was credited by another payment
    CURRENCY_MISMATCH = "currency_mismatch"  # the payment's currency is not the invoice's
    # Bank-transfer proofs
    DATE_REQUIRED = "date_required"  # the date of the transfer
    DATE_IN_FUTURE = "date_in_future"
    NO_FILE = "no_file"
    INVALID_FILE = "invalid_file"  # an empty file
    FILE_TOO_LARGE = "file_too_large"
    UNSUPPORTED_TYPE = "unsupported_type"  # not a PDF, JPEG or PNG, by its first bytes
    UNKNOWN_FILE = "unknown_file"  # no upload of this school's at that key
    DUPLICATE_FILE = "duplicate_file"  # the upload is attached to another proof
    ALREADY_REVIEWED = "already_reviewed"
    # Webhooks (answered by payments.views, not raised)
    GATEWAY_NOT_CONFIGURED = "gateway_not_configured"  # no key to verify the signature with
    BAD_SIGNATURE = "bad_signature"
    BAD_PAYLOAD = "bad_payload"


class PaymentsError(DomainError):
    codes = PaymentsErrorCode
    code = PaymentsErrorCode.PAYMENTS_INVALID
