"""Students list with 100,000 students in one school: server time per request through the whole
Django stack (middleware, tenancy, view, template), against the bare SQL of the same page (count +
page query) in the same run.

    python bench/students_list.py --students 100000 --requests 200

Target: p95 < 80 ms.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

SLUG = "bench-school"


def ensure_school(n):
    from schools.models import School

    school = School.objects.filter(slug=SLUG).first()
    if school is None:
        school = _common.provision_bench_school(SLUG, "Bench School")
    have = school.students.count()
    if have < n:
        _common.seed_pupils(school, have=have, n=n, prefix="B", seed=7, chunk_size=10000)
    user = school.memberships.get(role__key="school_admin").user
    return school, user


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    school, user = ensure_school(args.students)
    group = school.class_groups.order_by("name").first()
    client = Client()
    client.force_login(user)
    scenarios = {
        "first page": "/s/{slug}/students/",
        "page 1500": "/s/{slug}/students/?page=1500",
        "class filter": f"/s/{{slug}}/students/?class_group={group.pk}",
        "search name": "/s/{slug}/students/?q=surname1234",
        "search + status": "/s/{slug}/students/?q=ada&status=active",
        "htmx fragment": "/s/{slug}/students/?q=bola&page=3",
    }
    for path in scenarios.values():  # warm up caches and connections
        client.get(path.format(slug=SLUG))
    results = {"date": time.strftime("%Y-%m-%d"), "database": connection.vendor, "students": school.students.count()}
    all_samples = []
    print(f"database: {url.rsplit('@', 1)[-1]}  students in school: {results['students']}")
    for name, path in scenarios.items():
        samples = []
        headers = {"HTTP_HX_REQUEST": "true"} if name == "htmx fragment" else {}
        for _ in range(args.requests // len(scenarios)):
            t0 = time.perf_counter()
            response = client.get(path.format(slug=SLUG), **headers)
            samples.append(time.perf_counter() - t0)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(path.format(slug=SLUG), **headers)
        s = _common.summary_ms(samples)
        s["queries"] = len(queries)
        results[name] = s
        all_samples += samples
        print(f"{name:<16} p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms  queries {s['queries']}")
    # Bare reference: the first page's two statements (count + page) as raw SQL, same connection.
    from schools import selectors

    qs = selectors.students_list(school=school, term=school.current_term())
    page_sql, page_params = qs[:25].query.sql_with_params()
    count_sql, count_params = qs.order_by().values("pk").query.sql_with_params()
    bare = []
    with connection.cursor() as cur:
        for _ in range(max(args.requests // len(scenarios), 20)):
            t0 = time.perf_counter()
            cur.execute(f"SELECT COUNT(*) FROM ({count_sql}) s", count_params)
            cur.fetchone()
            cur.execute(page_sql, page_params)
            cur.fetchall()
            bare.append(time.perf_counter() - t0)
    overall = _common.summary_ms(all_samples)
    bare_s = _common.summary_ms(bare)
    results["overall"] = overall
    results["bare_first_page_sql"] = bare_s
    results["first_page_ratio_to_bare_p50"] = round(results["first page"]["p50_ms"] / bare_s["p50_ms"], 2)
    print(f"{'all scenarios':<16} p50 {overall['p50_ms']:>7} ms  p95 {overall['p95_ms']:>7} ms")
    print(
        f"{'bare SQL (page 1)':<16} p50 {bare_s['p50_ms']:>6} ms  p95 {bare_s['p95_ms']:>7} ms"
        f"  -> full page is {results['first_page_ratio_to_bare_p50']}x the bare SQL"
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
