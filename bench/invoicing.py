"""Bulk invoicing: one term's invoices for N students (24 classes, schedules per class) through the
real batch (`fees.batches.invoice_batch_run`), on PostgreSQL, then the re-run that skips them all. Reference:
the same number of invoice rows bulk-inserted raw into a scratch table, same process.

    python bench/invoicing.py --students 5000

Target: under 20 s for 5,000 students.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=5000)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup()
    from django.db import connection

    from fees import batches, services
    from schools.models import Enrollment, Student

    school = _common.provision_bench_school(f"bench-inv-{int(time.time() * 1000) % 10**9}", "Bench Invoicing")
    term = school.current_term()
    groups = list(school.class_groups.all())
    items = [services.fee_item_create(school=school, actor=None, code=f"f{i}", name=f"Fee {i}") for i in range(4)]
    for group in groups:
        services.fee_schedule_create(
            school=school,
            actor=None,
            term=term,
            class_group=group,
            name=group.name,
            lines=[{"fee_item": item, "amount_minor": 1_000_000 * (i + 1)} for i, item in enumerate(items)],
        )
    students = Student.objects.bulk_create(
        [
            Student(school=school, admission_number=f"I{i:06d}", first_name="S", last_name=f"N{i}")
            for i in range(args.students)
        ]
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(school=school, student=s, term=term, class_group=groups[i % len(groups)])
            for i, s in enumerate(students)
        ]
    )
    runs = {}
    for label in ("first run", "re-run"):
        batch = batches.invoice_batch_create(school=school, actor=None, term=term)
        t0 = time.perf_counter()
        batch = batches.invoice_batch_run(batch.pk)
        runs[label] = (time.perf_counter() - t0, batch.created_count, batch.skipped_count)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_inv (number text, student_id bigint, total bigint)")
        cur.executemany(
            "INSERT INTO bench_inv VALUES (%s, %s, %s)",
            [(f"INV-{i}", s.pk, 10_000_000) for i, s in enumerate(students)],
        )
        cur.execute("DROP TABLE bench_inv")
    bare = time.perf_counter() - t0
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "database": connection.vendor,
        "students": args.students,
        "first_run_s": round(runs["first run"][0], 2),
        "created": runs["first run"][1],
        "rerun_s": round(runs["re-run"][0], 2),
        "skipped": runs["re-run"][2],
        "bare_insert_s": round(bare, 3),
        "ratio_to_bare": round(runs["first run"][0] / bare, 1),
    }
    print(f"database: {url.rsplit('@', 1)[-1]}  students: {args.students}")
    print(f"first run : {result['first_run_s']} s  created {result['created']} (4 lines each)")
    print(f"re-run    : {result['rerun_s']} s  skipped {result['skipped']}")
    print(f"bare executemany insert of the invoice rows: {result['bare_insert_s']} s  ({result['ratio_to_bare']}x)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
