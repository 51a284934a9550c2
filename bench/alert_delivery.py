"""Benchmark: 10,000 pending alerts delivered through Redis and one worker (make bench).

Writes N pending alerts, due now, to a PostgreSQL database of its own (BENCH_DATABASE_URL's
name + _alerts), starts a real SMTP server (aiosmtpd, in this process) and ONE Celery worker
process as the Procfile runs it (prefork, --concurrency=2) on Redis (REDIS_URL: the Makefile
gives it a database number of its own, which this script empties), then sends one
`alerts.sweep` task and times from that moment to the Nth message received by the SMTP
server. Checks that none was lost (every alert sent, N messages) and none duplicated (one
message per alert: each alert's subject is unique). Exits non-zero if either check fails.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruiting.settings")

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from recruiting.alerts.models import Alert  # noqa: E402
from recruiting.alerts.tasks import DELIVERY_BATCH, sweep  # noqa: E402
from recruiting.celery import app  # noqa: E402

if TYPE_CHECKING:
    from kombu.transport.redis import Channel as RedisChannel


def use_database(name: str) -> None:
    """A database of the benchmark's own, created if missing."""
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


class Sink:
    """A real SMTP server that keeps only what the checks need: how many messages came with each
    subject and to each recipient, and the moment the last one arrived. Headers only, so the
    server is not what is measured. The outreach benchmark uses it too."""

    def __init__(self) -> None:
        self.subjects: Counter[str] = Counter()
        self.recipients: Counter[str] = Counter()
        self.count = 0
        self.last_at = 0.0
        self._lock = threading.Lock()
        parser = BytesHeaderParser()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                subject = str(parser.parsebytes(envelope.content)["Subject"])
                with sink._lock:
                    sink.subjects[subject] += 1
                    sink.recipients.update(envelope.rcpt_tos)
                    sink.count += 1
                    sink.last_at = time.perf_counter()
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        # aiosmtpd logs every SMTP command at INFO: in this process, that would be measured too.
        logging.getLogger("mail.log").setLevel(logging.WARNING)

    def reset(self) -> None:
        with self._lock:
            self.subjects.clear()
            self.recipients.clear()
            self.count = 0


def start_worker(
    database_url: str, smtp_port: int, concurrency: int, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DJANGO_SETTINGS_MODULE": "recruiting.settings",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "recruiting",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "-n",
                f"bench-{uuid.uuid4().hex[:6]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_worker(process)
            sys.exit(f"the worker did not start:\n{log.read_text()[-3000:]}")
    return process


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=2, help="as in the Procfile")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("make bench measures on PostgreSQL: set BENCH_DATABASE_URL to one.")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        sys.exit("this benchmark runs on Redis: set REDIS_URL (make bench sets BENCH_REDIS_URL).")
    name = f"{settings.DATABASES['default']['NAME']}_alerts"
    database_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
    use_database(name)
    call_command("migrate", verbosity=0)

    # The benchmark's own Redis database and tables: start from nothing.
    # The broker is Redis (checked above): its channel has the client.
    cast("RedisChannel", app.connection_for_write().default_channel).client.flushdb()
    Alert.objects.all().delete()
    User = get_user_model()
    users = [
        User.objects.get_or_create(
            username=f"bench-{i}", defaults={"email": f"bench-{i}@closer.example"}
        )[0]
        for i in range(args.recipients)
    ]
    now = timezone.now()
    Alert.objects.bulk_create(
        (
            Alert(
                kind="bench_notice",
                recipient=users[i % len(users)],
                key=f"bench-{i}",
                subject=f"Bench alert {i:06d}",
                context={"message": "Meridian AI's written offer beats ours by 20% in year one."},
                link="/admin/",
                next_attempt_at=now,
                created_at=now,
            )
            for i in range(args.alerts)
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE alerts_alert")
    connection.close()  # the worker, not this process, works on the rows from here

    sink = Sink()
    sink.controller.start()
    logdir = Path(tempfile.mkdtemp(prefix="closer-bench-"))
    worker = start_worker(database_url, sink.port, args.concurrency, logdir / "worker.log")
    try:
        start = time.perf_counter()
        sweep.delay()
        deadline = start + args.timeout
        while sink.count < args.alerts and time.perf_counter() < deadline:
            time.sleep(0.01)
        received_all = sink.count >= args.alerts
        elapsed = (sink.last_at if received_all else time.perf_counter()) - start
        # Let anything late (a duplicate) arrive before counting.
        time.sleep(3)
    finally:
        stop_worker(worker)
        sink.controller.stop()

    statuses = Counter(Alert.objects.values_list("status", flat=True))
    expected = {f"[Closer] Bench alert {i:06d}" for i in range(args.alerts)}
    missing = expected - set(sink.subjects)
    duplicated = {s: n for s, n in sink.subjects.items() if n > 1}
    unexpected = set(sink.subjects) - expected

    print(f"alerts:        {args.alerts:,} pending, due now, {args.recipients} recipients")
    print(
        f"worker:        1 process, prefork --concurrency={args.concurrency}, "
        f"batches of {DELIVERY_BATCH} per task"
    )
    print(f"broker:        {settings.CELERY_BROKER_URL}; database: {name}")
    print(f"received:      {sink.count:,} messages, {len(sink.subjects):,} distinct")
    print(f"time:          {elapsed:.2f} s from the sweep to the last message")
    print(f"rate:          {sink.count / elapsed:,.0f} messages/s")
    print(f"alert rows:    {dict(statuses)}")
    print(f"lost:          {len(missing)}; duplicated: {len(duplicated)}; other: {len(unexpected)}")
    ok = (
        received_all
        and not missing
        and not duplicated
        and not unexpected
        and statuses == Counter({Alert.Status.SENT: args.alerts})
    )
    if ok:
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        print(f"FAILED; the worker's log is in {logdir}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
