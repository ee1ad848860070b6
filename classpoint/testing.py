"""Helpers for tests: real concurrent clients (threads with their own DB connections), and code run
in a fresh interpreter with the production settings."""

import contextvars
import os
import subprocess
import sys
import threading

from django.conf import settings
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


def in_a_fresh_process(code, env=None):
    """Runs Python `code` in a new interpreter with the real settings module (not the test settings)
    and this process's environment changed by `env` (a None value removes a variable): how a node
    reads its settings at start. Returns the CompletedProcess; its stdout's last line is what the
    code printed last."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "classpoint.settings"}
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(  # noqa: S603 - the test's own code, no shell
        [sys.executable, "-c", code], env=environment, cwd=settings.BASE_DIR, capture_output=True, text=True
    )


def last_line(run):
    return run.stdout.strip().splitlines()[-1]
