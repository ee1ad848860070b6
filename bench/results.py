"""Results at scale: one school of 2,000 pupils in 50 classes of 40, each level with 15 subjects
(12 core, 3 electives every pupil takes) and five assessment components, fully scored (some 150,000
cells), plus one class of 60 for the broadsheet. Measures, through the whole Django stack where a
user waits:

- saving a 40 x 5 grid (the API's PUT of every cell, each against the row version it read) —
  target p95 < 80 ms, with its ratio to the bare SQL that writes the same 200 cells;
- computing the whole term's report cards (2,000 pupils, every subject, positions) — target < 15 s,
  with its ratio to a bare SQL read of the same cells;
- the broadsheet of 60 pupils x 15 subjects (the workspace page) — target p95 < 100 ms.

    python bench/results.py --requests 100

The data is seeded once into the bench database (INSERT ... SELECT) and reused by later runs.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

SLUG = "bench-results"
LEVELS = 10
ARMS = 5  # 10 levels x 5 arms x 40 = 2,000 pupils
PER_CLASS = 40
WIDE_CLASS = 60
SUBJECTS = 15
ELECTIVES = 3
COMPONENTS = (("CA1", 10, 10), ("CA2", 10, 10), ("CA3", 10, 10), ("Project", 20, 10), ("Exam", 100, 60))


def _seeded(school):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM academics_score WHERE school_id = %s", [school.pk])
        return cur.fetchone()[0] > 0


def seed():
    from django.db import transaction

    with transaction.atomic():
        return _seed()


def _seed():
    from django.db import connection

    from academics.models import AssessmentComponent, Subject
    from academics.results.policy import policy_for
    from schools.models import ClassGroup, Enrollment, School, Student

    school = School.objects.filter(slug=SLUG).first()
    if school is not None and _seeded(school):
        return school
    t0 = time.perf_counter()
    school = school or _common.provision_bench_school(SLUG, "Bench Results")
    policy_for(school)
    term = school.current_term()
    groups = [
        ClassGroup.objects.create(school=school, name=f"Form {level}{arm}", level=f"Form {level}", capacity=60)
        for level in range(1, LEVELS + 1)
        for arm in "ABCDE"[:ARMS]
    ]
    wide = ClassGroup.objects.create(school=school, name="Form 1 wide", level="Form 1", capacity=60)
    rng = random.Random(14)
    students, enrollments = [], []
    for group in [*groups, wide]:
        size = WIDE_CLASS if group is wide else PER_CLASS
        for n in range(size):
            students.append(
                Student(
                    school=school,
                    admission_number=f"R/{group.pk}/{n:03d}",
                    first_name=f"Pupil{n}",
                    last_name=f"{group.name.replace(' ', '')}-{rng.randrange(10**6):06d}",
                )
            )
            enrollments.append((group, len(students) - 1))
    Student.objects.bulk_create(students, batch_size=1000)
    Enrollment.objects.bulk_create(
        [Enrollment(school=school, student=students[i], term=term, class_group=g) for g, i in enrollments],
        batch_size=1000,
    )
    for level in range(1, LEVELS + 1):
        Subject.objects.bulk_create(
            Subject(
                school=school,
                name=f"Subject {s + 1:02d}",
                code=f"S{s + 1:02d}",
                level=f"Form {level}",
                kind="elective" if s >= SUBJECTS - ELECTIVES else "core",
                position=s,
            )
            for s in range(SUBJECTS)
        )
    AssessmentComponent.objects.bulk_create(
        AssessmentComponent(school=school, term=term, name=name, max_score=high, weight=weight, position=i)
        for i, (name, high, weight) in enumerate(COMPONENTS)
    )
    with connection.cursor() as cur:
        # A row per pupil and subject of their level, then every cell scored (a few ABS).
        cur.execute(
            """
            INSERT INTO academics_scorerow (school_id, term_id, subject_id, student_id, class_group_id, version,
                                            updated_at)
            SELECT e.school_id, e.term_id, s.id, e.student_id, e.class_group_id, 1, now()
            FROM schools_enrollment e
            JOIN schools_classgroup g ON g.id = e.class_group_id
            JOIN academics_subject s ON s.school_id = e.school_id AND s.level = g.level
            WHERE e.school_id = %s
            """,
            [school.pk],
        )
        cur.execute(
            """
            INSERT INTO academics_score (school_id, row_id, component_id, value, absent)
            SELECT r.school_id, r.id, c.id,
                   CASE WHEN random() < 0.01 THEN NULL ELSE round((random() * c.max_score)::numeric, 1) END,
                   false
            FROM academics_scorerow r
            JOIN academics_assessmentcomponent c ON c.term_id = r.term_id
            WHERE r.school_id = %s
            """,
            [school.pk],
        )
        cur.execute("UPDATE academics_score SET absent = true WHERE school_id = %s AND value IS NULL", [school.pk])
        # As autovacuum would soon after a bulk load: plans made on empty-table statistics are not
        # what a school's database runs.
        for table in (
            "schools_student",
            "schools_enrollment",
            "academics_subject",
            "academics_scorerow",
            "academics_score",
        ):
            cur.execute(f"ANALYZE {table}")
    print(f"seeded in {time.perf_counter() - t0:.0f} s")
    return school


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup(args.database_url)
    school = seed()
    measure(school, args.requests, url)


def _grid_body(connection_rows, components, rng):
    """Every cell of a 40 x 5 grid re-scored, each row against the version it was read at."""
    rows = []
    for student_id, version, seen in connection_rows:
        cells = {}
        for component in components:
            new = f"{rng.randrange(int(component.max_score) * 2 + 1) / 2:g}"
            cells[str(component.id)] = {"seen": seen.get(component.id, ""), "new": new}
        rows.append({"student_id": student_id, "version": version, "cells": cells})
    return {"rows": rows}


def _grid_state(school, term, group, subject):
    from academics.models import ScoreRow
    from academics.results.selectors import cells_for

    versions = dict(
        ScoreRow.objects.for_school(school)
        .filter(term=term, subject=subject, class_group=group)
        .values_list("student_id", "version")
    )
    cells = cells_for(school=school, term=term, subject_ids=[subject.pk], student_ids=list(versions))
    return [
        (sid, version, {cid: str(cell) for cid, cell in cells.get(sid, {}).get(subject.pk, {}).items()})
        for sid, version in versions.items()
    ]


def _bare_grid_write(school, subject, state, components, rng):
    """The bare reference: the same 200 cells written by one UPDATE ... FROM (VALUES ...) and the
    40 row versions raised by one more, in one transaction, no ORM, no checks."""
    from django.db import connection, transaction

    values = []
    for student_id, _version, _seen in state:
        for component in components:
            values.append((student_id, component.id, rng.randrange(int(component.max_score) + 1)))
    with transaction.atomic(), connection.cursor() as cur:
        placeholders = ",".join(["(%s,%s,%s)"] * len(values))
        cur.execute(
            f"""
            UPDATE academics_score s SET value = v.value::numeric, absent = false
            FROM (VALUES {placeholders}) AS v(student_id, component_id, value), academics_scorerow r
            WHERE r.school_id = %s AND r.subject_id = %s AND r.student_id = v.student_id
              AND s.row_id = r.id AND s.component_id = v.component_id
            """,
            [x for row in values for x in row] + [school.pk, subject.pk],
        )
        cur.execute(
            "UPDATE academics_scorerow SET version = version + 1 WHERE school_id = %s AND subject_id = %s"
            " AND student_id = ANY(%s)",
            [school.pk, subject.pk, [sid for sid, _v, _s in state]],
        )


def _bare_cells_read(school, term):
    """The bare reference for computing cards: every cell of the term read with one SQL query and
    summed per pupil and subject in Python (no weights, grades or positions)."""
    from django.db import connection

    totals = {}
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT r.student_id, r.subject_id, c.max_score, c.weight, s.value
            FROM academics_score s JOIN academics_scorerow r ON r.id = s.row_id
            JOIN academics_assessmentcomponent c ON c.id = s.component_id
            WHERE r.school_id = %s AND r.term_id = %s
            """,
            [school.pk, term.pk],
        )
        for student_id, subject_id, high, weight, value in cur.fetchall():
            key = (student_id, subject_id)
            totals[key] = totals.get(key, 0) + (float(value or 0) / float(high) * float(weight))
    return len(totals)


