"""Benchmark: the whole reminder scan (every registered rule, through
recruiting.alerts.scan.run_reminder_rules) at a fixed `now`, at 10,000 and 100,000
candidates (make bench).

Each size gets a database of its own, BENCH_DATABASE_URL's name + _scan_<size>, copied from
the admin benchmark's database of that size when it exists (it holds the same seed_demo data)
and otherwise built with `seed_demo --candidates N` (about 3 applications per candidate). On
top it adds, once: one offer per 5 candidates (bulk inserts) spread over every status with
expiries from 30 days before to 30 days after `now`; a pending approval for each offer
pending approval, asked up to 4 days before `now`, for a group of 3 approvers; an activity
for half the applications in Contacted; a flight-risk flag on a fifth of the employees; and
pauses starting 3 days after `now` for 10 of the candidates' companies and for our own.

`now` is the moment the offers were made, read back from them, so reruns of the benchmark
measure the same scan. Each measurement empties the alert outbox, runs VACUUM ANALYZE, and
times a first scan, which raises every alert that has come due: one bulk insert per rule (per
2,000 alerts), and nothing queued, since queueing due alerts is the sweep's next step and not
part of the scan; then VACUUM ANALYZE of the outbox (as autovacuum would after so many
inserts) and `--runs` more scans, which raise nothing new: their median is the steady scan the
sweep runs every minute. Prints the figures as a Markdown table for docs/benchmarks.md. Needs
PostgreSQL: DATABASE_URL.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruiting.settings")
# The scan queues no task (raise_alert only collects alerts during it). The broker is in
# memory all the same, so that if a change made the scan queue deliveries again, the hundreds
# of thousands of bench alerts could not reach the queue folder or a Redis that a worker reads,
# and the check after the first scan would count them.
os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
os.environ.pop("CELERY_RESULT_BACKEND", None)

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Min, QuerySet  # noqa: E402
from django.utils import timezone  # noqa: E402

from candidates.models import Candidate, Company, CompanyPause  # noqa: E402
from offers.models import Approval, Offer  # noqa: E402
from offers.permissions import APPROVER_GROUP  # noqa: E402
from recruiting.alerts.scan import run_reminder_rules  # noqa: E402
from recruiting.celery import app as celery_app  # noqa: E402
from recruiting.pipeline.demo.spec import BENCH_EMAIL_DOMAIN, BENCH_EMAIL_PREFIX  # noqa: E402
from recruiting.pipeline.models import Activity, Application, Stage  # noqa: E402

SEED = 2025
OFFER_STATUSES = {  # share of the bench offers in each status
    Offer.Status.DRAFT: 15,
    Offer.Status.PENDING_APPROVAL: 20,
    Offer.Status.APPROVED: 15,
    Offer.Status.SENT: 25,
    Offer.Status.ACCEPTED: 10,
    Offer.Status.DECLINED: 5,
    Offer.Status.EXPIRED: 5,
    Offer.Status.RESCINDED: 5,
}
PAUSE_REASON = "Bench quiet week"
PAUSING_COMPANIES = 10


def use_database(name: str, template: str) -> None:
    """Switches to database `name`, creating it as a copy of `template` when that exists."""
    from psycopg import connect

    connection.close()
    # Content type ids differ from one database to the next: forget the last one's.
    ContentType.objects.clear_cache()
    db = settings.DATABASES["default"]
    db["NAME"] = connection.settings_dict["NAME"] = name
    with connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin_conn:

        def exists(database: str) -> bool:
            row = admin_conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            return row.fetchone() is not None

        if exists(name):
            return
        if exists(template):
            try:
                admin_conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except Exception as error:  # noqa: BLE001 - e.g. someone is connected to it
                print(f"could not copy {template} ({error}); building {name} instead")
        admin_conn.execute(f'CREATE DATABASE "{name}"')


def bench_applications() -> QuerySet[Application]:
    return Application.objects.filter(
        candidate__emails__email__startswith=BENCH_EMAIL_PREFIX,
        candidate__emails__email__endswith="@" + BENCH_EMAIL_DOMAIN,
    )


def ensure_offers(count: int) -> datetime:
    """Makes `count` bench offers exist; returns the moment they were made: the scan's now."""
    made = Offer.objects.filter(application__in=bench_applications())
    if made.count() >= count:
        return made.aggregate(Min("drafted_at"))["drafted_at__min"]
    now = timezone.now().replace(second=0, microsecond=0)
    rng = random.Random(SEED)
    approvers = Group.objects.get(name=APPROVER_GROUP)
    user_model = get_user_model()
    for n in range(1, 4):
        user, _ = user_model.objects.get_or_create(
            username=f"bench-approver-{n}",
            defaults={"email": f"bench-approver-{n}@closer.example", "is_staff": True},
        )
        user.groups.add(approvers)
    rows = list(
        bench_applications()
        .filter(status=Application.Status.OPEN, offers__isnull=True)
        .order_by("pk")
        .values_list("pk", "candidate__owner_id")[: count - made.count()]
    )
    statuses, weights = zip(*OFFER_STATUSES.items(), strict=True)
    offers = []
    for application_id, owner_id in rows:
        status = rng.choices(statuses, weights)[0]
        if status == Offer.Status.EXPIRED:
            expires = now - timedelta(minutes=rng.randint(1, 30 * 24 * 60))
        else:
            expires = now + timedelta(minutes=rng.randint(-30 * 24 * 60, 30 * 24 * 60))
        offers.append(
            Offer(
                application_id=application_id,
                version=1,
                currency_id="USD",
                start_date=(now + timedelta(days=45)).date(),
                expires_at=expires,
                status=status,
                base_salary=Decimal(rng.randrange(300_000, 900_000, 1000)),
                drafted_by_id=owner_id,
                drafted_at=now,
            )
        )
    with transaction.atomic():
        created = Offer.objects.bulk_create(offers, batch_size=2000)
        Approval.objects.bulk_create(
            (
                Approval(offer=offer, group=approvers, reason="bench: an offer in USD")
                for offer in created
                if offer.status == Offer.Status.PENDING_APPROVAL
            ),
            batch_size=2000,
        )
        # requested_at is set on insert; spread it over the 4 days before now.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE offers_approval SET requested_at = %s - "
                "((id * 7919) %% 5760) * interval '1 minute' WHERE reason = %s",
                [now, "bench: an offer in USD"],
            )
    return now


