"""Attendance at scale: one school of 2,000 pupils in 50 classes of 40, a past school year of lesson
registers (6 lessons a day, about 190 school days: some 2.3 million marks) and 499 other schools for
completeness. Measures, through the whole Django stack where a user would wait:

- submitting a 40-pupil register (the API's POST, first submissions) — target p95 < 60 ms;
- the register page of a 40-pupil class — target p95 < 40 ms (when the workspace page exists);
- the summary API over the school year from the daily sink — target p95 < 100 ms, with its ratio to
  the bare SQL aggregate over the sink in the same run;
- the interventions scan over the same year — target < 10 s;
- completeness for 500 schools (the metric's cross-school count) — target < 2 s.

    python bench/attendance.py --requests 100

The data is seeded once into the bench database (INSERT ... SELECT over generate_series, a few
minutes) and reused by later runs; the year's sink is written by the real `daily_aggregate`, timed.
"""

import argparse
import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

SLUG = "bench-attendance"
CLASSES = 50
PER_CLASS = 40  # 50 x 40 = 2,000 pupils
LESSONS = 6
OTHER_SCHOOLS = 499
YEAR_START, YEAR_END = datetime.date(2025, 9, 1), datetime.date(2026, 7, 24)
TERMS = [
    ("First term", datetime.date(2025, 9, 1), datetime.date(2025, 12, 19)),
    ("Second term", datetime.date(2026, 1, 5), datetime.date(2026, 4, 2)),
    ("Third term", datetime.date(2026, 4, 20), datetime.date(2026, 7, 24)),
]


def _seeded(school):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM academics_attendancemark WHERE school_id = %s", [school.pk])
        return cur.fetchone()[0] > 0


def seed():
    from django.db import transaction

    # All or nothing: a failed seed leaves no half school for the next run to trip on.
    with transaction.atomic():
        return _seed()


