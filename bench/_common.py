"""Shared set-up for the benchmark scripts: a dedicated PostgreSQL database (never your dev data),
migrated, with Django configured. Run from the repository root: `python bench/<script>.py`."""

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/classpoint_bench"
_OPERATOR_SCOPE = None


def production_like():
    """DEBUG off (no query log swamping memory or time), no 2FA for the bench's forced logins."""
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdef")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["CLASSPOINT_REQUIRE_2FA"] = "false"


def setup(database_url=None):
    url = database_url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "classpoint.settings")
    os.environ.setdefault("CLASSPOINT_REQUIRE_2FA", "false")
    os.environ.setdefault("OUTBOX_NUDGE_ON_COMMIT", "false")
    sys.path.insert(0, str(ROOT))
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[1]
        exists = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname='{name}'",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    if not settings.DEBUG:
        # Pages rendered with DEBUG off name their static files through the manifest: a fresh
        # checkout has none until it is collected.
        call_command("collectstatic", interactive=False, verbosity=0)
    # The script itself seeds and reads as an operator would, across schools; each request through
    # the test client still opens its own scope in RequestScopeMiddleware, as in production.
    from classpoint.scoping import unscoped

    global _OPERATOR_SCOPE
    # Kept in a global: a scope nobody references is collected, and its exit restores the old state.
    _OPERATOR_SCOPE = unscoped(reason="a benchmark seeds and measures as an operator")
    _OPERATOR_SCOPE.__enter__()
    return url


def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples):
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 50) * 1000, 2),
        "p95_ms": round(percentile(samples, 95) * 1000, 2),
        "p99_ms": round(percentile(samples, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(samples) * 1000, 2) if samples else float("nan"),
    }


def provision_bench_school(slug, name):
    """A school with a current session and term and 24 classes ("Year 1A" .. "Year 6D")."""
    import datetime

    from schools import services
    from schools.models import AcademicSession, ClassGroup, Term

    school, _ = services.school_provision(slug=slug, name=name, admin_email=f"{slug}@bench.test", send_invitation=False)
    session = AcademicSession.objects.create(
        school=school,
        name="2026/2027",
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 7, 31),
        is_current=True,
    )
    Term.objects.create(
        school=school,
        session=session,
        name="First term",
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2026, 12, 18),
        is_current=True,
    )
    ClassGroup.objects.bulk_create(
        [
            ClassGroup(school=school, name=f"Year {level}{arm}", level=f"Year {level}", capacity=9999)
            for level in range(1, 7)
            for arm in "ABCD"
        ]
    )
    return school


def seed_pupils(school, *, have, n, prefix, seed, chunk_size, then=None):
    """Pupils `have`..`n` of a bench school, enrolled at random in its classes this term (one in
    twenty withdrawn), inserted `chunk_size` at a time; `then(chunk)` adds what a bench needs beside
    each chunk (guardians...). The database is analysed afterwards, as autovacuum would."""
    import random

    from django.db import connection

    from schools.models import Enrollment, Student

    rng = random.Random(seed)
    term = school.current_term()
    groups = list(school.class_groups.all())
    firsts = ["Ada", "Bola", "Chidi", "Dayo", "Efe", "Funmi", "Gbenga", "Hauwa", "Ike", "Jide", "Kemi", "Lola"]
    lasts = [f"Surname{i}" for i in range(2000)]
    for start in range(have, n, chunk_size):
        chunk = [
            Student(
                school=school,
                admission_number=f"{prefix}/{i:07d}",
                first_name=rng.choice(firsts),
                last_name=rng.choice(lasts),
                status="active" if i % 20 else "withdrawn",
            )
            for i in range(start, min(n, start + chunk_size))
        ]
        Student.objects.bulk_create(chunk)
        Enrollment.objects.bulk_create(
            [Enrollment(school=school, student=s, term=term, class_group=rng.choice(groups)) for s in chunk]
        )
        if then is not None:
            then(chunk)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
