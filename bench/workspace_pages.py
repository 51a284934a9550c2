"""Benchmark: the workspace's pages at 100,000 candidates (make bench).

On the data of `seed_demo --candidates N` (the database bench/admin_candidates.py builds, reused),
it adds a role with 5,000 applications spread over its stages, then times, through Django's
test client in process: that role's pipeline board (first pages, and filtered by "needs
attention"), a candidate's page, and the home page of an administrator (who sees every
application and owns nothing) and of a recruiter who owns candidates. Prints median, p95 and
the query count of each, as a Markdown table for docs/benchmarks.md.
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

from admin_candidates import use_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from candidates.models import Candidate  # noqa: E402
from recruiting.pipeline.models import Application, Role  # noqa: E402
from recruiting.pipeline.services import add_candidates_to_pipeline, open_role  # noqa: E402

BOARD_ROLE = "Bench board role"


def measure(client: Client, url: str, runs: int) -> tuple[float, float, int]:
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries)


def board_role(size: int) -> Role:
    """A role with `size` applications: bench candidates spread over its open stages, their
    time in stage spread over two months (some stale)."""
    role = Role.objects.filter(title=BOARD_ROLE).first()
    if role is None:
        role = open_role(
            title=BOARD_ROLE, team="Bench", level="senior", city="San Francisco", country="US"
        )
    missing = size - role.applications.count()
    if missing > 0:
        people = Candidate.objects.exclude(applications__role=role).order_by("pk")[:missing]
        add_candidates_to_pipeline(
            Candidate.objects.filter(pk__in=list(people.values_list("pk", flat=True))),
            role,
            by=None,
        )
    stages = list(
        role.stages.exclude(kind__in=["hired", "lost"])
        .order_by("position")
        .values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        # Spread over the open stages, and over two months in stage (some over their limit).
        cursor.execute(
            "UPDATE pipeline_application SET stage_id = (%s::bigint[])[id %% %s + 1], "
            "stage_entered_at = now() - ((id %% 60) || ' days')::interval WHERE role_id = %s",
            [stages, len(stages), role.pk],
        )
    return role


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100000, help="bench candidates")
    parser.add_argument("--board", type=int, default=5000, help="applications on the board")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("make bench measures on PostgreSQL: set BENCH_DATABASE_URL to one.")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    use_database(f"{settings.DATABASES['default']['NAME']}_{args.size}")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", candidates=args.size, verbosity=0)
    role = board_role(args.board)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    users = get_user_model().objects
    admin, _ = users.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    rita = users.get(username="rita")
    person = Candidate.objects.filter(applications__role=role).order_by("pk").first()
    assert person is not None
    cases = [
        ("board, 5,000 applications", admin, f"/roles/{role.pk}/board/"),
        ("board, needs attention", admin, f"/roles/{role.pk}/board/?attention=any"),
        ("candidate page", admin, f"/candidates/{person.pk}/"),
        ("home, administrator", admin, "/"),
        ("home, recruiter (rita)", rita, "/"),
    ]
    total = Candidate.objects.count()
    applications = Application.objects.count()
    rows = []
    for label, user, url in cases:
        client = Client()
        client.force_login(user)
        median, p95, count = measure(client, url, args.runs)
        rows.append((label, median, p95, count))
        print(
            f"{label:<28} median {median:7.1f} ms  p95 {p95:7.1f} ms  {count} queries", flush=True
        )
    print(f"\n{total:,} candidates, {applications:,} applications\n")
    print("| page | median | p95 | queries |")
    print("|---|---:|---:|---:|")
    for label, median, p95, count in rows:
        print(f"| {label} | {median:.1f} ms | {p95:.1f} ms | {count} |")


if __name__ == "__main__":
    main()
