"""Benchmark: every report of recruiting/web/reports/registry.py at 100,000 candidates (make
bench).

Its database is BENCH_DATABASE_URL's name + _reports_<size>, copied from the admin
benchmark's database of that size when it exists (the same `seed_demo --candidates N` data)
and otherwise built with it. On top, once, bench/report_data.py adds what the reports read:
stage paths, 20,000 offers, 10,000 competing offers, outreach sends, and their report figures
(each part's time is printed). Then each report's page, with its default filters, is fetched
through Django's test client, in process, as a recruiter who may see pay (rita): three
warm-ups, then `--runs` timed fetches. Prints the median, p95 and query count of each, as a
Markdown table for docs/benchmarks.md. Target: a median under 500 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruiting.settings")
# Nothing here queues a task: a broker in memory, so none could reach a worker by mistake.
os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
os.environ.pop("CELERY_RESULT_BACKEND", None)

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from reminder_scan import use_database  # noqa: E402
from report_data import ensure_report_data  # noqa: E402
from workspace_pages import measure  # noqa: E402

from candidates.models import Candidate  # noqa: E402
from offers.models import CompetingOffer, Offer  # noqa: E402
from recruiting.lib.access import can_see_compensation  # noqa: E402
from recruiting.outreach.models import SentMessage  # noqa: E402
from recruiting.pipeline.models import Application, StageChange  # noqa: E402
from recruiting.web.reports.registry import REPORTS  # noqa: E402

TARGET_MS = 500


def reference_ms() -> float:
    """How fast the machine is now: the best of three runs of a fixed loop of Python (a shared
    machine's speed varies by a third from one minute to the next; the figures mean most
    beside it). About 300 ms on a quiet two-core development machine."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i * i
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="bench candidates")
    parser.add_argument("--offers", type=int, default=20_000)
    parser.add_argument("--competing", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("make bench measures on PostgreSQL: set BENCH_DATABASE_URL to one.")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    base = settings.DATABASES["default"]["NAME"]
    use_database(f"{base}_reports_{args.size}", template=f"{base}_{args.size}")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", candidates=args.size, verbosity=0)
    start = time.perf_counter()
    ensure_report_data(offers=args.offers, competing=args.competing)
    print(f"report data ready in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        # The data is built, and the migrations fill new columns, by updates of every row at
        # once, which leave tables two to three times their size in dead rows; a database
        # living its life updates a row now and then and reuses the space. Compacted, as a
        # restored copy of one would be. Then a plain VACUUM, which (unlike FULL) marks the
        # pages all-visible again, so that index-only scans need not visit the table.
        cursor.execute("VACUUM (FULL, ANALYZE)")
        cursor.execute("VACUUM")
    print(f"compacted in {time.perf_counter() - start:.1f} s", flush=True)

    rita = get_user_model().objects.get(username="rita")
    assert can_see_compensation(rita), "the bench recruiter must see pay"
    client = Client()
    client.force_login(rita)
    rows = []
    print(f"machine: {reference_ms():.0f} ms for the reference loop", flush=True)
    for spec in REPORTS:
        median, p95, count = measure(client, reverse(f"web:report_{spec.slug}"), args.runs)
        rows.append((spec.title, median, p95, count))
        flag = "" if median < TARGET_MS else f"  (over {TARGET_MS} ms)"
        print(
            f"{spec.title:<40} median {median:7.1f} ms  p95 {p95:7.1f} ms  {count} queries{flag}",
            flush=True,
        )
    print(
        f"\n{Candidate.objects.count():,} candidates, {Application.objects.count():,} "
        f"applications, {StageChange.objects.count():,} stage changes, "
        f"{Offer.objects.count():,} offers, {CompetingOffer.objects.count():,} competing offers, "
        f"{SentMessage.objects.count():,} outreach emails\n"
    )
    print(f"machine: {reference_ms():.0f} ms for the reference loop\n")
    print("| report | median | p95 | queries |")
    print("|---|---:|---:|---:|")
    for title, median, p95, count in rows:
        print(f"| {title} | {median:.1f} ms | {p95:.1f} ms | {count} |")


if __name__ == "__main__":
    main()