def _seed():
    """The measured school (provisioned like a real one), its pupils, last year's timetable and
    marks, this term's enrollments, and 499 small schools. Returns the school."""
    from django.db import connection

    from academics.attendance.codes import codes_for, policy_for
    from schools.models import AcademicSession, ClassGroup, School, StaffProfile, Term

    school = School.objects.filter(slug=SLUG).first()
    if school is not None and _seeded(school):
        return school
    t0 = time.perf_counter()
    school = school or _common.provision_bench_school(SLUG, "Bench Attendance")
    policy = policy_for(school)
    policy.mode = "both"
    policy.save()
    codes = {c.code: c.pk for c in codes_for(school)}
    past = AcademicSession.objects.create(
        school=school, name="2025/2026", start_date=YEAR_START, end_date=YEAR_END, is_current=False
    )
    terms = [
        Term.objects.create(school=school, session=past, name=name, start_date=start, end_date=end)
        for name, start, end in TERMS
    ]
    current = school.current_term()
    groups = ClassGroup.objects.bulk_create(
        [
            ClassGroup(school=school, name=f"Form {n:02d}", level=f"Level {1 + n % 6}", capacity=60)
            for n in range(CLASSES)
        ]
    )
    teachers = StaffProfile.objects.bulk_create(
        [StaffProfile(school=school, first_name="Teacher", last_name=f"{n:02d}") for n in range(CLASSES)]
    )
    for group, teacher in zip(groups, teachers, strict=True):
        group.form_teacher = teacher
    ClassGroup.objects.bulk_update(groups, ["form_teacher"])
    group_ids = [g.pk for g in groups]
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO schools_student (school_id, admission_number, first_name, last_name, other_names, gender,
                date_of_birth, status, created_at, updated_at)
            SELECT %s, 'BA/' || lpad(g::text, 5, '0'), 'Pupil' || g, 'Family' || mod(g, 397), '',
                   CASE WHEN mod(g, 2) = 0 THEN 'female' ELSE 'male' END, DATE '2013-01-01' + mod(g, 900),
                   'active', now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [school.pk, CLASSES * PER_CLASS],
        )
        # Each class's 40 pupils, enrolled in every term of last year and in this term.
        for term in [*terms, current]:
            cur.execute(
                """
                INSERT INTO schools_enrollment (school_id, student_id, term_id, class_group_id, status, created_at)
                SELECT %s, st.id, %s, (%s::bigint[])[1 + (row_number() OVER (ORDER BY st.id) - 1) / %s], 'active', now()
                FROM schools_student st WHERE st.school_id = %s
                """,
                [school.pk, term.pk, group_ids, PER_CLASS, school.pk],
            )
        # Last year's timetable: 6 lessons a weekday for every class, in every term.
        for term in terms:
            cur.execute(
                """
                INSERT INTO academics_scheduleslot (school_id, term_id, class_group_id, subject, teacher_id, weekday,
                    start_time, end_time, room, capacity)
                SELECT %s, %s, c, 'Subject ' || l, NULL, d, make_time(7 + l, 0, 0), make_time(7 + l, 50, 0), '', NULL
                FROM unnest(%s::bigint[]) AS c, generate_series(1, 5) AS d, generate_series(1, %s) AS l
                """,
                [school.pk, term.pk, group_ids, LESSONS],
            )
        # One lesson register per slot and school day of its term.
        cur.execute(
            """
            INSERT INTO academics_register (school_id, date, term_id, class_group_id, slot_id, teacher_id,
                submitted_at, submitted_by_id, updated_at, updated_by_id)
            SELECT s.school_id, d::date, s.term_id, s.class_group_id, s.id, NULL, d + s.start_time, NULL, NULL, NULL
            FROM academics_scheduleslot s JOIN schools_term t ON t.id = s.term_id
            CROSS JOIN LATERAL generate_series(t.start_date, t.end_date, interval '1 day') AS d
            WHERE s.school_id = %s AND t.session_id = %s AND extract(isodow FROM d) = s.weekday
            """,
            [school.pk, past.pk],
        )
        # Every pupil's mark in each lesson: mostly present, about 3% absent, 1% excused, 3% late.
        cur.execute(
            """
            INSERT INTO academics_attendancemark (school_id, register_id, student_id, date, slot_id, code_id, kind,
                minutes_late, note, marked_at, marked_by_id)
            SELECT r.school_id, r.id, e.student_id, r.date, r.slot_id,
                   CASE WHEN h < 3 THEN %s WHEN h < 4 THEN %s WHEN h < 7 THEN %s ELSE %s END,
                   CASE WHEN h < 3 THEN 'absent' WHEN h < 4 THEN 'excused' WHEN h < 7 THEN 'late' ELSE 'present' END,
                   CASE WHEN h >= 4 AND h < 7 THEN 5 + mod(h * 7 + e.student_id::int, 50) END, '', r.submitted_at, NULL
            FROM academics_register r
            JOIN schools_enrollment e ON e.term_id = r.term_id AND e.class_group_id = r.class_group_id
            CROSS JOIN LATERAL (SELECT mod(abs(hashint8(e.student_id * 100003 + (r.date - DATE '2000-01-01')
                                                        + r.slot_id))::bigint, 100)::int AS h) AS x
            WHERE r.school_id = %s
            """,
            [codes["A"], codes["E-ILL"], codes["L"], codes["P"], school.pk],
        )
    # 499 other schools with a term, a class and a pupil on roll (completeness reads them all).
    School.objects.bulk_create(
        [School(slug=f"bench-att-{i:03d}", name=f"Bench Attendance {i}") for i in range(OTHER_SCHOOLS)],
        ignore_conflicts=True,
    )
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM schools_school WHERE slug LIKE 'bench-att-%%' ORDER BY slug")
        others = [row[0] for row in cur.fetchall()]
        cur.execute(
            """
            INSERT INTO schools_academicsession (school_id, name, start_date, end_date, is_current)
            SELECT id, '2026/2027', DATE '2026-09-01', DATE '2027-07-31', true FROM unnest(%s::bigint[]) AS id;
            INSERT INTO schools_term (school_id, session_id, name, start_date, end_date, is_current)
            SELECT s.school_id, s.id, 'First term', DATE '2026-09-01', DATE '2026-12-18', true
            FROM schools_academicsession s WHERE s.school_id = ANY(%s);
            INSERT INTO schools_classgroup (school_id, name, level, capacity)
            SELECT id, 'JSS 1' || c, 'JSS 1', 40 FROM unnest(%s::bigint[]) AS id, unnest(ARRAY['A','B','C']) AS c;
            INSERT INTO schools_student (school_id, admission_number, first_name, last_name, other_names, gender,
                date_of_birth, status, created_at, updated_at)
            SELECT c.school_id, 'S' || c.id, 'Pupil', 'One', '', 'female', DATE '2013-01-01', 'active', now(), now()
            FROM schools_classgroup c WHERE c.school_id = ANY(%s);
            INSERT INTO schools_enrollment (school_id, student_id, term_id, class_group_id, status, created_at)
            SELECT st.school_id, st.id, t.id, c.id, 'active', now()
            FROM schools_student st JOIN schools_term t ON t.school_id = st.school_id
            JOIN schools_classgroup c ON c.school_id = st.school_id AND 'S' || c.id = st.admission_number
            WHERE st.school_id = ANY(%s);
            """,
            [others, others, others, others, others],
        )
        cur.execute("ANALYZE")
    print(f"seeded in {time.perf_counter() - t0:.0f} s")
    return school


