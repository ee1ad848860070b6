"""The request pipeline's side of withdrawals (messaging/withdrawals.py): the per-school lock that
orders a request batch against a withdrawal, and which requests of a batch were already withdrawn.

Apart from pipeline.py so that both it and withdrawals.py can import this without importing each
other at load time."""

from django.db import connection

from .models import MessageWithdrawal

# Handling requests (shared) and a withdrawal (exclusive) take this lock per school, so a withdrawal
# cannot commit between a request batch reading "not withdrawn" and its messages committing: the
# withdrawal then finds those messages, or the batch finds the withdrawal. The number is this
# lock's own, apart from the single-key advisory locks elsewhere ("msgw").
WITHDRAWAL_LOCK = 0x6D736777


def lock_against_withdrawals(*, school, exclusive=False):
    """Hold the school's request/withdrawal lock until the transaction ends (PostgreSQL; SQLite has
    one writer at a time already)."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [WITHDRAWAL_LOCK, school.pk])


def withdrawn_requests(*, school, events):
    """{request event's dedupe key: reason} for the events whose request was withdrawn."""
    keys = {e.dedupe_key for e in events if e.dedupe_key}
    if not keys:
        return {}
    withdrawals = MessageWithdrawal.objects.for_school(school).filter(request_key__in=keys)
    return dict(withdrawals.values_list("request_key", "reason"))
