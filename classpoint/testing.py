"""Helpers for tests that make real concurrent clients (threads with their own DB connections)."""

import contextvars
import threading

from django.db import connection


def run_concurrently(work, chunks):
    """Run `work(chunk)` for each chunk in its own thread, all at once; returns the exceptions raised.

    Each thread closes its own database connection when done, so PostgreSQL sees separate sessions.
    Each runs in a copy of the caller's context, so it has the caller's tenancy scope (a new thread
    would otherwise start with none, and every school-scoped query would refuse).
    """
    errors = []
    start = threading.Barrier(len(chunks))

    def run(context, chunk):
        try:
            start.wait()
            context.run(work, chunk)
        except Exception as exc:  # noqa: BLE001 - collected for the test to assert on
            errors.append(exc)
        finally:
            connection.close()

    # One copy per thread: a context cannot be entered by two threads at once.
    threads = [threading.Thread(target=run, args=(contextvars.copy_context(), chunk)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
