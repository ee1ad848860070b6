"""The registrar's day at scale: 1,000,000 applications across 500 schools, two years of KPI rows for
each, and 500,000 invoices. Measures server time through the whole Django stack (middleware, tenancy,
view, template) for the lead-queue fragment (one board column), the whole board page and the school
dashboard, against the lead queue's bare SQL run on the same connection in the same run.

    python bench/registrar.py --requests 200

The data is seeded once into the bench database (INSERT ... SELECT over generate_series, a few
minutes) and reused by later runs. Targets: lead-queue fragment p95 < 30 ms, board p95 < 80 ms,
dashboard p95 < 80 ms. Query counts per page are printed (and asserted constant in the tests).
"""

import argparse
import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

SLUG = "bench-registrar"
SCHOOLS = 500
PER_SCHOOL = 2_000  # 500 x 2,000 = 1,000,000 applications
INVOICES = 500_000
KPI_DAYS = 730
STATUSES = ["pending", "in_review", "needs_info", "approved", "converted", "rejected", "withdrawn"]
LEVELS = [f"Year {n}" for n in range(1, 7)]


def seed():
    """Seed once: the measured school (provisioned like a real one) plus 499 others, their
    applications, sinks and invoices. Returns the measured school."""
    from django.db import connection

    from schools.models import School

    school = School.objects.filter(slug=SLUG).first()
    if school is not None and school.profile is not None:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM registrar_application")
            if cur.fetchone()[0] >= SCHOOLS * PER_SCHOOL:
                return school
    t0 = time.perf_counter()
    if school is None:
        school = _common.provision_bench_school(SLUG, "Bench Registrar")
    others = SCHOOLS - 1
    School.objects.bulk_create(
        [School(slug=f"bench-reg-{i:03d}", name=f"Bench Registrar {i}") for i in range(others)], ignore_conflicts=True
    )
    others_ids = School.objects.filter(slug__startswith="bench-reg-").order_by("slug").values_list("pk", flat=True)
    ids = [school.pk, *others_ids][:SCHOOLS]
    statuses = "ARRAY[" + ",".join(f"'{s}'" for s in STATUSES) + "]"
    levels = "ARRAY[" + ",".join(f"'{lv}'" for lv in LEVELS) + "]"
    with connection.cursor() as cur:
        cur.execute("DELETE FROM registrar_application WHERE school_id = ANY(%s)", [ids])
        # Applications: 2,000 per school over the last two years, statuses spread the way a board looks
        # (most closed, a few hundred open), a few with duplicates or missing documents.
        cur.execute(
            f"""
            INSERT INTO registrar_application (
                school_id, reference, status, first_name, last_name, other_names, date_of_birth, gender,
                class_level, previous_school, notes, source, submitted_at, status_changed_at, updated_at,
                needs_info_items, open_duplicates, missing_documents, search_text)
            SELECT s.id, 'APP-' || lpad(g::text, 6, '0'),
                   CASE WHEN mod(g, 10) < 3 THEN ({statuses})[1 + (mod(g, 4))] ELSE ({statuses})[5 + (mod(g, 3))] END,
                   'Child' || g, 'Family' || (mod(g, 997)), '', DATE '2015-01-01' + (mod(g, 2000)),
                   CASE WHEN mod(g, 2) = 0 THEN 'female' ELSE 'male' END, ({levels})[1 + (mod(g, 6))], '', '', 'form',
                   now() - (g * interval '31 minutes'), now() - (g * interval '17 minutes'), now(),
                   '[]'::jsonb, (mod(g, 50) = 0)::int, (mod(g, 7) = 0)::int,
                   lower('child' || g || ' family' || (mod(g, 997)) || ' app-' || lpad(g::text, 6, '0') || ' +234803'
                         || lpad(g::text, 7, '0'))
            FROM unnest(%s::bigint[]) AS s(id) CROSS JOIN generate_series(1, {PER_SCHOOL}) AS g
            """,
            [ids],
        )
        # Two years of KPI sinks for every school.
        for table, columns, values in [
            (
                "registrar_registrationkpidaily",
                "leads, in_review, needs_info, approved, converted, rejected, withdrawn",
                "3 + mod(d, 5), 2, 1, 1, mod(d, 3), 0, 0",
            ),
            (
                "registrar_revenuedaily",
                "currency, collected_minor, payments, invoiced_minor, outstanding_minor, overdue_invoices",
                "'NGN', 100000 * (mod(d, 40)), mod(d, 9), 50000 * (mod(d, 13)), 90000000, mod(d, 50)",
            ),
        ]:
            cur.execute(f"DELETE FROM {table} WHERE school_id = ANY(%s)", [ids])
            cur.execute(
                f"""INSERT INTO {table} (school_id, day, {columns}, computed_at)
                    SELECT s.id, CURRENT_DATE - d, {values}, now()
                    FROM unnest(%s::bigint[]) AS s(id) CROSS JOIN generate_series(1, {KPI_DAYS}) AS d""",
                [ids],
            )
        # 500,000 invoices: 100,000 in the measured school (its dashboard's live figures read them) and
        # the rest spread over the others, each with its student.
        term_id = school.current_term().pk
        group_id = school.class_groups.order_by("pk").values_list("pk", flat=True).first()
        cur.execute("DELETE FROM fees_invoice WHERE school_id = %s", [school.pk])
        cur.execute("DELETE FROM schools_student WHERE school_id = %s", [school.pk])
        mine = INVOICES // 5
        cur.execute(
            f"""INSERT INTO schools_student (school_id, admission_number, first_name, last_name, other_names,
                    gender, status, created_at, updated_at)
                SELECT %s, 'R/' || lpad(g::text, 7, '0'), 'R', 'N' || g, '', '', 'active', now(), now()
                FROM generate_series(1, {mine}) AS g""",
            [school.pk],
        )
        cur.execute(
            """INSERT INTO fees_invoice (school_id, number, student_id, term_id, class_group_id, currency, status,
                    subtotal_minor, discount_minor, total_minor, paid_minor, issue_date, due_date, is_overdue,
                    void_reason, created_at, updated_at)
               SELECT st.school_id, 'INV-R-' || st.id, st.id, %s, %s, 'NGN',
                      CASE WHEN mod(st.id, 3) = 0 THEN 'paid' ELSE 'issued' END, 10000000, 0, 10000000,
                      CASE WHEN mod(st.id, 3) = 0 THEN 10000000 ELSE 0 END, CURRENT_DATE - 60,
                      CURRENT_DATE - (mod(st.id, 90))::int + 30, (mod(st.id, 90)) > 30, '', now(), now()
               FROM schools_student st WHERE st.school_id = %s""",
            [term_id, group_id, school.pk],
        )
        print(
            f"seeded {SCHOOLS} schools, {SCHOOLS * PER_SCHOOL} applications, {KPI_DAYS} days of KPIs each, "
            f"{mine} invoices in the measured school",
            flush=True,
        )
        _spread_invoices(cur, ids[1:], INVOICES - mine)
        cur.execute("ANALYZE")
    print(f"seeding took {time.perf_counter() - t0:.0f} s", flush=True)
    return school


