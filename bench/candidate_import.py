"""Benchmark: a 100,000-row file of candidates checked and imported by a worker (make bench).

On a PostgreSQL database of its own (BENCH_DATABASE_URL's name + _imports), emptied of
candidates first, it adds --existing candidates (one email each), then writes a CSV of --rows
rows: the existing candidates again, matched by email and updated, and new ones; each row with
a company (one in twenty new to Closer), two tags, a country, a level, an owner and pay. It
starts ONE Celery worker process as the Procfile runs it (prefork, --concurrency=2) on Redis
(REDIS_URL: the Makefile gives it a database number of its own, which this script empties),
uploads the file as the admin does (`start_import`), times until the job is checked, confirms
it (`confirm_import`) and times until it is done. Checks that every row was imported (the
candidates, their emails and tags), that the file is gone, and exits non-zero otherwise.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruiting.settings")

import django  # noqa: E402

django.setup()

from alert_delivery import start_worker, stop_worker, use_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from candidates.models import Candidate, CandidateEmail, CandidateImport, Currency  # noqa: E402
from candidates.services import confirm_import, start_import  # noqa: E402
from recruiting.celery import app  # noqa: E402

if TYPE_CHECKING:
    from kombu.transport.redis import Channel as RedisChannel

COLUMNS = [
    "name",
    "emails",
    "current_company",
    "current_title",
    "tags",
    "owner",
    "city",
    "country",
    "level",
    "specialty",
    "current_base",
    "current_pay_currency",
    "motivator_pay",
]
LEVELS = ["Junior", "Mid-level", "Senior", "Staff", "Principal"]
SPECIALTIES = ["Inference", "Safety and alignment", "Interpretability", "Post-training / RLHF"]
COUNTRIES = ["FR", "United Kingdom", "US", "Germany", "CA"]


def person(i: int) -> str:
    return f"Bench Person {i:06d}"


def email(i: int) -> str:
    return f"bench-import-{i:06d}@example.org"


def make_file(rows: int, existing: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(rows):
        company = f"New Lab {i % 50}" if i % 20 == 0 else f"Bench Company {i % 200}"
        writer.writerow(
            [
                person(i),
                email(i) if i < existing else f"{email(i)}; alt-{email(i)}",
                company,
                "Research Engineer",
                f"bench-{i % 7}, bench-{i % 11 + 7}",
                "bench-owner",
                "Paris",
                COUNTRIES[i % len(COUNTRIES)],
                LEVELS[i % len(LEVELS)],
                SPECIALTIES[i % len(SPECIALTIES)],
                str(150_000 + i % 1000 * 100),
                "USD",
                str(i % 6),
            ]
        )
    return out.getvalue().encode()


def reset(existing: int) -> User:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE candidates_candidate, candidates_candidateemail, candidates_candidate_tags, "
            "candidates_candidateimport, candidates_tag, django_admin_log CASCADE"
        )
        cursor.execute("DELETE FROM candidates_company WHERE name LIKE 'New Lab %%'")
    Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
    owner, _ = get_user_model().objects.update_or_create(
        username="bench-owner", defaults={"is_staff": True, "is_active": True}
    )
    uploader, _ = get_user_model().objects.update_or_create(
        username="bench-uploader", defaults={"is_staff": True, "is_superuser": True}
    )
    people = Candidate.objects.bulk_create(
        [Candidate(name=person(i)) for i in range(existing)], batch_size=5000
    )
    CandidateEmail.objects.bulk_create(
        [
            CandidateEmail(candidate=c, email=email(i), is_primary=True)
            for i, c in enumerate(people)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE candidates_candidate")
        cursor.execute("VACUUM ANALYZE candidates_candidateemail")
    return uploader


def wait_for(job: CandidateImport, statuses: set[str], timeout: float) -> CandidateImport:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.1)
    return job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=10_000, help="rows that update")
    parser.add_argument("--concurrency", type=int, default=2, help="as in the Procfile")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("make bench measures on PostgreSQL: set BENCH_DATABASE_URL to one.")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        sys.exit("this benchmark runs on Redis: set REDIS_URL (make bench sets BENCH_REDIS_URL).")
    name = f"{settings.DATABASES['default']['NAME']}_imports"
    database_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
    use_database(name)
    call_command("migrate", verbosity=0)
    cast("RedisChannel", app.connection_for_write().default_channel).client.flushdb()
    uploader = reset(args.existing)
    data = make_file(args.rows, args.existing)

    logdir = Path(tempfile.mkdtemp(prefix="closer-bench-"))
    worker = start_worker(database_url, 0, args.concurrency, logdir / "worker.log")
    try:
        start = time.perf_counter()
        job = start_import(
            upload=SimpleUploadedFile("bench.csv", data, content_type="text/csv"),
            file_format="csv",
            with_pay=True,
            by=uploader,
        )
        answered = time.perf_counter() - start
        stored = Path(job.file.path)
        job = wait_for(job, {"checked", "failed"}, args.timeout)
        checked = time.perf_counter() - start
        if job.status == "checked":
            confirm_import(job, by=uploader)
            job = wait_for(job, {"done", "failed"}, args.timeout)
        done = time.perf_counter() - start
    finally:
        stop_worker(worker)

    candidates = Candidate.objects.count()
    emails = CandidateEmail.objects.count()
    tagged = Candidate.tags.through.objects.count()
    new, existing = args.rows - args.existing, args.existing
    print(f"file:          {args.rows:,} rows ({len(data) / 1e6:.1f} MB CSV), {existing:,} update")
    print(f"worker:        1 process, prefork --concurrency={args.concurrency}; database {name}")
    print(f"upload:        {answered:.2f} s until the request's work was done (job queued)")
    print(f"check:         {checked:.1f} s ({args.rows / checked:,.0f} rows/s)")
    print(f"import:        {done - checked:.1f} s ({args.rows / (done - checked):,.0f} rows/s)")
    print(f"total:         {done:.1f} s from the upload to the import done")
    print(f"job:           {job.status} {job.new_count:,} new, {job.updated_count:,} updated")
    if job.message or job.row_errors:
        print(f"               {job.message} {job.row_errors[:3]}")
    print(f"rows:          {candidates:,} candidates, {emails:,} emails, {tagged:,} tags")
    ok = (
        job.status == "done"
        and (job.new_count, job.updated_count) == (new, existing)
        and candidates == args.rows
        and emails == existing + 2 * new
        and tagged == 2 * args.rows
        and not stored.exists()
    )
    if ok:
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        print(f"FAILED (file left: {stored.exists()}); the worker's log is in {logdir}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
