"""Benchmark: enrolling 10,000 candidates in a sequence and sending their first step through
Redis and one worker (make bench).

Builds, in a PostgreSQL database of its own (BENCH_DATABASE_URL's name + _outreach, emptied and
migrated), N candidates with one email each, owned by enough recruiters that the daily cap per
sender (OUTREACH_DAILY_CAP_PER_SENDER) never holds a step back, all in a fixed-offset timezone
where it is now office hours (so the sending window is open), each in Sourced in one of 20
roles' pipelines; one template naming the candidate, the role and its lead, with pitch
paragraphs; one sequence of three steps, the first with no delay. Then:

1. times `enroll_many(candidates, sequence, by=...)` for all N, as the admin's bulk action;
2. starts a real SMTP server (aiosmtpd, in this process) and ONE Celery worker process as the
   Procfile runs it (prefork, --concurrency=2) on Redis (REDIS_URL: the Makefile gives it a
   database number of its own, which this script empties), with the window open every day of
   the week; sends `outreach.send_due` (every minute in production), which hands the due
   steps (at most SEND_LIMIT) to the worker's pool in batches of one sender's, and times from
   that first task to the Nth message received (a next run, if any, once the last run's
   batches have arrived).

Checks that none was lost or duplicated (N messages, N distinct recipients, one SentMessage
`sent` per enrollment), that every enrollment moved on to step 2 and every application to
Contacted; exits non-zero if not.
Queries per enrollment and per send are counted in process on a small sample first (its rows
are deleted before the timed run).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

# This benchmark's worker sends on any day of the week (a weekend run must measure too); set
# before settings load so that this process's services agree with the worker's.
os.environ["OUTREACH_WINDOW_WEEKDAYS"] = "0,1,2,3,4,5,6"

# The worker start, stop and the database switch are the alert benchmark's (which sets Django up).
from alert_delivery import Sink, start_worker, stop_worker, use_database
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from candidates.models import MOTIVATORS, Candidate, CandidateEmail, Company
from recruiting.celery import app
from recruiting.outreach.models import (
    Enrollment,
    MessageTemplate,
    PitchParagraph,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import enroll_many, send_due_steps
from recruiting.outreach.tasks import SEND_LIMIT, send_due
from recruiting.pipeline.models import Activity, Application, Stage
from recruiting.pipeline.services import open_role

if TYPE_CHECKING:
    from kombu.transport.redis import Channel as RedisChannel

SAMPLE = 100  # candidates whose enrollment and send are counted in queries, not timed
ROLES = 20  # the roles whose pipelines the candidates are in


def a_timezone_in_office_hours() -> str:
    """A fixed-offset zone where it is now between 10:00 and 16:00 (the window is 09:00–17:00):
    the zones span 26 hours. As in tests/integration/test_outreach.py."""
    now = timezone.now()
    for hours in range(-12, 15):
        name = "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"  # Etc/GMT+N is N hours behind
        if 10 <= now.astimezone(ZoneInfo(name)).hour < 16:
            return name
    raise AssertionError("unreachable: some zone has office hours now")


def build(n: int, sample: int, zone: str) -> tuple[list[Candidate], list[Candidate], Sequence]:
    """The candidates (the run's and the sample's), their owners, companies and the sequence."""
    rng = random.Random(7)
    cap = settings.OUTREACH_DAILY_CAP_PER_SENDER
    User = get_user_model()
    owners = User.objects.bulk_create(
        User(
            username=f"recruiter-{i:03d}",
            first_name="Recruiter",
            last_name=f"{i:03d}",
            email=f"recruiter-{i:03d}@closer.example",
        )
        for i in range(math.ceil((n + sample) / cap))
    )
    User.objects.create(username="bench-admin", email="bench-admin@closer.example")
    companies = Company.objects.bulk_create(Company(name=f"Bench Lab {i:02d}") for i in range(50))
    people = Candidate.objects.bulk_create(
        (
            Candidate(
                name=f"Bench Candidate {i:06d}",
                timezone=zone,
                owner=owners[i // cap],
                current_company=companies[i % len(companies)],
                current_title="Research Engineer",
                **{field: rng.randint(0, 5) for field, _ in MOTIVATORS},
            )
            for i in range(n + sample)
        ),
        batch_size=2000,
    )
    CandidateEmail.objects.bulk_create(
        (
            CandidateEmail(candidate=c, email=f"candidate-{i:06d}@example.org", is_primary=True)
            for i, c in enumerate(people)
        ),
        batch_size=2000,
    )
    # Each in a role's pipeline, in Sourced, as outreach finds them: the emails name the role
    # and its lead, and a sent step moves the application to Contacted.
    leads = User.objects.bulk_create(
        User(username=f"lead-{i}", first_name="Lead", last_name=f"{i}") for i in range(ROLES)
    )
    roles = [
        open_role(
            title=f"Research Scientist {i}",
            team="Pre-training",
            level="senior",
            city="San Francisco",
            country="US",
            headcount=1000,
            hiring_manager=leads[i],
        )
        for i in range(ROLES)
    ]
    sourced = {role.pk: role.stages.get(kind=Stage.Kind.SOURCED) for role in roles}
    Application.objects.bulk_create(
        (
            Application(candidate=c, role=roles[i % ROLES], stage=sourced[roles[i % ROLES].pk])
            for i, c in enumerate(people)
        ),
        batch_size=2000,
    )
    template = MessageTemplate.objects.create(
        name="Bench first touch",
        subject="{{ candidate.first_name }}, {{ role.title }} with {{ team_lead }}?",
        body_text=(
            "Hi {{ candidate.first_name }},\n\n"
            "I saw your work as {{ candidate.current_title }} at {{ candidate.current_company }}."
            "\n\n{{ pitch }}\n\nWould you have 20 minutes this week?\n\n"
            "{{ sender.name }}\n{{ sender.email }}"
        ),
    )
    PitchParagraph.objects.bulk_create(
        PitchParagraph(template=template, motivator=key, text=f"What we offer on {key}: a lot.")
        for key in ("research_freedom", "publishing", "team_lead", "work_quality", "pay")
    )
    sequence = Sequence.objects.create(name="Bench researchers")
    for position, delay in ((1, 0), (2, 3), (3, 5)):
        SequenceStep.objects.create(
            sequence=sequence, position=position, template=template, delay_business_days=delay
        )
    people = list(Candidate.objects.order_by("name"))  # as the admin action would load them
    return people[:n], people[n:], sequence


def count_queries(sample: list[Candidate], sequence: Sequence, smtp_port: int) -> tuple[int, int]:
    """Queries of enroll_many and of send_due_steps on the sample, in this process."""
    email = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": smtp_port,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
    }
    for name, value in email.items():
        setattr(settings, name, value)
    admin = get_user_model().objects.get(username="bench-admin")
    with CaptureQueriesContext(connection) as enrolling:
        enroll_many(sample, sequence, by=admin)
    # Business days: on a weekend in the candidates' zone, step one is due on Monday.
    Enrollment.objects.filter(candidate__in=sample).update(next_send_at=timezone.now())
    with CaptureQueriesContext(connection) as sending:
        outcomes = send_due_steps(limit=len(sample))
    if outcomes != {"sent": len(sample)}:
        sys.exit(f"the sample did not send: {outcomes}")
    # The sample's rows go, so the timed run starts from enrollments it made itself.
    Activity.objects.filter(candidate__in=sample).delete()
    Enrollment.objects.filter(candidate__in=sample).delete()
    return len(enrolling), len(sending)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="as in the Procfile")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    n = args.candidates

    if connection.vendor != "postgresql":
        sys.exit("make bench measures on PostgreSQL: set BENCH_DATABASE_URL to one.")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        sys.exit("this benchmark runs on Redis: set REDIS_URL (make bench sets BENCH_REDIS_URL).")
    name = f"{settings.DATABASES['default']['NAME']}_outreach"
    database_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
    use_database(name)
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)  # every table empty: a rerun starts over
    # The benchmark's own Redis db (the broker is Redis, checked above: its channel has a client).
    cast("RedisChannel", app.connection_for_write().default_channel).client.flushdb()

    zone = a_timezone_in_office_hours()
    candidates, sample, sequence = build(n, SAMPLE, zone)
    sink = Sink()
    sink.controller.start()
    logdir = Path(tempfile.mkdtemp(prefix="closer-bench-"))
    worker = None
    try:
        per_enroll, per_send = count_queries(sample, sequence, sink.port)
        sink.reset()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        by = get_user_model().objects.get(username="bench-admin")

        # Phase 1: the admin's bulk action on every candidate.
        queries = []  # counted, not logged: logging 10,000-row statements would be timed too

        def count_query(execute: Any, *a: Any) -> Any:
            queries.append(1)
            return execute(*a)

        with connection.execute_wrapper(count_query):
            start = time.perf_counter()
            enrolled = enroll_many(candidates, sequence, by=by)
            enroll_seconds = time.perf_counter() - start
        now = timezone.now()
        # On a weekend, a first step with no delay is due on Monday (business days): brought
        # forward, so that the sending is measured whatever the day.
        weekend = Enrollment.objects.filter(sequence=sequence, next_send_at__gt=now).update(
            next_send_at=now
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE outreach_enrollment")
        connection.close()  # the worker, not this process, works on the rows from here

        # Phase 2: send_due runs, one after the other, until the Nth message has arrived.
        worker = start_worker(database_url, sink.port, args.concurrency, logdir / "worker.log")
        runs: list[dict[str, object]] = []
        start = time.perf_counter()
        deadline = start + args.timeout
        while sink.count < n and time.perf_counter() < deadline:
            # send_due ignores its result in production; here it is kept, to know what it
            # handed to the pool. The next run comes once those have arrived (or stalled).
            before = sink.count
            result = send_due.apply_async(ignore_result=False)
            runs.append(result.get(timeout=max(deadline - time.perf_counter(), 1)))
            result.forget()
            queued = cast(int, runs[-1].get("queued", 0))
            if not queued:
                break
            last, stalled = sink.count, time.perf_counter()
            while sink.count < min(before + queued, n) and time.perf_counter() < deadline:
                if sink.count != last:
                    last, stalled = sink.count, time.perf_counter()
                elif time.perf_counter() - stalled > 5:
                    break
                time.sleep(0.01)
        received_all = sink.count >= n
        send_seconds = (sink.last_at if received_all else time.perf_counter()) - start
        time.sleep(3)  # let anything late (a duplicate) arrive before counting
    finally:
        if worker is not None:
            stop_worker(worker)
        sink.controller.stop()

    sent = Counter(
        SentMessage.objects.filter(enrollment__sequence=sequence).values_list(
            "enrollment_id", "status"
        )
    )
    enrollments = Counter(
        Enrollment.objects.filter(sequence=sequence).values_list("status", "next_position")
    )
    expected = {f"candidate-{i:06d}@example.org" for i in range(n)}
    missing = expected - set(sink.recipients)
    duplicated = {r: k for r, k in sink.recipients.items() if k > 1}
    unexpected = set(sink.recipients) - expected
    sent_once = sum(1 for (_, status), k in sent.items() if status == "sent" and k == 1)
    contacted = Application.objects.filter(
        candidate__enrollments__sequence=sequence, stage__kind=Stage.Kind.CONTACTED
    ).count()

    cap = settings.OUTREACH_DAILY_CAP_PER_SENDER
    print(f"candidates:    {n:,} in {zone}, one email each, {math.ceil(n / cap)} owners")
    print(f"sequence:      3 steps (delays 0, 3, 5 business days); {weekend:,} brought forward")
    print(
        f"worker:        1 process, prefork --concurrency={args.concurrency}; "
        f"send_due runs of up to {SEND_LIMIT}, steps handed to the pool: "
        f"{[r.get('queued', 0) for r in runs]}"
    )
    print(f"broker:        {settings.CELERY_BROKER_URL}; database: {name}")
    print(
        f"queries:       enroll_many: {len(queries)} for {n:,} candidates, {per_enroll} for "
        f"{SAMPLE}; send_due_steps: {per_send / SAMPLE:.2f} per send ({SAMPLE} sends)"
    )
    print(f"received:      {sink.count:,} messages, {len(sink.recipients):,} distinct recipients")
    print(f"sent rows:     {sent_once:,} enrollments with one SentMessage sent; {len(sent):,} rows")
    print(f"enrollments:   {dict(enrollments)} (status, next step)")
    print(f"contacted:     {contacted:,} applications moved from Sourced by their first email")
    print(f"lost:          {len(missing)}; duplicated: {len(duplicated)}; other: {len(unexpected)}")
    print()
    print("| phase | time | rate |")
    print("|---|---:|---:|")
    print(
        f"| enroll_many, {n:,} candidates | {enroll_seconds:.2f} s "
        f"| {n / enroll_seconds:,.0f} enrollments/s |"
    )
    print(
        f"| first task to {n:,}th message | {send_seconds:.2f} s "
        f"| {sink.count / send_seconds:,.0f} sends/s |"
    )
    ok = (
        len(enrolled) == n
        and received_all
        and sink.count == n
        and not missing
        and not duplicated
        and not unexpected
        and sent_once == n
        and sum(sent.values()) == n
        and enrollments == Counter({("active", 2): n})
        and contacted == n
    )
    if ok:
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        print(f"FAILED; the worker's log is in {logdir}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