def ensure_pipeline_extras(now: datetime) -> None:
    """Activities on Contacted applications, flight risks, and the upcoming pauses."""
    if not Activity.objects.filter(summary="Bench follow-up").exists():
        rng = random.Random(SEED)
        contacted = (
            bench_applications()
            .filter(status=Application.Status.OPEN, stage__kind=Stage.Kind.CONTACTED)
            .order_by("pk")
            .values_list("pk", "candidate_id", "stage_entered_at", "candidate__owner_id")
        )
        Activity.objects.bulk_create(
            (
                Activity(
                    candidate_id=candidate_id,
                    application_id=application_id,
                    kind=Activity.Kind.EMAIL,
                    summary="Bench follow-up",
                    author_id=owner_id,
                    occurred_at=min(now, entered + timedelta(minutes=rng.randint(0, 10 * 24 * 60))),
                )
                for application_id, candidate_id, entered, owner_id in contacted
                if application_id % 2
            ),
            batch_size=5000,
        )
    employees = Candidate.objects.filter(relationship=Candidate.Relationship.EMPLOYEE)
    at_risk = employees.order_by("pk").values_list("pk", flat=True)[::5]
    employees.filter(pk__in=list(at_risk)).update(
        flight_risk=True, flight_risk_reason=Candidate.FlightRiskReason.MANUAL
    )
    companies = list(
        Company.objects.filter(people__emails__email__startswith=BENCH_EMAIL_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:PAUSING_COMPANIES]
    )
    ours = Company.objects.filter(kind=Company.Kind.OURS).values_list("pk", flat=True)
    starts = (now + timedelta(days=3)).date()
    for company_id in [*companies, *ours]:
        CompanyPause.objects.update_or_create(
            company_id=company_id,
            reason=PAUSE_REASON,
            defaults={"starts_on": starts, "ends_on": starts + timedelta(days=4)},
        )


