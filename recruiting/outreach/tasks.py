"""Thin Celery wrappers for outreach. Whether a step was sent is decided by the database (its
SentMessage row), never by the queue: a task run twice, or by two workers, sends one email."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from celery import shared_task
from django.conf import settings
from redis.exceptions import LockError

from . import services

log = logging.getLogger(__name__)

SEND_LIMIT = 2000  # steps a minute: a backlog drains over the next runs
SEND_LOCK = "closer:outreach-send-due"
SEND_LOCK_TIMEOUT = 55  # seconds: freed before the next minute's run if its holder died


@contextmanager
def one_run_at_a_time() -> Iterator[bool]:
    """Yields whether this run may work (as alerts.tasks.one_sweep_at_a_time): two schedulers
    started by mistake must not both walk the due steps. The claim keeps them from sending
    twice anyway; the lock saves the wasted work."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        yield True
        return
    with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=3) as client:
        lock = client.lock(SEND_LOCK, timeout=SEND_LOCK_TIMEOUT, blocking=False)
        if not lock.acquire():
            yield False
            return
        try:
            yield True
        finally:
            try:
                lock.release()
            except LockError:
                log.warning("outreach.send_due ran longer than its %ss lock", SEND_LOCK_TIMEOUT)


@shared_task(name="outreach.send_due", ignore_result=True)
def send_due() -> dict[str, object]:
    """Every minute: the outreach steps that have come due."""
    with one_run_at_a_time() as mine:
        if not mine:
            log.info("another outreach.send_due is running; this one does nothing")
            return {"skipped": "another run is in progress"}
        return dict(services.send_due_steps(limit=SEND_LIMIT))
