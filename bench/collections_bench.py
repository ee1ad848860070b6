"""Collections at scale: 200,000 past-due invoices in one school. Measures the defaulters API and
workspace page (server time through the whole stack), and the overdue scan over all of them.
Reference: the defaulters page's own SQL (totals per class from the running totals, the first page's
ids, those 50 rows) run raw on the same connection.

    python bench/collections_bench.py --invoices 200000 --requests 60

(Named collections_bench.py: a bench/collections.py would shadow the standard library's
`collections` module for every script in this folder.)

Targets: defaulters p95 < 100 ms; overdue scan < 30 s.
"""

import argparse
import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client

    from fees.collections import defaulters, overdue_scan, page_ids
    from fees.models import Invoice, OwingDelta
    from schools.models import Student

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    school = _common.provision_bench_school(f"bench-coll-{int(time.time() * 1000) % 10**9}", "Bench Collections")
    term, groups = school.current_term(), list(school.class_groups.all())
    t0 = time.perf_counter()
    start_day = datetime.date(2026, 9, 1)
    for start in range(0, args.invoices, 20_000):
        n = min(20_000, args.invoices - start)
        students = Student.objects.bulk_create(
            [
                Student(school=school, admission_number=f"C{start + i:07d}", first_name="C", last_name=f"N{start + i}")
                for i in range(n)
            ]
        )
        Invoice.objects.bulk_create(
            [
                Invoice(
                    school=school,
                    student=s,
                    term=term,
                    class_group=groups[i % len(groups)],
                    currency="NGN",
                    status="issued" if i % 3 else "partially_paid",
                    number=f"INV-B-{start + i:07d}",
                    subtotal_minor=10_000_000,
                    total_minor=10_000_000,
                    paid_minor=0 if i % 3 else 4_000_000,
                    issue_date=start_day,
                    due_date=start_day + datetime.timedelta(days=i % 60),
                )
                for i, s in enumerate(students)
            ]
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    setup_s = time.perf_counter() - t0
    today = datetime.date(2026, 11, 23)
    t0 = time.perf_counter()
    marked, emitted = overdue_scan(school=school, today=today)
    scan_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = overdue_scan(school=school, today=today)
    rescan_s = time.perf_counter() - t0

    client = Client()
    client.force_login(school.memberships.get(role__key="school_admin").user)
    slug = school.slug
    group = groups[0]
    scenarios = {
        "api page 1": f"/api/v1/schools/{slug}/defaulters/",
        "api class + 30 days": f"/api/v1/schools/{slug}/defaulters/?class_group={group.pk}&min_days_overdue=30",
        "api deep page": f"/api/v1/schools/{slug}/defaulters/?page={max(1, min(200, args.invoices // 50))}",
        "page": f"/s/{slug}/fees/defaulters/",
        "page class filter": f"/s/{slug}/fees/defaulters/?class_group={group.pk}",
    }
    for path in scenarios.values():
        status = client.get(path).status_code
        assert status == 200, (path, status)
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "database": connection.vendor,
        "invoices": args.invoices,
        "setup_s": round(setup_s, 1),
        "scan_s": round(scan_s, 2),
        "scan_marked": marked,
        "scan_reminders": emitted,
        "rescan_s": round(rescan_s, 2),
        "rescan": list(again),
    }
    print(f"database: {url.rsplit('@', 1)[-1]}  invoices: {args.invoices}")
    print(f"overdue scan: {scan_s:.2f} s ({marked} marked, {emitted} reminders); re-run {rescan_s:.2f} s {again}")

    def measure(label):
        """Every scenario, then the bare SQL reference (count + first page) on the same connection."""
        print(f"-- {label}")
        samples_all, part = [], {}
        for name, path in scenarios.items():
            samples = []
            for _ in range(args.requests // len(scenarios)):
                t0 = time.perf_counter()
                client.get(path)
                samples.append(time.perf_counter() - t0)
            part[name] = s = _common.summary_ms(samples)
            samples_all += samples
            print(f"{name:<22} p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms")
        # The page's own statements, raw: the totals per class from the running totals, the first
        # 50 ids, then those 50 rows with their student and class.
        qs = defaulters(school=school, today=today)
        totals_qs = (
            OwingDelta.objects.filter(school=school, due_date__lt=today)
            .values("class_group_id")
            .annotate(outstanding=Sum("outstanding_minor"), invoices=Sum("invoices"))
        )
        statements = [totals_qs.query.sql_with_params(), page_ids(qs)[:50].query.sql_with_params()]
        ids = list(page_ids(qs)[:50])
        statements.append(qs.filter(pk__in=ids).query.sql_with_params())
        bare = []
        with connection.cursor() as cur:
            for _ in range(20):
                t0 = time.perf_counter()
                for sql, params in statements:
                    cur.execute(sql, params)
                    cur.fetchall()
                bare.append(time.perf_counter() - t0)
        part["overall"], part["bare_sql"] = _common.summary_ms(samples_all), _common.summary_ms(bare)
        overall, ref = part["overall"], part["bare_sql"]
        print(
            f"{'all scenarios':<22} p50 {overall['p50_ms']:>7} ms  p95 {overall['p95_ms']:>7} ms  "
            f"(ratio to bare SQL p50: {overall['p50_ms'] / ref['p50_ms']:.2f})"
        )
        print(f"{'bare SQL (page 1)':<22} p50 {ref['p50_ms']:>7} ms  p95 {ref['p95_ms']:>7} ms")
        return part

    # Right after the scan every invoice row was just rewritten, so index-only scans still visit the
    # heap; autovacuum (triggered by that many updates) then sets the visibility map. Both are real
    # states of a school's morning: measured here one after the other.
    results["after_scan"] = measure("right after the overdue scan (visibility map not yet set)")
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) fees_invoice")
    results["vacuum_s"] = round(time.perf_counter() - t0, 2)
    results["after_vacuum"] = measure(f"after autovacuum's pass (VACUUM ANALYZE here, {results['vacuum_s']} s)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