def _spread_invoices(cur, school_ids, total):
    """The other schools' invoices: a term, a class and students of their own, 1,000 per school."""
    per = max(1, total // max(len(school_ids), 1))
    cur.execute(
        """INSERT INTO schools_academicsession (school_id, name, start_date, end_date, is_current)
           SELECT id, '2026/2027', DATE '2026-09-01', DATE '2027-07-31', true FROM unnest(%s::bigint[]) AS s(id)
           ON CONFLICT DO NOTHING""",
        [school_ids],
    )
    cur.execute(
        """INSERT INTO schools_term (school_id, session_id, name, start_date, end_date, is_current)
           SELECT se.school_id, se.id, 'First term', DATE '2026-09-01', DATE '2026-12-18', true
           FROM schools_academicsession se WHERE se.school_id = ANY(%s) ON CONFLICT DO NOTHING""",
        [school_ids],
    )
    cur.execute(
        """INSERT INTO schools_classgroup (school_id, name, level, capacity)
           SELECT id, 'Year 1A', 'Year 1', 40 FROM unnest(%s::bigint[]) AS s(id) ON CONFLICT DO NOTHING""",
        [school_ids],
    )
    cur.execute(
        f"""INSERT INTO schools_student (school_id, admission_number, first_name, last_name, other_names, gender,
                status, created_at, updated_at)
            SELECT s.id, 'O/' || lpad(g::text, 6, '0'), 'O', 'N' || g, '', '', 'active', now(), now()
            FROM unnest(%s::bigint[]) AS s(id) CROSS JOIN generate_series(1, {per}) AS g
            ON CONFLICT DO NOTHING""",
        [school_ids],
    )
    cur.execute(
        """INSERT INTO fees_invoice (school_id, number, student_id, term_id, class_group_id, currency, status,
                subtotal_minor, discount_minor, total_minor, paid_minor, issue_date, due_date, is_overdue,
                void_reason, created_at, updated_at)
           SELECT st.school_id, 'INV-O-' || st.id, st.id, t.id, c.id, 'NGN', 'issued', 5000000, 0, 5000000, 0,
                  CURRENT_DATE - 40, CURRENT_DATE - (mod(st.id, 60))::int + 20, (mod(st.id, 60)) > 20, '', now(), now()
           FROM schools_student st
           JOIN schools_term t ON t.school_id = st.school_id AND t.is_current
           JOIN schools_classgroup c ON c.school_id = st.school_id
           WHERE st.school_id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM fees_invoice i WHERE i.student_id = st.id)""",
        [school_ids],
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from registrar.selectors import column_page

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    school = seed()
    client = Client()
    client.force_login(school.memberships.get(role__key="school_admin").user)
    slug = school.slug
    scenarios = {
        "lead queue fragment": f"/s/{slug}/registrar/column/pending/",
        "board page": f"/s/{slug}/registrar/",
        "board filtered (stale)": f"/s/{slug}/registrar/?stale=1",
        "dashboard (30 days)": f"/s/{slug}/",
        "dashboard (365 days)": f"/s/{slug}/?period=365",
    }
    queries = {}
    for name, path in scenarios.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, HTTP_HX_REQUEST="true" if "fragment" in name else None)
        assert response.status_code == 200, (path, response.status_code)
        queries[name] = len(captured)
    reset_queries()
    results = {
        "date": datetime.date.today().isoformat(),
        "database": url.rsplit("/", 1)[1],
        "schools": SCHOOLS,
        "applications": SCHOOLS * PER_SCHOOL,
        "queries": queries,
    }
    for name, path in scenarios.items():
        samples = []
        headers = {"HTTP_HX_REQUEST": "true"} if "fragment" in name else {}
        for _ in range(args.requests):
            t0 = time.perf_counter()
            client.get(path, **headers)
            samples.append(time.perf_counter() - t0)
        results[name] = _common.summary_ms(samples)
    # The lead queue's bare SQL: the same query the fragment runs for its 25 cards, raw.
    sql, params = column_page(school=school, status="pending").query.sql_with_params()
    bare = []
    with connection.cursor() as cur:
        for _ in range(args.requests):
            t0 = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            bare.append(time.perf_counter() - t0)
    results["lead queue bare SQL"] = _common.summary_ms(bare)
    targets = {
        "lead queue fragment": 30,
        "board page": 80,
        "board filtered (stale)": 80,
        "dashboard (30 days)": 80,
        "dashboard (365 days)": 80,
    }
    print(f"database: {url.rsplit('@', 1)[-1]}  schools: {SCHOOLS}  applications: {SCHOOLS * PER_SCHOOL}")
    for name in [*scenarios, "lead queue bare SQL"]:
        s = results[name]
        target = f"  (target p95 < {targets[name]} ms)" if name in targets else ""
        count = f"  {queries[name]} queries" if name in queries else ""
        print(f"{name:<26} p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms{count}{target}")
    ratio = results["lead queue fragment"]["p50_ms"] / results["lead queue bare SQL"]["p50_ms"]
    results["fragment_to_bare_sql_p50"] = round(ratio, 1)
    print(f"lead queue fragment / its bare SQL (p50): {ratio:.1f}x")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
