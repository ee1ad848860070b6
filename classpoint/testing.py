"""Helpers for tests that make real concurrent clients (threads with their own DB connections)."""

import threading

from django.db import connection


def run_concurrently(work, chunks):
    """Run `work(chunk)` for each chunk in its own thread, all at once; returns the exceptions raised.

    Each thread closes its own database connection when done, so PostgreSQL sees separate sessions.
    """
    errors = []
    start = threading.Barrier(len(chunks))

    def run(chunk):
        try:
            start.wait()
            work(chunk)
        except Exception as exc:  # noqa: BLE001 - collected for the test to assert on
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
