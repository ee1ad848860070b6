"""The one table of application status moves. Services consult it before every change; anything
not listed is refused with a message naming both statuses, so the board, the API and the guardian's
upload link can never move an application where the admissions process does not go."""

from .errors import RegistrarError, RegistrarErrorCode
from .models import OPEN_STATUSES, Application

S = Application.Status

TRANSITIONS = {
    S.PENDING: {S.IN_REVIEW},
    S.IN_REVIEW: {S.NEEDS_INFO, S.APPROVED},
    S.NEEDS_INFO: {S.IN_REVIEW},
    S.APPROVED: {S.CONVERTED},
    S.CONVERTED: set(),
    S.REJECTED: set(),
    S.WITHDRAWN: set(),
}
# Rejected and withdrawn end an application from any open state.
for _status in OPEN_STATUSES:
    TRANSITIONS[_status] |= {S.REJECTED, S.WITHDRAWN}

_ORDER = [value for value, _label in S.choices]


def allowed_moves(status):
    """The statuses an application in `status` may move to, in the board's column order."""
    allowed = TRANSITIONS.get(status, set())
    return [value for value in _ORDER if value in allowed]


def label(status):
    # str(): the label is lazy (translated when shown), and callers join it into messages.
    return str(S(status).label) if status in S.values else str(status)


def check_move(from_status, to_status):
    """Raise RegistrarError("invalid_transition") unless the table allows from_status -> to_status."""
    if to_status not in S.values:
        raise RegistrarError(
            f"“{to_status}” is not an application status.",
            code=RegistrarErrorCode.INVALID_STATUS,
            fields={"to_status": [f"Choose one of: {', '.join(S.values)}."]},
        )
    if to_status in TRANSITIONS.get(from_status, set()):
        return
    moves = ", ".join(label(s) for s in allowed_moves(from_status)) or "nowhere: it is closed"
    message = (
        f"An application cannot move from {label(from_status)} to {label(to_status)} "
        f"(from {label(from_status)} it can go to {moves})."
    )
    raise RegistrarError(message, code=RegistrarErrorCode.INVALID_TRANSITION, fields={"to_status": [message]})
