"""CSV import speed and memory: a generated roll of N students (each with a guardian; siblings share
one) imported through the real pipeline, first import and re-import, on PostgreSQL. Peak Python
memory is traced (tracemalloc) so "flat as rows grow" can be checked by comparing --rows values.
The reference is the bare cost of the same rows: csv parsing plus one executemany INSERT into a
scratch table, in the same process.

    python bench/imports.py --rows 10000
    python bench/imports.py --rows 50000

Target: under 20 s each for 10,000 rows; peak memory not growing with rows.
"""

import argparse
import csv
import io
import json
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

SLUG = "bench-imports"
HEADER = [
    "Admission number",
    "First name",
    "Last name",
    "Date of birth",
    "Gender",
    "Class",
    "Guardian 1 first name",
    "Guardian 1 last name",
    "Guardian 1 phone",
    "Guardian 1 email",
]


def make_file(rows):
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for i in range(rows):
        family = i // 2  # siblings in pairs share a guardian
        w.writerow(
            [
                f"BI/{i:07d}",
                f"First{i}",
                f"Family{family}",
                f"{1 + i % 28:02d}/{1 + i % 12:02d}/2014",
                "f" if i % 2 else "m",
                f"Year {1 + i % 6}{'ABCD'[i % 4]}",
                "Parent",
                f"Family{family}",
                f"+23480{30000000 + family}",
                f"family{family}@example.ng",
            ]
        )
    return out.getvalue().encode()


def fresh_school():
    # A new school per run: tenant rows are protected from bulk deletion (the audit log keeps them).
    return _common.provision_bench_school(f"{SLUG}-{int(time.time() * 1000) % 10**9}", "Bench Imports")


def timed_import(school, data, name, trace=False):
    from django.core.files.base import ContentFile

    from schools.imports import pipeline
    from schools.imports.services import import_job_from_upload

    job = import_job_from_upload(school=school, actor=None, uploaded=ContentFile(data, name=name), mode="import")
    if trace:  # tracemalloc slows Python down several times: memory is measured on its own run
        tracemalloc.start()
    t0 = time.perf_counter()
    job = pipeline.run(job.pk)
    elapsed = time.perf_counter() - t0
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert job.status == "succeeded", job.message
    return job, elapsed, peak


def bare(data):
    from django.db import connection

    t0 = time.perf_counter()
    reader = csv.reader(io.StringIO(data.decode()))
    next(reader)
    rows = [(r[0], r[1], r[2]) for r in reader]
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_import_copy (admission_number text, first_name text, last_name text)")
        cur.executemany("INSERT INTO bench_import_copy VALUES (%s, %s, %s)", rows)
        cur.execute("DROP TABLE bench_import_copy")
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args()
    # As in production: with DEBUG on, Django keeps the last 9,000 statements (bulk INSERTs of 500
    # rows each) in memory, which would swamp the import's own figures.
    _common.production_like()
    url = _common.setup()
    from django.db import connection

    school = fresh_school()
    data = make_file(args.rows)
    first, first_s, _ = timed_import(school, data, "roll.csv")
    again, again_s, _ = timed_import(school, data, "roll.csv")
    traced = fresh_school()
    first_peak = timed_import(traced, data, "roll.csv", trace=True)[2]
    again_peak = timed_import(traced, data, "roll.csv", trace=True)[2]
    bare_s = bare(data)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "database": connection.vendor,
        "rows": args.rows,
        "file_mb": round(len(data) / 1e6, 2),
        "first_import_s": round(first_s, 2),
        "first_created": first.created_count,
        "first_peak_mib": round(first_peak / 2**20, 1),
        "reimport_s": round(again_s, 2),
        "reimport_unchanged": again.unchanged_count,
        "reimport_peak_mib": round(again_peak / 2**20, 1),
        "bare_parse_insert_s": round(bare_s, 3),
        "first_ratio_to_bare": round(first_s / bare_s, 1),
    }
    print(f"database: {url.rsplit('@', 1)[-1]}  rows: {args.rows}  file: {result['file_mb']} MB")
    r = result
    print(f"first import : {r['first_import_s']:>7} s  created {first.created_count}  peak {r['first_peak_mib']} MiB")
    print(
        f"re-import    : {r['reimport_s']:>7} s  unchanged {again.unchanged_count}  peak {r['reimport_peak_mib']} MiB"
    )
    print(
        f"bare parse + executemany insert: {result['bare_parse_insert_s']} s  (first import is "
        f"{result['first_ratio_to_bare']}x)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
