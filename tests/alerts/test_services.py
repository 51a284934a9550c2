"""The alert outbox: raising, delivering through a real SMTP server, retrying, quiet hours and
digests. Time is moved by passing `now`, never waited for."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from recruiting.alerts import registry
from recruiting.alerts.delivery import (
    MAX_ATTEMPTS,
    release_stale_claims,
    retry_failed,
    send_alert,
    send_alerts,
    send_digests,
)
from recruiting.alerts.models import Alert, AlertPreference, AlertProfile
from recruiting.alerts.services import raise_alert
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOTICE = registry.register_kind(registry.AlertKind("test_notice", "A test notice"))
URGENT = registry.register_kind(registry.AlertKind("test_urgent", "An urgent notice", urgent=True))
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def no_worker_races_these_tests(monkeypatch):
    """These tests deliver by calling the services. raise_alert queues a delivery task after
    commit, and the session's real worker (started by tests/integration, on the same database)
    would take it and race the test for the alert; here that task goes nowhere. That the task
    is queued and run is proven in tests/integration."""
    from recruiting.alerts.tasks import deliver_alert as task

    monkeypatch.setattr(task, "delay", lambda alert_id: None)


@pytest.fixture
def rita(db):
    return UserFactory(username="rita", email="rita@closer.example", first_name="Rita")


def notice(user, key: str = "k1", kind: str = "test_notice", **extra) -> Alert | None:
    with transaction.atomic():
        return raise_alert(
            kind=kind,
            recipient=user,
            key=key,
            subject="Meridian AI's deadline for Ada Lovelace is in 24 hours",
            context={"message": "Their offer beats ours by 20% in year one."},
            link="/admin/offers/offer/1/change/",
            **extra,
        )


def test_an_alert_arrives_by_smtp_with_subject_text_and_html(rita, smtp):
    alert = notice(rita)

    assert send_alert(alert.pk) == "sent"

    [message] = smtp.messages
    assert message["To"] == "rita@closer.example"
    assert message["Subject"] == "[Closer] Meridian AI's deadline for Ada Lovelace is in 24 hours"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "beats ours by 20%" in text and "beats ours by 20%" in html
    assert "http://127.0.0.1:8000/admin/offers/offer/1/change/" in text
    assert "/alerts/preferences/" in html
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT and alert.sent_at is not None


def test_the_same_event_never_makes_two_alerts(rita):
    assert notice(rita, key="deadline-24h-offer-1") is not None
    assert notice(rita, key="deadline-24h-offer-1") is None
    assert Alert.objects.count() == 1


def test_delivering_twice_sends_one_email(rita, smtp):
    alert = notice(rita)

    outcomes = [send_alert(alert.pk), send_alert(alert.pk)]

    assert outcomes == ["sent", "skipped"]
    assert len(smtp.messages) == 1


def test_smtp_refusing_is_retried_with_backoff_then_delivered(rita, smtp):
    alert = notice(rita)
    smtp.refuse = True
    start = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("UTC"))
    Alert.objects.filter(pk=alert.pk).update(next_attempt_at=start)

    first = send_alert(alert.pk, now=start)
    alert.refresh_from_db()
    assert first == "retry" and alert.next_attempt_at == start + timedelta(minutes=1)
    assert "451" in alert.last_error
    second = send_alert(alert.pk, now=start + timedelta(minutes=1))
    alert.refresh_from_db()
    assert second == "retry" and alert.next_attempt_at == start + timedelta(minutes=3)
    assert send_alert(alert.pk, now=start + timedelta(minutes=2)) == "skipped"  # not due

    smtp.refuse = False
    assert send_alert(alert.pk, now=start + timedelta(minutes=3)) == "sent"
    assert len(smtp.messages) == 1


def test_an_alert_that_keeps_failing_is_marked_failed_and_can_be_retried(rita, smtp):
    alert = notice(rita)
    smtp.refuse = True
    now = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("UTC"))
    for _ in range(MAX_ATTEMPTS):
        Alert.objects.filter(pk=alert.pk).update(next_attempt_at=now)
        outcome = send_alert(alert.pk, now=now)
    alert.refresh_from_db()
    assert outcome == "failed" and alert.status == Alert.Status.FAILED
    assert alert.attempts == MAX_ATTEMPTS

    smtp.refuse = False
    assert retry_failed(Alert.objects.all()) == 1
    assert send_alert(alert.pk) == "sent"


def test_an_alert_claimed_by_a_worker_that_died_is_delivered_later(rita, smtp):
    alert = notice(rita)
    claimed_at = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("UTC"))
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.SENDING, claimed_at=claimed_at)

    assert send_alert(alert.pk) == "skipped"  # another worker holds it
    assert release_stale_claims(claimed_at + timedelta(minutes=5)) == 0
    assert release_stale_claims(claimed_at + timedelta(minutes=11)) == 1
    assert send_alert(alert.pk) == "sent"
    assert len(smtp.messages) == 1


def test_quiet_hours_hold_an_alert_until_they_end_but_not_an_urgent_one(rita):
    AlertProfile.objects.create(
        user=rita, timezone="Europe/Paris", quiet_from=time(21, 0), quiet_until=time(7, 30)
    )
    late = datetime(2026, 11, 30, 23, 15, tzinfo=PARIS)

    held = notice(rita, key="a", now=late)
    urgent = notice(rita, key="b", kind="test_urgent", now=late)

    assert held.next_attempt_at == datetime(2026, 12, 1, 7, 30, tzinfo=PARIS)
    assert urgent.next_attempt_at == late


def test_digest_alerts_go_together_at_8_in_the_users_timezone(rita, smtp):
    AlertProfile.objects.create(user=rita, timezone="Europe/Paris")
    AlertPreference.objects.create(user=rita, kind="test_notice", mode="digest")
    evening = datetime(2026, 11, 30, 18, 0, tzinfo=PARIS)
    first = notice(rita, key="a", now=evening)
    notice(rita, key="b", now=evening + timedelta(hours=1))

    assert first.next_attempt_at == datetime(2026, 12, 1, 8, 0, tzinfo=PARIS)
    assert send_alert(first.pk) == "skipped"  # a digest alert is never sent on its own
    assert send_digests(datetime(2026, 12, 1, 7, 59, tzinfo=PARIS)) == 0
    assert send_digests(datetime(2026, 12, 1, 8, 0, tzinfo=PARIS)) == 1
    assert send_digests(datetime(2026, 12, 1, 8, 1, tzinfo=PARIS)) == 0

    [message] = smtp.messages
    assert message["Subject"] == "[Closer] Your daily digest: 2 alerts"
    assert message.get_body(("plain",)).get_content().count("Meridian AI's deadline") == 2
    assert set(Alert.objects.values_list("status", flat=True)) == {Alert.Status.SENT}


def test_an_alert_turned_off_is_kept_but_never_sent(rita, smtp):
    AlertPreference.objects.create(user=rita, kind="test_notice", mode="off")

    alert = notice(rita)

    assert alert.status == Alert.Status.SUPPRESSED
    assert send_alert(alert.pk) == "skipped"
    assert smtp.messages == []


def test_a_recipient_without_an_email_address_is_a_failure_on_the_row(db, smtp):
    nobody = UserFactory(username="noemail", email="")

    alert = notice(nobody)

    assert send_alert(alert.pk) == "failed"
    alert.refresh_from_db()
    assert "no email address" in alert.last_error


def pending(user, key: str) -> Alert:
    """A pending alert, due now, with no delivery task queued (as the sweep finds one)."""
    return Alert.objects.create(kind="test_notice", recipient=user, key=key, subject=key)


def test_a_batch_is_delivered_over_one_smtp_connection_each_alert_on_its_own(rita, smtp):
    first, second, third = (pending(rita, f"batch-{i}") for i in range(3))
    no_address = pending(UserFactory(username="noemail", email=""), "batch-none")
    assert send_alert(first.pk) == "sent"

    outcomes = send_alerts([first.pk, second.pk, no_address.pk, third.pk])

    assert outcomes == {"skipped": 1, "sent": 2, "failed": 1}
    assert len(smtp.messages) == 3
    assert smtp.peers[1] == smtp.peers[2]  # the batch's two emails, one connection
    assert set(
        Alert.objects.filter(pk__in=[second.pk, third.pk]).values_list("status", flat=True)
    ) == {Alert.Status.SENT}


def test_a_batch_the_server_refuses_is_retried_alert_by_alert(rita, smtp):
    start = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("UTC"))
    alerts = [pending(rita, f"batch-{i}") for i in range(2)]
    Alert.objects.update(next_attempt_at=start)
    smtp.refuse = True

    assert send_alerts([a.pk for a in alerts], now=start) == {"retry": 2}

    smtp.refuse = False
    later = start + timedelta(minutes=1)
    assert send_alerts([a.pk for a in alerts], now=later) == {"sent": 2}
    assert len(smtp.messages) == 2
    assert set(Alert.objects.values_list("attempts", flat=True)) == {2}


# --- Outside Closer: a candidate, from a colleague ----------------------------------------------

OUTSIDE = registry.register_kind(
    registry.AlertKind(
        "test_outside",
        "A test email to a candidate",
        required=True,
        external=True,
        render_context=lambda alert: {"message": f"Made when sent, about {alert.about_id}"},
        attachments=lambda alert: [registry.Attachment("terms.txt", b"the terms", "text/plain")],
    )
)


def test_an_email_to_a_candidate_goes_from_the_colleague_with_what_its_kind_adds(smtp):
    rita = UserFactory(first_name="Rita", last_name="Recruiter", email="rita@closer.example")

    alert = raise_alert(
        kind=OUTSIDE.name,
        to_email="ada@lovelace.example",
        sender=rita,
        key="outside-1",
        subject="Your offer",
        about=rita,
    )
    assert send_alert(alert.pk) == "sent"

    [message] = smtp.wait_for(1)
    assert message["To"] == "ada@lovelace.example"
    assert message["From"] == "Rita Recruiter <rita@closer.example>"
    assert message["Reply-To"] == "Rita Recruiter <rita@closer.example>"
    assert f"Made when sent, about {rita.pk}" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "terms.txt"
    row = Alert.objects.get(pk=alert.pk)
    assert row.addressee == "ada@lovelace.example" and "Made when sent" not in str(row.context)


def test_an_outside_kind_takes_an_address_and_a_colleagues_kind_a_user():
    rita = UserFactory()

    with pytest.raises(ValueError, match="an address outside Closer"):
        raise_alert(kind=OUTSIDE.name, recipient=rita, key="wrong-1", subject="x")
    with pytest.raises(ValueError, match="a user"):
        raise_alert(kind=NOTICE.name, to_email="ada@lovelace.example", key="wrong-2", subject="x")
    assert not Alert.objects.exists()


def test_the_database_holds_one_addressee_per_alert():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(kind=NOTICE.name, key="neither", subject="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            kind=NOTICE.name,
            recipient=UserFactory(),
            to_email="a@b.example",
            key="both",
            subject="x",
        )


def test_an_outside_kind_must_be_required():
    with pytest.raises(ValueError, match="must be required"):
        registry.AlertKind("test_wrong", "Wrong", external=True)
