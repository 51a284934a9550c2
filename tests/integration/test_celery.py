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
