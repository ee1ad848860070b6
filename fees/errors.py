from classpoint.errors import DomainError, ErrorCode


class FeesErrorCode(ErrorCode):
    FEES_INVALID = "fees_invalid"  # the default, for an error raised without a specific code
    NOT_FOUND = "not_found"  # an object named in the input belongs to another school
    # Fee items and schedules
    INVALID_FEE_ITEM = "invalid_fee_item"
    DUPLICATE_CODE = "duplicate_code"  # another fee item of the school has this code
    NEGATIVE_AMOUNT = "negative_amount"
    INVALID_SCHEDULE = "invalid_schedule"
    CLASS_OR_LEVEL_REQUIRED = "class_or_level_required"  # a schedule is for one class group or one level
    LINES_REQUIRED = "lines_required"  # a schedule without a fee
    DUPLICATE_FEE = "duplicate_fee"  # one fee item twice on a schedule
    DUPLICATE_SCHEDULE = "duplicate_schedule"  # the term already has a schedule for the class or level
    SCHEDULE_IN_USE = "schedule_in_use"  # invoices were made from it
    INVALID_DISCOUNT_RULES = "invalid_discount_rules"
    INVALID_DUE_DAYS = "invalid_due_days"
    # Invoices
    NO_CLASS_GROUP = "no_class_group"  # the student is in no class group this term
    NO_SCHEDULE = "no_schedule"  # no fee schedule for the student's class group in the term
    ALREADY_INVOICED = "already_invoiced"
    DUE_DATE_PAST = "due_date_past"
    NOT_DRAFT = "not_draft"
    REASON_REQUIRED = "reason_required"
    ALREADY_VOID = "already_void"
    HAS_PAYMENTS = "has_payments"  # money was paid on the invoice
    NOT_PAYABLE = "not_payable"  # the invoice takes no credit in its status
    NO_CREDIT = "no_credit"  # the family has no credit to apply
    NOT_PLANNABLE = "not_plannable"  # the invoice cannot take an instalment plan in its status
    INVALID_PLAN = "invalid_plan"
    # Awards (scholarships and bursaries)
    INVALID_AWARD = "invalid_award"
    NOT_PENDING = "not_pending"
    NOT_APPROVED = "not_approved"
    APPROVER_REQUIRED = "approver_required"  # approved by a signed-in person only
    SAME_PERSON = "same_person"  # the award's requester cannot approve it
    AWARD_IN_USE = "award_in_use"


class FeesError(DomainError):
    """Raised by fees services; the message is safe to show, `fields` point at the inputs."""

    codes = FeesErrorCode
    code = FeesErrorCode.FEES_INVALID
