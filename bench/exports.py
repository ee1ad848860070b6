"""Students export with guardians, 100,000 students in one school: the real "Export CSV" request
through the whole Django stack (middleware, tenancy, view, the access log entry, the streamed file
read to its end), against a bare reference in the same run: the same join as one raw SQL statement
(pupil, class this term, one record per guardian) read through a server-side cursor, folded into a
row per pupil by a plain loop and written with a plain `csv.writer`.

Rows per second are timed on runs without tracing; peak Python memory (tracemalloc) is measured on
separate runs, for one class (about 4,000 pupils) and for the whole school, so "flat as rows grow"
can be read off the same output.

    python bench/exports.py --students 100000

Target: peak memory the same for one class and the whole school; the same queries for both.
"""

import argparse
import csv
import json
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

SLUG = "bench-exports"


class Sink:
    """A file that counts what is written to it and keeps nothing (the network, for the reference)."""

    def __init__(self):
        self.size = 0

    def write(self, text):
        self.size += len(text)


def _two_guardians(chunk):
    """The mother (primary) and the father of each pupil in `chunk`."""
    from schools.models import Guardian, StudentGuardian

    school_id = chunk[0].school_id
    guardians = Guardian.objects.bulk_create(
        [
            Guardian(
                school_id=school_id,
                first_name=name,
                last_name=s.last_name,
                relationship=relationship,
                phone=f"+23480{30000000 + int(s.admission_number[2:]) * 2 + k}",
                email=f"{name.lower()}.{s.admission_number[2:]}@example.ng",
            )
            for s in chunk
            for k, (name, relationship) in enumerate((("Ngozi", "Mother"), ("Emeka", "Father")))
        ]
    )
    StudentGuardian.objects.bulk_create(
        [
            StudentGuardian(school_id=school_id, student=s, guardian=guardians[2 * i + k], is_primary=k == 0)
            for i, s in enumerate(chunk)
            for k in range(2)
        ]
    )


def ensure_school(n):
    from schools.models import School

    school = School.objects.filter(slug=SLUG).first()
    if school is None:
        school = _common.provision_bench_school(SLUG, "Bench Exports School")
    have = school.students.count()
    if have < n:
        _common.seed_pupils(school, have=have, n=n, prefix="E", seed=11, chunk_size=5000, then=_two_guardians)
    user = school.memberships.get(role__key="school_admin").user
    return school, user


def export(client, path, trace=False, count=False):
    """(rows, seconds, peak bytes, queries) of the export at `path`, read to its end. Queries are
    counted on a run of their own: the query log would add to the memory traced."""
    from django.db import connection

    connection.force_debug_cursor = count  # the log, without turning DEBUG on (Client resets it)
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 200 and response.streaming
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    elapsed = time.perf_counter() - t0
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    queries = len(connection.queries) if count else None
    connection.force_debug_cursor = False
    return lines - 1, elapsed, peak, queries


BARE_SQL = """
    SELECT s.id, s.admission_number, s.first_name, s.last_name, s.other_names, s.date_of_birth, s.gender, s.status,
           cg.name, g.first_name, g.last_name, g.relationship, g.phone, g.email
    FROM schools_student s
    LEFT JOIN schools_enrollment e ON e.student_id = s.id AND e.term_id = %s AND e.status = 'active'
    LEFT JOIN schools_classgroup cg ON cg.id = e.class_group_id
    LEFT JOIN schools_studentguardian sg ON sg.student_id = s.id
    LEFT JOIN schools_guardian g ON g.id = sg.guardian_id
    WHERE s.school_id = %s {extra}
    ORDER BY s.last_name, s.first_name, s.id, sg.is_primary DESC, sg.id
"""


