"""Fixed-window counters in the shared cache, counted atomically so that simultaneous requests
cannot all read "under the limit" before any of them is counted.

Take a slot before doing the work (`take`), and give it back if the work was refused for a reason
that should not count (`give_back`)."""

from django.core.cache import cache


def take(key, *, window):
    """Count one more use of `key` in its window (starting with the first use) and return the new count."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:
        # The window expired between add and incr: this use opens the next one. A racing request
        # may do the same and overwrite it, which loses one count, never lets a burst through.
        cache.set(key, 1, timeout=window)
        return 1


def give_back(key):
    try:
        cache.decr(key)
    except ValueError:  # the window has already expired
        pass


def used(key):
    return cache.get(key) or 0