def _school_days(start, end, count):
    """The last `count` weekdays on or before `end`, not before `start` (oldest first)."""
    days, day = [], end
    while day >= start and len(days) < count:
        if day.isoweekday() <= 5:
            days.append(day)
        day -= datetime.timedelta(days=1)
    return sorted(days)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from academics.attendance.completeness import missing_by_school
    from academics.attendance.daily import daily_aggregate
    from academics.interventions.scan import interventions_scan
    from academics.models import AttendanceDaily, Intervention, Register
    from classpoint.scoping import for_school, unscoped
    from schools.models import School

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    with unscoped(reason="the benchmark seeds its schools as an operator would"):
        school = seed()
    results = {"date": datetime.date.today().isoformat(), "database": url.rsplit("/", 1)[1]}
    with for_school(school):
        # The year's sink, by the real aggregation (idempotent: a rerun rewrites the same rows).
        t0 = time.perf_counter()
        rows = daily_aggregate(school=school, start=YEAR_START, end=YEAR_END)
        results["sink_year_seconds"] = round(time.perf_counter() - t0, 2)
        results["sink_rows"] = rows
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM academics_attendancemark WHERE school_id = %s", [school.pk])
            results["marks"] = cur.fetchone()[0]

        # The interventions scan over the year (drafts once; a rerun finds them there: both timed).
        Intervention.objects.for_school(school).delete()
        t0 = time.perf_counter()
        first = interventions_scan(school=school, date=YEAR_END)
        results["scan_first_seconds"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        interventions_scan(school=school, date=YEAR_END)
        results["scan_again_seconds"] = round(time.perf_counter() - t0, 2)
        results["scan_drafted"] = first["created"]

    client = Client()
    client.force_login(school.memberships.get(role__key="school_admin").user)
    slug = school.slug

    # The summary over the school year, from the sink.
    summary_samples, bare = {}, []
    for group_by in ("week", "class_group"):
        path = f"/api/v1/schools/{slug}/attendance/summary/?from={YEAR_START}&to={YEAR_END}&group_by={group_by}"
        assert client.get(path).status_code == 200
        samples = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            client.get(path)
            samples.append(time.perf_counter() - t0)
        summary_samples[group_by] = _common.summary_ms(samples)
    with connection.cursor() as cur:
        for _ in range(args.requests):
            t0 = time.perf_counter()
            cur.execute(
                """SELECT date_trunc('week', date), sum(on_roll), sum(marked), sum(present), sum(absent),
                          sum(excused), sum(late), sum(attended)
                   FROM academics_attendancedaily WHERE school_id = %s AND date BETWEEN %s AND %s GROUP BY 1""",
                [school.pk, YEAR_START, YEAR_END],
            )
            cur.fetchall()
            bare.append(time.perf_counter() - t0)
    results["summary"] = summary_samples
    results["summary_bare_sql"] = _common.summary_ms(bare)

    # Submitting 40-pupil registers: first submissions of this term's recent days, one class each.
    today = school.local_today()
    # The script's own reads between requests name their school (a request's scope ends with it).
    with for_school(school):
        term = school.current_term()
        Register.objects.for_school(school).filter(term=term).delete()
        AttendanceDaily.objects.for_school(school).filter(date__gte=term.start_date).delete()
        groups = list(school.class_groups.filter(name__startswith="Form ").order_by("name"))
        days = _school_days(term.start_date, min(today, term.end_date), max(1, -(-args.requests // len(groups))))
        pupils = {g.pk: list(g.enrollments.filter(term=term).values_list("student_id", flat=True)) for g in groups}
    submit = []
    for i, (day, group) in enumerate((d, g) for d in days for g in groups):
        if i >= args.requests:
            break
        ids = pupils[group.pk]
        marks = [{"student": ids[0], "code": "A"}, {"student": ids[1], "code": "L", "minutes_late": 20}]
        body = {"class_group": group.pk, "date": day.isoformat(), "marks": marks}
        t0 = time.perf_counter()
        response = client.post(f"/api/v1/schools/{slug}/attendance/registers/", body, content_type="application/json")
        submit.append(time.perf_counter() - t0)
        assert response.status_code == 201, response.content[:300]
    results["register_submit_40"] = _common.summary_ms(submit)

    # The register page of a 40-pupil class (the workspace's page, once it exists).
    try:
        page = reverse("attendance-register", args=[slug, groups[0].pk, days[-1].isoformat()])
    except NoReverseMatch:
        page = None
    if page:
        assert client.get(page).status_code == 200
        samples = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            client.get(page)
            samples.append(time.perf_counter() - t0)
        results["register_page_40"] = _common.summary_ms(samples)

    # Completeness across 500 schools (the metric's count), and its bare reference: counting
    # today's submitted registers of every school in one statement.
    with unscoped(reason="how many schools completeness reads"):
        schools = School.objects.filter(status="active").count()
    samples, bare_done = [], []
    for _ in range(max(5, args.requests // 10)):
        t0 = time.perf_counter()
        missing_by_school()
        samples.append(time.perf_counter() - t0)
        with connection.cursor() as cur:
            t0 = time.perf_counter()
            cur.execute("SELECT school_id, count(*) FROM academics_register WHERE date = %s GROUP BY 1", [today])
            cur.fetchall()
            bare_done.append(time.perf_counter() - t0)
    results["completeness_schools"] = schools
    results["completeness"] = _common.summary_ms(samples)
    results["completeness_bare_sql"] = _common.summary_ms(bare_done)

    print(f"database: {url.rsplit('@', 1)[-1]}  pupils: {CLASSES * PER_CLASS}  marks: {results['marks']:,}")
    print(f"sink for the year: {results['sink_rows']} rows in {results['sink_year_seconds']} s")
    print(
        f"interventions scan over the year: {results['scan_first_seconds']} s first "
        f"(drafted {results['scan_drafted']}), {results['scan_again_seconds']} s again  (target < 10 s)"
    )
    for group_by, s in summary_samples.items():
        ratio = s["p50_ms"] / results["summary_bare_sql"]["p50_ms"]
        print(
            f"summary by {group_by:<12} p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms  "
            f"{ratio:.1f}x the bare SQL aggregate (p50)  (target p95 < 100 ms)"
        )
    b = results["summary_bare_sql"]
    print(f"summary bare SQL         p50 {b['p50_ms']:>7} ms  p95 {b['p95_ms']:>7} ms")
    s = results["register_submit_40"]
    print(f"register submit (40)     p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms  (target p95 < 60 ms)")
    if "register_page_40" in results:
        s = results["register_page_40"]
        print(f"register page (40)       p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms  (target p95 < 40 ms)")
    s, b = results["completeness"], results["completeness_bare_sql"]
    print(
        f"completeness, {schools} schools: p50 {s['p50_ms']} ms  p95 {s['p95_ms']} ms  (target < 2 s); "
        f"bare count of today's registers p50 {b['p50_ms']} ms ({s['p50_ms'] / max(b['p50_ms'], 0.001):.1f}x)"
    )
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