def bare(school, class_group=None, trace=False):
    """The same rows from one raw statement through a server-side cursor into a plain csv.writer."""
    from django.db import connection, transaction

    term = school.current_term()
    extra, params = "", [term.pk, school.pk]
    if class_group is not None:
        extra, params = "AND e.class_group_id = %s", [*params, class_group.pk]
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    rows = 0
    with transaction.atomic(), connection.chunked_cursor() as cur:
        cur.execute(BARE_SQL.format(extra=extra), params)
        out = Sink()
        writer = csv.writer(out)
        out.write("\ufeff")
        writer.writerow(["Admission number", "First name", "Last name", "..."])
        current, row = None, None
        while batch := cur.fetchmany(2000):
            for pk, *student_and_class, g_first, g_last, relationship, phone, email in batch:
                if pk != current:
                    if row is not None:
                        writer.writerow(row)
                        rows += 1
                    current, row = pk, student_and_class
                if g_first is not None:
                    row += [g_first, g_last, relationship, phone, email]
        if row is not None:
            writer.writerow(row)
            rows += 1
    elapsed = time.perf_counter() - t0
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return rows, elapsed, peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup()
    from django.db import connection
    from django.test import Client

    school, user = ensure_school(args.students)
    group = school.class_groups.order_by("name").first()
    client = Client()
    client.force_login(user)
    whole, one_class = f"/s/{SLUG}/students/?format=csv", f"/s/{SLUG}/students/?class_group={group.pk}&format=csv"
    export(client, one_class)  # warm up: connections, templates, caches
    print(f"database: {url.rsplit('@', 1)[-1]}  students in school: {school.students.count()}")
    results = {"date": time.strftime("%Y-%m-%d"), "database": connection.vendor, "students": school.students.count()}

    timed = [export(client, whole) for _ in range(args.runs)]
    rows, seconds = timed[0][0], min(t[1] for t in timed)
    bare_timed = [bare(school) for _ in range(args.runs)]
    bare_rows, bare_seconds = bare_timed[0][0], min(t[1] for t in bare_timed)
    assert bare_rows == rows, (bare_rows, rows)
    queries = export(client, whole, count=True)[3]
    class_rows, _, _, class_queries = export(client, one_class, count=True)
    class_peak = export(client, one_class, trace=True)[2]
    whole_peak = export(client, whole, trace=True)[2]
    bare_class_peak = bare(school, group, trace=True)[2]
    bare_whole_peak = bare(school, trace=True)[2]

    results.update(
        rows=rows,
        export_seconds=round(seconds, 2),
        export_rows_per_s=round(rows / seconds),
        export_queries=queries,
        bare_seconds=round(bare_seconds, 2),
        bare_rows_per_s=round(bare_rows / bare_seconds),
        time_ratio_to_bare=round(seconds / bare_seconds, 2),
        class_rows=class_rows,
        class_queries=class_queries,
        export_peak_mib_class=round(class_peak / 2**20, 1),
        export_peak_mib_whole=round(whole_peak / 2**20, 1),
        bare_peak_mib_class=round(bare_class_peak / 2**20, 1),
        bare_peak_mib_whole=round(bare_whole_peak / 2**20, 1),
    )
    results["memory_ratio_to_bare_whole"] = round(whole_peak / max(bare_whole_peak, 1), 2)
    print(
        f"export (whole stack) {rows:>7} rows  {seconds:6.2f} s  {results['export_rows_per_s']:>7} rows/s"
        f"  queries {queries} (one class: {class_queries})"
    )
    print(
        f"bare SQL + csv       {bare_rows:>7} rows  {bare_seconds:6.2f} s  {results['bare_rows_per_s']:>7} rows/s"
        f"  -> export takes {results['time_ratio_to_bare']}x the bare time"
    )
    print(
        f"peak memory  export: one class ({class_rows} rows) {results['export_peak_mib_class']} MiB,"
        f" whole school {results['export_peak_mib_whole']} MiB;"
        f"  bare: {results['bare_peak_mib_class']} MiB, {results['bare_peak_mib_whole']} MiB"
        f"  -> {results['memory_ratio_to_bare_whole']}x the bare peak"
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
