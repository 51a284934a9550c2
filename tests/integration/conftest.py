"""Real parts for integration tests: a Celery worker in its own process, on the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory, smtp_server):  # type: ignore[no-untyped-def]
    """A `celery worker` process consuming from the test broker, using the test database and
    sending email to the tests' SMTP server.

    It is a separate process, as in production: tasks cross the broker as JSON, and the worker
    sees only what the test process has committed.
    """
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("integration tests need REDIS_URL pointing at a real Redis (see .ci/run)")
    from django.db import connection

    from recruiting.celery import app

    app.connection_for_write().default_channel.client.flushdb()
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(connection.settings_dict["NAME"]),
        "DJANGO_SETTINGS_MODULE": "recruiting.settings",
        # The worker sends its email to the tests' real SMTP server.
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
    }
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "recruiting",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-n",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
