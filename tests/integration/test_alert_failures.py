"""Alerts when a real part fails: Redis stopped when the event happens, the worker killed while
it delivers, the SMTP server refusing for a while. Time is moved (claims and next attempts),
never waited for; each test says exactly how many emails arrive."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from candidates.models import Candidate
from recruiting.alerts import registry
from recruiting.alerts.delivery import STALE_CLAIM, release_stale_claims
from recruiting.alerts.models import Alert
from recruiting.alerts.services import raise_alert
from recruiting.alerts.tasks import sweep
from tests.factories import CandidateFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

registry.register_kind(registry.AlertKind("test_notice", "A test notice"))

SUBJECT = "Helix Intelligence beats our offer to Ada Lovelace"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def rita(db):
    return UserFactory(username="rita", email="rita@closer.example")


def raise_notice(user, key: str = "it-1") -> Alert:
    with transaction.atomic():
        alert = raise_alert(kind="test_notice", recipient=user, key=key, subject=SUBJECT)
    assert alert is not None  # a new key: raised
    return alert


def eventually(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "outage, fails_within",
    [
        # Killed: connections are refused at once. It comes back empty, as a Redis that lost
        # its contents: the on-commit task is gone with it.
        ("killed", 1.0),
        # Hung: connections open but nothing answers, until the socket timeout (3 s).
        ("hung", 5.0),
    ],
)
def test_redis_down_when_the_event_happens_the_change_is_saved_and_sent_once_it_is_back(
    own_redis, own_worker, drain, mail, rita, caplog, outage, fails_within
):
    own_worker()
    if outage == "killed":
        own_redis.kill()
    else:
        own_redis.pause()
    # Were the publish to wait for ever, the test would fail on `took`, not hang.
    watchdog = threading.Timer(20, own_redis.resume)
    watchdog.start()

    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"):
        with transaction.atomic():
            CandidateFactory(name="Ada Lovelace")
            alert = raise_notice(rita)
    took = time.monotonic() - started
    watchdog.cancel()

    # The change and its alert are committed; queueing failed fast, was logged, and raised
    # nothing into the request.
    assert Candidate.objects.filter(name="Ada Lovelace").exists()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PENDING and alert.attempts == 0
    assert took < fails_within, f"the request waited {took:.1f}s on the broker"
    assert any("on_commit" in record.getMessage() for record in caplog.records)

    # Redis comes back; the worker reconnects; the sweep finds the alert and delivers it.
    if outage == "killed":
        own_redis.start()
        drain()
        assert mail.messages == []  # the task was lost: only the sweep can deliver it
    else:
        own_redis.resume()
    sweep.delay()
    [message] = mail.wait_for(1)
    drain()

    assert len(mail.messages) == 1  # exactly once
    assert message["To"] == "rita@closer.example"
    assert message["Subject"] == f"[Closer] {SUBJECT}"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT and alert.attempts == 1


@pytest.mark.parametrize(
    "server_had_it, duplicates",
    [
        # Killed while the server still waits to take the message: it never has it, and the
        # redelivery is the only email.
        (False, 0),
        # Killed after the server took the message but before the worker heard its 250 and
        # marked the alert sent: nothing can know it arrived, and it arrives twice.
        (True, 1),
    ],
    ids=["before-the-server-took-it", "after-the-server-took-it"],
)
def test_a_worker_killed_while_delivering_loses_no_alert(
    own_worker, drain, mail, rita, server_had_it, duplicates
):
    first = own_worker()
    mail.delay, mail.accept_first = 60, server_had_it

    alert = raise_notice(rita)
    assert mail.wait_for_holding(1), "the worker never reached the SMTP server"
    first.kill()  # SIGKILL, mid-send
    first.wait()

    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENDING and alert.attempts == 1
    assert len(mail.messages) == duplicates  # what the server had when the worker died

    # The claim belongs to a dead worker: ten minutes on, the sweep's release hands it back
    # (time is moved, not waited for); a new worker's sweep delivers it.
    mail.delay = 0
    assert release_stale_claims(timezone.now() + STALE_CLAIM + timedelta(minutes=1)) == 1
    own_worker()
    sweep.delay()
    mail.wait_for(1 + duplicates)
    drain()

    assert len(mail.messages) == 1 + duplicates
    assert {m["Subject"] for m in mail.messages} == {f"[Closer] {SUBJECT}"}
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT and alert.attempts == 2


def test_smtp_down_for_a_while_is_retried_with_backoff_then_delivered(
    celery_worker, drain, mail, rita
):
    mail.refuse = True

    alert = raise_notice(rita)
    eventually(lambda: Alert.objects.filter(pk=alert.pk, attempts=1, status="pending").exists())
    alert.refresh_from_db()
    assert alert.next_attempt_at - alert.claimed_at == timedelta(minutes=1)
    assert "451" in alert.last_error

    # Not due yet: a sweep leaves it alone.
    sweep.delay()
    drain()
    alert.refresh_from_db()
    assert alert.attempts == 1

    # A minute passes; the server still refuses; the next wait doubles.
    Alert.objects.filter(pk=alert.pk).update(next_attempt_at=F("next_attempt_at") - MINUTE)
    sweep.delay()
    eventually(lambda: Alert.objects.filter(pk=alert.pk, attempts=2, status="pending").exists())
    alert.refresh_from_db()
    assert alert.next_attempt_at - alert.claimed_at == timedelta(minutes=2)

    # The server is back; two minutes pass.
    mail.refuse = False
    Alert.objects.filter(pk=alert.pk).update(next_attempt_at=F("next_attempt_at") - 2 * MINUTE)
    sweep.delay()
    [message] = mail.wait_for(1)
    drain()

    assert len(mail.messages) == 1
    assert message["Subject"] == f"[Closer] {SUBJECT}"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT and alert.attempts == 3
    assert alert.last_error == ""
