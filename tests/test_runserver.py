"""The embedded web server, as `make run` starts it, serves the admin with its styles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runserver_serves_the_admin_stylesheet_and_scripts(tmp_path):
    port = _free_port()
    # The embedded setup, as on a fresh machine: DEBUG, SQLite and the filesystem broker.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DEBUG="true", CLOSER_VAR_DIR=str(tmp_path))
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            "--skip-checks",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/admin/login/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        for path in (
            "/static/admin/css/base.css",
            "/static/admin/js/core.js",
            "/static/admin/js/vendor/select2/select2.full.min.js",
        ):
            with urllib.request.urlopen(base + path, timeout=5) as response:
                assert response.status == 200, path
                assert len(response.read()) > 1000, path
    finally:
        server.terminate()
        server.wait(timeout=10)
