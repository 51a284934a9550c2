"""One periodic job at a time across every worker.

Two schedulers started by mistake (two `celery beat`) would each send the every-minute jobs;
a lock in the broker's Redis, which every worker shares, lets one run work. The filesystem
broker is the embedded setup: one machine, one scheduler, nothing to share a lock through.
The database still decides what was done (claims, unique keys); the lock saves wasted work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings
from redis.exceptions import LockError

log = logging.getLogger(__name__)


@contextmanager
def one_at_a_time(name: str, *, timeout: int) -> Iterator[bool]:
    """Yields whether this run may work. The lock expires after `timeout` seconds, so a run
    whose worker died frees it for the next one."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        yield True
        return
    with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=3) as client:
        lock = client.lock(name, timeout=timeout, blocking=False)
        if not lock.acquire():
            yield False
            return
        try:
            yield True
        finally:
            try:
                lock.release()
            except LockError:  # it expired: this run outlived its lock, and nothing is lost
                log.warning("%s ran longer than its %ss lock", name, timeout)
