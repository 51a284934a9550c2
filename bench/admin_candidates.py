"""Benchmark: the admin candidate list at 1,000 and at 100,000 or 1,000,000 candidates (make bench).

Builds the data with `seed_demo --candidates N` (idempotent, so a rerun reuses it), then times
the first page, a search by name and a filter by stage through Django's test client, in
process, as a logged-in superuser. Prints the median, p95 and the query count of each, as a
Markdown table for docs/benchmarks.md. Needs PostgreSQL: DATABASE_URL (the Makefile points it
at a database of its own, closer_bench).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruiting.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from candidates.models import Candidate  # noqa: E402
from recruiting.pipeline.models import Application  # noqa: E402

URL = "/admin/candidates/candidate/"


def use_database(name: str) -> None:
    """Each size gets a database of its own (BENCH_DATABASE_URL's name + _size)."""
    from psycopg import connect

    connection.close()
    db = settings.DATABASES["default"]
    db["NAME"] = connection.settings_dict["NAME"] = name
    with connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin_conn:
        exists = admin_conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            admin_conn.execute(f'CREATE DATABASE "{name}"')


def measure(client: Client, query: str, runs: int) -> tuple[float, float, int]:
    for _ in range(3):
        response = client.get(URL + query)
        assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(URL + query)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL + query)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return statistics.median(timings), p95, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000", help="candidate counts to measure at")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--terms",
        default="son,Smith,Zachary,Cobalt,bench-0009",
        help="words searched for at every size: 'son' (inside many names), 'Smith' (a surname), "
        "'Zachary' (a first name: its matches sit together at the end of the name order), "
        "'Cobalt' (a company), 'bench-0009' (part of an email: 100 candidates at any size)",
    )
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("make bench measures on PostgreSQL: set BENCH_DATABASE_URL to one.")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    base = settings.DATABASES["default"]["NAME"]

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        use_database(f"{base}_{size}")
        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        call_command("seed_demo", candidates=size, verbosity=0)
        user, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client()
        client.force_login(user)
        with connection.cursor() as cursor:
            # The state autovacuum keeps a live database in: statistics and visibility map.
            cursor.execute("VACUUM ANALYZE")
        total = Candidate.objects.count()
        applications = Application.objects.count()
        cases = [
            ("first page", ""),
            *[(f"search “{term}”", f"?q={term}") for term in args.terms.split(",")],
            ("filter stage = Screen", "?stage=Screen"),
        ]
        for label, query in cases:
            median, p95, count = measure(client, query, args.runs)
            rows.append((total, applications, label, median, p95, count))
            print(
                f"{total:>7} candidates  {label:<28} median {median:7.1f} ms  "
                f"p95 {p95:7.1f} ms  {count} queries",
                flush=True,
            )

    print("\n| candidates | applications | page | median | p95 | queries |")
    print("|---:|---:|---|---:|---:|---:|")
    for total, applications, label, median, p95, count in rows:
        print(
            f"| {total:,} | {applications:,} | {label} | {median:.1f} ms | {p95:.1f} ms | {count} |"
        )


if __name__ == "__main__":
    main()
