from __future__ import annotations

from recruiting.celery import app
from recruiting.tasks import ping


def test_ping_runs_on_a_real_worker(celery_worker):
    result = ping.delay()

    assert result.get(timeout=30) == "pong"
    # Not run eagerly in this process: the worker that answered is the one we started.
    assert app.conf.task_always_eager is False
    assert celery_worker.poll() is None


def test_celery_speaks_json_only_in_utc() -> None:
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert str(app.conf.timezone) == "UTC" and app.conf.enable_utc is True
    assert app.conf.broker_connection_retry_on_startup is True


def test_a_test_broker_on_a_port_an_earlier_one_had_is_usable(tmp_path):
    """Each test's own Redis takes a free port, which a later test's may get again: pointing
    the app at that URL again must hand out working pools, not the closed ones of before (the
    worker's start-up ping failed with "Acquire on closed pool")."""
    from tests.integration.conftest import RedisServer, _use_broker

    server = RedisServer(tmp_path)
    server.start()
    saved = app.conf.broker_url
    try:
        for _ in range(2):
            _use_broker(app, server.url, close=False)
            try:
                ping.delay()  # publishes through the pools of this URL
            finally:
                _use_broker(app, saved, close=True)
        # Both publishes reached this Redis: the second through fresh pools.
        with app.connection_for_write(server.url) as connection:
            assert connection.default_channel.client.llen("celery") == 2
    finally:
        server.kill()
