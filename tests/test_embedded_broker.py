"""The embedded Celery broker (kombu's filesystem transport, as `make run` uses it) keeps every
file under var/: a checkout that ran Closer has nothing new to commit by mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BROADCAST = """
import django
django.setup()
from recruiting.celery import app
app.control.ping(timeout=0.2)  # a broadcast, as a worker's pidbox and `celery inspect` make
"""


def test_a_broadcast_on_the_embedded_broker_writes_only_under_var(tmp_path):
    elsewhere, var = tmp_path / "cwd", tmp_path / "var"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DEBUG="true",
        CLOSER_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="recruiting.settings",
        PYTHONPATH=str(ROOT),
    )

    result = subprocess.run(
        [sys.executable, "-c", BROADCAST],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert list(elsewhere.iterdir()) == []
    assert list((var / "celery" / "control").iterdir())  # the exchange files are here


def test_a_command_that_queues_tasks_leaves_nothing_in_the_working_directory(tmp_path):
    """seed_market records competing offers, which queue alert deliveries: on the embedded
    setup (SQLite and the filesystem broker under var/), run from another directory."""
    elsewhere, var = tmp_path / "cwd", tmp_path / "var"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DEBUG="true", CLOSER_VAR_DIR=str(var), PYTHONPATH=str(ROOT))
    manage = [sys.executable, str(ROOT / "manage.py")]

    for command in (["migrate", "--noinput"], ["seed_demo"], ["seed_market"]):
        result = subprocess.run(
            [*manage, *command],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr

    assert list(elsewhere.iterdir()) == []
    assert list((var / "celery" / "queue").iterdir())  # the queued deliveries are here