def measure(school, requests, url):
    from django.test import Client

    from academics.models import Subject
    from academics.results import broadsheet, cards
    from academics.results.selectors import components_of

    term = school.current_term()
    slug = school.slug
    rng = random.Random(5)
    groups = list(school.class_groups.filter(name__startswith="Form").exclude(name="Form 1 wide").order_by("id"))
    wide = school.class_groups.get(name="Form 1 wide")
    components = components_of(school=school, term=term)
    client = Client()
    client.force_login(school.memberships.get(role__key="school_admin").user)
    results = {}

    # Saving a 40 x 5 grid through the API (PUT), then the bare SQL writing the same cells.
    group = groups[0]
    subject = Subject.objects.for_school(school).filter(level=group.level, kind="core").first()
    path = f"/api/v1/schools/{slug}/results/grids/{term.pk}/{group.pk}/{subject.pk}/"
    samples, bare = [], []
    for n in range(requests + 3):
        body = _grid_body(_grid_state(school, term, group, subject), components, rng)
        t0 = time.perf_counter()
        response = client.put(path, json.dumps(body), content_type="application/json")
        elapsed = time.perf_counter() - t0
        assert response.status_code == 200, response.content[:500]
        assert not response.json().get("conflicts"), response.json().get("conflicts")
        if n >= 3:
            samples.append(elapsed)
        state = _grid_state(school, term, group, subject)
        t0 = time.perf_counter()
        _bare_grid_write(school, subject, state, components, rng)
        if n >= 3:
            bare.append(time.perf_counter() - t0)
    results["grid_save"] = _common.summary_ms(samples)
    results["grid_save_bare_sql"] = _common.summary_ms(bare)

    # The whole term's report cards: every class's cards worked out (the publishing path's reads).
    t0 = time.perf_counter()
    pupils = 0
    for group in groups:
        pupils += len(cards.class_cards(school=school, term=term, class_group=group))
    results["cards_term_seconds"] = round(time.perf_counter() - t0, 2)
    results["cards_term_pupils"] = pupils
    t0 = time.perf_counter()
    results["cards_bare_pairs"] = _bare_cells_read(school, term)
    results["cards_bare_seconds"] = round(time.perf_counter() - t0, 2)

    # The broadsheet of the 60-pupil class (15 subjects): the workspace page, then the selector alone.
    page = f"/s/{slug}/results/cards/{term.pk}/{wide.pk}/broadsheet/"
    assert client.get(page).status_code == 200
    samples, selector = [], []
    for _ in range(requests):
        t0 = time.perf_counter()
        client.get(page)
        samples.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        broadsheet.broadsheet(school=school, term=term, class_group=wide)
        selector.append(time.perf_counter() - t0)
    results["broadsheet_page"] = _common.summary_ms(samples)
    results["broadsheet_selector"] = _common.summary_ms(selector)

    print(f"database: {url.rsplit('@', 1)[-1]}  pupils: {pupils}  date: {datetime.date.today()}")
    s, b = results["grid_save"], results["grid_save_bare_sql"]
    print(
        f"grid save 40x5 (API PUT)   p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms  "
        f"{s['p50_ms'] / max(b['p50_ms'], 0.001):.1f}x the bare SQL write (p50 {b['p50_ms']} ms)  (target p95 < 80 ms)"
    )
    print(
        f"term's report cards        {results['cards_term_seconds']:>7} s for {pupils} pupils  "
        f"{results['cards_term_seconds'] / max(results['cards_bare_seconds'], 0.001):.1f}x the bare SQL read "
        f"({results['cards_bare_seconds']} s)  (target < 15 s)"
    )
    s, b = results["broadsheet_page"], results["broadsheet_selector"]
    print(
        f"broadsheet 60x15 (page)    p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms  "
        f"(selector alone p50 {b['p50_ms']} ms)  (target p95 < 100 ms)"
    )
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
