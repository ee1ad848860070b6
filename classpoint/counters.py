from django.db import transaction
from django.db.models import F

from .models import Counter


def next_values(*, school, key, count):
    """`count` consecutive numbers at once (a bulk run), with the same guarantees as next_value."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_values() must be called inside the transaction that uses the numbers")
    Counter.objects.get_or_create(school=school, key=key)
    Counter.objects.filter(school=school, key=key).update(value=F("value") + count)
    last = Counter.objects.filter(school=school, key=key).values_list("value", flat=True).get()
    return range(last - count + 1, last + 1)


def next_value(*, school, key):
    """The next number of `key` in `school`: 1, 2, 3 ... without gaps.

    Must run inside the transaction that uses the number: the UPDATE locks the counter row until
    that transaction ends, so a concurrent caller waits and a rolled-back number is reused.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must be called inside the transaction that uses the number")
    Counter.objects.get_or_create(school=school, key=key)
    Counter.objects.filter(school=school, key=key).update(value=F("value") + 1)
    return Counter.objects.filter(school=school, key=key).values_list("value", flat=True).get()
