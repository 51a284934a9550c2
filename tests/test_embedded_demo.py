"""`make run`'s demo on the embedded setup (SQLite, no server installed): every step of
`make demo` succeeds on a fresh machine. The rest of the suite runs on PostgreSQL, where SQL
that SQLite does not speak would pass unnoticed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each report's page as rita sees it, on the demo's SQLite database: its slug and status.
REPORTS_ON_SQLITE = """
from django.contrib.auth.models import User
from django.test import Client
from recruiting.web.reports.registry import REPORTS
client = Client(HTTP_HOST="localhost")
client.force_login(User.objects.get(username="rita"))
for spec in REPORTS:
    print(spec.slug, client.get(f"/reports/{spec.slug}/").status_code)
# The applications' copies of their candidates' source and owner, kept by SQLite's triggers:
# after the demo, and after a candidate changes.
from django.db.models import F, Q
from candidates.models import Candidate
from recruiting.pipeline.models import Application
moved = Candidate.objects.filter(applications__isnull=False, owner__isnull=False).first()
Candidate.objects.filter(pk=moved.pk).update(source="event", owner=None)
same_owner = Q(candidate_owner=F("candidate__owner")) | Q(
    candidate_owner__isnull=True, candidate__owner__isnull=True
)
off = Application.objects.exclude(candidate_source=F("candidate__source")) | (
    Application.objects.exclude(same_owner)
)
print("copies-off", off.count())
print("copies-moved", Application.objects.filter(candidate=moved, candidate_source="event",
    candidate_owner__isnull=True).count())
"""
DEMO = [
    "migrate",
    "seed_demo",
    "seed_market",
    "seed_history",
    "seed_outreach",
    "ensure_demo_login",
    "offer_links",
]


def test_make_demo_succeeds_on_the_embedded_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DEBUG="true", CLOSER_VAR_DIR=str(tmp_path))
    said = {}
    for command in DEMO:
        done = subprocess.run(
            [sys.executable, "manage.py", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"manage.py {command}:\n{done.stderr[-3000:]}"
        said[command] = done.stdout

    assert (tmp_path / "closer.sqlite3").exists()
    # Every report renders on SQLite (its percentile is a registered aggregate there).
    reports = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", REPORTS_ON_SQLITE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert reports.returncode == 0, reports.stderr[-3000:]
    shown = dict(line.split(" ", 1) for line in reports.stdout.split("\n") if line.count(" ") == 1)
    # Every application holds its candidate's source and owner, one whose candidate changed too.
    assert shown.pop("copies-off") == "0"
    assert int(shown.pop("copies-moved")) >= 1
    assert set(shown) == {"rivals", "outcomes", "funnel", "offers", "outreach"}
    assert all(status == "200" for status in shown.values()), shown
    # The outreach demo sends its steps through the sending code itself.
    assert "15 emails sent" in said["seed_outreach"]
    assert "10 stories played" in said["seed_history"]
    assert "or as rita / " in said["ensure_demo_login"]