def vacuum(table: str = "") -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}".strip())


def empty_outbox() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE alerts_alert")


class Counter:
    """Counts a scan's queries as they run (cheaper than keeping them): those that find what
    is due, and those that write alerts (a rule's bulk inserts; each recipient's preference
    and profile, read once per scan; savepoints, should any come back)."""

    def __init__(self) -> None:
        self.finding = self.writing = 0

    def __call__(
        self,
        execute: Callable[[str, Any, bool, dict[str, Any]], Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", 'INSERT INTO "alerts_alert"')) or (
            '"alerts_alertpreference"' in sql or '"alerts_alertprofile"' in sql
        ):
            self.writing += 1
        else:
            self.finding += 1
        return execute(sql, params, many, context)


def timed_scan(now: datetime) -> tuple[float, int, Counter]:
    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        raised = run_reminder_rules(now)
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, sum(raised.values()), counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="candidate counts")
    parser.add_argument("--runs", type=int, default=7, help="scans timed after the first")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("make bench measures on PostgreSQL: set BENCH_DATABASE_URL to one.")
    base = settings.DATABASES["default"]["NAME"]

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        use_database(f"{base}_scan_{size}", template=f"{base}_{size}")
        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        call_command("seed_demo", candidates=size, verbosity=0)
        now = ensure_offers(size // 5)
        ensure_pipeline_extras(now)
        empty_outbox()
        vacuum()
        data = {
            "candidates": Candidate.objects.count(),
            "applications": Application.objects.count(),
            "open": Application.objects.filter(status=Application.Status.OPEN).count(),
            "offers": Offer.objects.count(),
            "approvals": Approval.objects.filter(status=Approval.Status.PENDING).count(),
        }

        first_ms, first_alerts, first = timed_scan(now)
        # The figures hold for a scan that leaves delivery to the sweep: it must queue nothing.
        queued = celery_app.control.purge()
        assert not queued, f"the first scan queued {queued} tasks"
        # The first scan's alerts are garbage now: collect them before the timed reruns.
        gc.collect()
        vacuum("alerts_alert")
        timings, counts = [], set()
        for _ in range(args.runs):
            ms, alerts, counter = timed_scan(now)
            assert alerts == 0, f"a rerun raised {alerts} alerts"
            timings.append(ms)
            counts.add((counter.finding, counter.writing))
        assert len(counts) == 1, counts
        finding, writing = counts.pop()
        median = statistics.median(timings)
        rows.append(
            (data, first_ms, first_alerts, first, median, min(timings), max(timings), finding)
        )
        print(
            f"{data['candidates']:>7} candidates, {data['applications']:,} applications, "
            f"{data['offers']:,} offers: first scan {first_ms / 1000:.1f} s raising "
            f"{first_alerts:,} alerts ({first.finding} queries finding them, "
            f"{first.writing:,} writing them); rerun median {median:.0f} ms (min "
            f"{min(timings):.0f}, max {max(timings):.0f}, {args.runs} runs), "
            f"{finding + writing} queries",
            flush=True,
        )

    print(
        "\n| candidates | applications (open) | offers | pending approvals | first scan "
        "| alerts raised | first scan queries (finding + writing) | rerun median "
        "| rerun min–max | rerun queries |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for data, first_ms, alerts, first, median, low, high, finding in rows:
        print(
            f"| {data['candidates']:,} | {data['applications']:,} ({data['open']:,}) "
            f"| {data['offers']:,} | {data['approvals']:,} | {first_ms / 1000:.1f} s "
            f"| {alerts:,} | {first.finding} + {first.writing:,} | {median:.0f} ms "
            f"| {low:.0f}–{high:.0f} ms | {finding} |"
        )


if __name__ == "__main__":
    main()
