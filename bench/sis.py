"""SIS sync at a school's size: 2,000 pupils (each with a guardian, in homerooms of 25) served by the
local fake Aeries and OneRoster servers the tests use, synced into a fresh school with the real
adapters over HTTP. Measures the first run (everything created), a second run with nothing changed,
and, as the bare reference in the same process, fetching the same records from the fake without
writing anything (the network and parsing part of a run).

    python bench/sis.py --pupils 2000

Targets: first run < 30 s, unchanged run < 10 s.
"""

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


def _secret(name, value):
    os.environ[re.sub(r"[^A-Za-z0-9]+", "_", name).upper()] = json.dumps(value)


def run(adapter_name, pupils):
    from academics.models import SisConnection
    from academics.sis import adapter_for
    from academics.sis.sync import sis_sync
    from academics.tests.sis_fakes import FakeAeries, FakeOneRoster
    from classpoint import secrets
    from classpoint.scoping import for_school
    from schools.models import School

    slug = f"bench-sis-{adapter_name}"
    School.objects.filter(slug=slug).delete()
    school = _common.provision_bench_school(slug, f"Bench SIS {adapter_name}")
    fake_class = FakeAeries if adapter_name == "aeries" else FakeOneRoster
    with fake_class.generated(pupils) as fake:
        key = f"{slug}-{adapter_name}"
        if adapter_name == "aeries":
            _secret(secrets.secret_name("sis", key), {"certificate": FakeAeries.CERT})
            extra = {"school_code": fake.school_code, "database_year": 2026}
        else:
            _secret(secrets.secret_name("sis", key), {"client_id": fake.CLIENT_ID, "client_secret": "s3cret"})
            extra = {"school_code": fake.org, "token_url": f"{fake.url}/token"}
        secrets.clear_cache()
        with for_school(school):
            connection = SisConnection.objects.create(
                school=school, adapter=adapter_name, base_url=fake.url, credentials_ref=key, **extra
            )
            t0 = time.perf_counter()
            first = sis_sync(school=school)
            first_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = sis_sync(school=school)
            again_s = time.perf_counter() - t0
            # Bare: the same reads from the fake, parsed, nothing written.
            adapter = adapter_for(connection)
            t0 = time.perf_counter()
            fetched = len(list(adapter.students())) + len(list(adapter.contacts()))
            bare_s = time.perf_counter() - t0
    return {
        "adapter": adapter_name,
        "pupils": pupils,
        "first_run_s": round(first_s, 2),
        "first_status": first.status,
        "first_counts": first.counts,
        "unchanged_run_s": round(again_s, 2),
        "unchanged_status": again.status,
        "unchanged_counts": again.counts,
        "bare_fetch_s": round(bare_s, 2),
        "bare_records": fetched,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pupils", type=int, default=2000)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup()
    results = [run(name, args.pupils) for name in ("aeries", "oneroster")]
    print(f"database: {url.rsplit('@', 1)[-1]}  pupils: {args.pupils}")
    for r in results:
        print(
            f"{r['adapter']:<10} first run {r['first_run_s']:>6} s ({r['first_status']})  "
            f"unchanged {r['unchanged_run_s']:>6} s ({r['unchanged_status']})  "
            f"bare fetch {r['bare_fetch_s']:>5} s  first/bare {r['first_run_s'] / max(r['bare_fetch_s'], 0.01):.1f}x  "
            "(targets < 30 s, < 10 s)"
        )
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
