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
