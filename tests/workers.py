"""A real Celery worker for the tests that need one: its own process, consuming from the test
broker, on the test database, sending email to the tests' SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _test_database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def start_worker(log: Path, smtp_server, **env_overrides: str) -> subprocess.Popen:
    """Starts a worker and waits until it answers a ping on the broker the tests' Celery app
    points at (which the worker's environment must name too)."""
    from django.db import connection

    from recruiting.celery import app

    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(connection.settings_dict["NAME"]),
        "DJANGO_SETTINGS_MODULE": "recruiting.settings",
        # The worker sends its email to the tests' real SMTP server.
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        **env_overrides,
    }
    name = f"test-{uuid.uuid4().hex[:8]}@closer-tests"
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
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_worker(process)
            pytest.fail(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
