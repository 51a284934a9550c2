"""Real parts for integration tests: a Celery worker in its own process, on the real broker.

Tests that stop Redis or kill a worker get parts of their own (a redis-server on a free port,
workers consuming from it) so the session's Redis and worker go on serving the other tests.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from candidates.models import Currency
from offers.demo import build_market
from recruiting.pipeline.models import Role
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory
from tests.workers import start_worker as _start_worker
from tests.workers import stop_worker as _stop_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mail(smtp_server):
    """The session's SMTP server, empty, accepting and fast, and left so for the next test."""
    smtp_server.reset()
    yield smtp_server
    smtp_server.reset()


class RedisServer:
    """A redis-server of a test's own, on a free port, that the test may kill and start again
    (on the same port, empty: nothing is saved, as a Redis that lost its contents)."""

    def __init__(self, directory: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server not found: Redis is not installed (see .ci/run)")
        self.executable, self.directory = executable, directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"redis-server did not start on port {self.port}")
                    time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        """A hung Redis: connections open, no answers (a failover, a dropped NAT entry)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


def _use_broker(app, url: str, *, close: bool) -> None:
    """Points the app at another broker. It keeps its connections and producers in pools made
    for its broker URL (shared, per URL, in kombu's registry); dropping its references makes
    the next publish take the pools of the new URL. `close` closes the ones left, which no one
    will use again, and takes them out of the registry: a later test's Redis may get the same
    port, and so the same URL, and must not be handed a closed pool."""
    from kombu import pools

    if close:
        closed = [pool for pool in (app._pool, app.amqp._producer_pool) if pool is not None]
        for pool in closed:
            pool.force_close_all()
        for group in (pools.connections, pools.producers):
            for key in [key for key, pool in group.items() if any(pool is c for c in closed)]:
                dict.__delitem__(group, key)  # the key as stored, not hashed again
    app._pool = app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def own_broker(own_redis, settings):
    """Points this process's Celery app (its tasks' .delay and control pings) at the test's own
    Redis for the length of the test; results stay on the session's Redis."""
    from recruiting.celery import app

    saved = app.conf.broker_url
    _use_broker(app, own_redis.url, close=False)
    settings.CELERY_BROKER_URL = own_redis.url
    try:
        yield own_redis
    finally:
        _use_broker(app, saved, close=True)


@pytest.fixture
def own_worker(own_broker, smtp_server, tmp_path):
    """Starts workers of the test's own, on its own Redis (with settings of the test's own
    given as environment variables), which the test may kill; any left running are stopped
    after the test."""
    started: list[subprocess.Popen] = []

    def start(**env: str) -> subprocess.Popen:
        log = tmp_path / f"worker-{len(started)}.log"
        process = _start_worker(log, smtp_server, CELERY_BROKER_URL=own_broker.url, **env)
        started.append(process)
        return process

    yield start
    for process in started:
        _stop_worker(process)


@pytest.fixture
def drain():
    """A function that returns once the worker (on the broker the app points at) has run every
    task queued so far and every task those queued (a sweep's batches). A worker here runs one
    task at a time, in order: the first ping answers after the tasks queued before it, the
    second after the tasks they queued."""
    from recruiting.tasks import ping

    def drain() -> None:
        for _ in range(2):
            assert ping.delay().get(timeout=60) == "pong"

    return drain


# --- Competing offers: their alerts (test_competing_alerts) and sent once (test_form_keys) ------


@pytest.fixture
def application(recruiter, hiring_manager):
    """Ada Lovelace's application to a senior research scientist role in Silicon Valley, the
    market built, its hiring manager allowed to see pay."""
    # A transactional test's flush empties every table, the currencies a migration added too.
    Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
    Currency.objects.get_or_create(code="EUR", defaults={"name": "Euro"})
    build_market()
    # This hiring manager co-drafts offers: may see compensation (one who may not is told
    # without figures: test_someone_who_may_not_see_compensation_is_told_without_a_figure).
    hiring_manager.user_permissions.add(
        Permission.objects.get(codename="view_compensation", content_type__app_label="offers")
    )
    role = RoleFactory(
        title="Senior Research Scientist",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
    )
    ada = CandidateFactory(name="Ada Lovelace", owner=recruiter)
    return ApplicationFactory(candidate=ada, role=role)
