"""`classpoint_sis_sync_operations_total{adapter,result}`: SIS sync runs by adapter and result
(succeeded, failed, dry_run), across every school.

A counter, read from the SyncRun log at scrape time rather than incremented in memory: the runs
happen in the task cluster's processes, which nobody scrapes, and every web node must report the same
figure (as the outbox's counters do). The log is never pruned, so the figure only grows.
"""

from django.db import connection
from django.db.models import Count
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily

from classpoint.scoping import unscoped

NAME = "classpoint_sis_sync_operations"
RESULTS = ("succeeded", "failed", "dry_run")


def run_counts():
    """{(adapter, result): runs} of the finished runs."""
    from ..models import SyncRun

    with unscoped(reason="the platform's metrics count every school's SIS sync runs"):
        rows = SyncRun.objects.filter(status__in=RESULTS).order_by().values_list("adapter", "status")
        return {(adapter, status): n for adapter, status, n in rows.annotate(n=Count("id"))}


class SisSyncCollector:
    def describe(self):
        # The name only: registering must not query the database (it runs at import).
        yield CounterMetricFamily(NAME, "", labels=["adapter", "result"])

    def collect(self):
        try:
            counts = run_counts()
        except Exception:  # noqa: BLE001 - no table yet (before migrate) or database down: report nothing
            connection.close_if_unusable_or_obsolete()
            return
        family = CounterMetricFamily(NAME, "SIS sync runs by adapter and result.", labels=["adapter", "result"])
        for (adapter, result), n in sorted(counts.items()):
            family.add_metric([adapter, result], n)
        yield family


_collector = SisSyncCollector()
try:
    REGISTRY.register(_collector)
except ValueError:  # already registered (module re-import in tests)
    pass
