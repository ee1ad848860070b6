"""What a run did, kind by kind, and the records it could not write (kept on the SyncRun)."""

from schools.errors import SchoolsError

from ..errors import AcademicsError

OUTCOMES = ("created", "updated", "unchanged", "failed", "linked", "ended")
KINDS = ("student", "guardian", "class_group", "enrollment", "attendance", "attendance_push")
# A record's own problem (bad phone, class full, duplicate number): counted, the run goes on.
RECORD_ERRORS = (SchoolsError, AcademicsError)


class Tally:
    def __init__(self, max_errors):
        self.counts = {kind: dict.fromkeys(OUTCOMES, 0) for kind in KINDS}
        self.errors = []
        self.error_count = 0
        self.max_errors = max_errors

    def add(self, kind, outcome, n=1):
        self.counts[kind][outcome] += n

    def fail(self, kind, external_id, message, n=1):
        self.counts[kind]["failed"] += n
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append({"kind": kind, "external_id": str(external_id)[:191], "message": str(message)[:500]})

    def record_error(self, kind, external_id, exc):
        """A service's refusal as one line: its message and the fields it names."""
        fields = getattr(exc, "fields", None) or {}
        details = "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in fields.items())
        self.fail(kind, external_id, f"{exc}" + (f" ({details})" if details else ""))

    def as_dict(self):
        return {kind: dict(values) for kind, values in self.counts.items() if any(values.values())}
