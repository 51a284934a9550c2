"""Delivering alerts. The database decides what was done, never the queue: delivery claims a row
with a compare-and-set update, sends outside any transaction, and marks the outcome, so a lost
task or a killed worker loses no alert and sends none twice (except one the SMTP server had
accepted when the worker died, which nothing can know)."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import formataddr
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import models
from django.db.models import F
from django.template.loader import render_to_string, select_template
from django.utils import timezone

from recruiting.lib.mail import close_quietly, shared_smtp_connection
from recruiting.lib.types import User

from . import registry
from .models import Alert

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8, 16 minutes
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this belonged to a worker that died


class Delivery(StrEnum):
    """What became of one attempt to deliver an alert."""

    SENT = "sent"
    SKIPPED = "skipped"  # not due, claimed by someone else, or already done
    RETRY = "retry"  # the SMTP server failed; tried again later
    FAILED = "failed"  # given up: no address, or too many attempts


# --- Delivering ----------------------------------------------------------------------------


def _from(sender: User | None) -> tuple[str, list[str]]:
    """From and Reply-To: a colleague writing to a candidate, or Closer itself."""
    if sender is None or not sender.email:
        return settings.DEFAULT_FROM_EMAIL, []
    address = formataddr((sender.get_full_name() or sender.get_username(), sender.email))
    return address, [address]


def _hooks(name: str) -> registry.AlertKind | None:
    """The alert's kind, for its render hooks; None for a kind this process does not know (a
    kind since removed from the code): its email is the plain one."""
    try:
        return registry.kind(name)
    except LookupError:
        return None


def _render(alert: Alert) -> EmailMultiAlternatives:
    kind = _hooks(alert.kind)
    context = {
        "alert": alert,
        "user": alert.recipient,
        "sender": alert.sender,
        "site_url": settings.SITE_URL.rstrip("/"),
        "link": settings.SITE_URL.rstrip("/") + alert.link
        if alert.link.startswith("/")
        else alert.link,
        "preferences_url": settings.SITE_URL.rstrip("/") + "/alerts/preferences/",
        **alert.context,
        **(kind.render_context(alert) if kind and kind.render_context else {}),
    }

    def render(suffix: str) -> str:
        names = [f"emails/{alert.kind}.{suffix}", f"emails/alert.{suffix}"]
        return select_template(names).render(context)

    subject = " ".join(render("subject.txt").split())
    from_email, reply_to = _from(alert.sender)
    message = EmailMultiAlternatives(
        subject, render("txt"), from_email, [alert.address], reply_to=reply_to
    )
    message.attach_alternative(render("html"), "text/html")
    if kind is not None and kind.attachments is not None:
        for attachment in kind.attachments(alert):
            message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def send_alert(
    alert_id: int, *, now: datetime | None = None, connection: BaseEmailBackend | None = None
) -> Delivery:
    """Claims, sends and marks one alert. Returns what happened: sent, skipped (not due, or
    claimed by someone else, or already done), retry or failed. `connection`, when given, is
    an email connection kept open across calls (see send_alerts)."""
    now = now or timezone.now()
    claimed = Alert.objects.filter(
        pk=alert_id, status=Alert.Status.PENDING, in_digest=False, next_attempt_at__lte=now
    ).update(status=Alert.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return Delivery.SKIPPED
    alert = Alert.objects.select_related("recipient", "sender").get(pk=alert_id)
    if not alert.address:
        _mark(alert, Alert.Status.FAILED, error="The recipient has no email address.")
        return Delivery.FAILED
    try:
        message = _render(alert)
        if connection is not None:
            connection.open()  # a no-op while it is open; reconnects after a failure
            message.connection = connection
        message.send()  # SMTP, outside any transaction
    except Exception as error:  # noqa: BLE001 - any SMTP or network failure is retried
        if connection is not None:
            close_quietly(connection)  # the server may have dropped it: the next alert reconnects
        return _retry_later(alert, now, error)
    _mark(alert, Alert.Status.SENT, sent_at=timezone.now())
    return Delivery.SENT


def send_alerts(alert_ids: Iterable[int], *, now: datetime | None = None) -> dict[str, int]:
    """Delivers a batch of alerts in one task over one SMTP connection: a task and an SMTP
    connection per email cost more than the email (make bench: 10,000 alerts took 97 s that
    way, 26 s in the sweep's batches of 50). Each alert is still claimed, sent and marked on
    its own, so a worker that dies mid-batch leaves only the one it was sending claimed; the
    rest stay pending for the next sweep. Returns how many of each outcome."""
    outcomes: Counter[str] = Counter()
    shared = shared_smtp_connection()
    try:
        for alert_id in alert_ids:
            outcomes[send_alert(alert_id, now=now, connection=shared)] += 1
    finally:
        if shared is not None:
            close_quietly(shared)
    return dict(outcomes)


def _mark(alert: Alert, status: str, *, error: str = "", sent_at: datetime | None = None) -> None:
    Alert.objects.filter(pk=alert.pk, status=Alert.Status.SENDING).update(
        status=status, last_error=error, sent_at=sent_at
    )


def _retry_later(alert: Alert, now: datetime, error: Exception) -> Delivery:
    text = f"{type(error).__name__}: {error}"[:2000]
    if alert.attempts >= MAX_ATTEMPTS:
        _mark(alert, Alert.Status.FAILED, error=text)
        log.warning("alert %s failed after %s attempts: %s", alert.pk, alert.attempts, text)
        return Delivery.FAILED
    Alert.objects.filter(pk=alert.pk, status=Alert.Status.SENDING).update(
        status=Alert.Status.PENDING,
        last_error=text,
        next_attempt_at=now + FIRST_RETRY * 2 ** (alert.attempts - 1),
    )
    return Delivery.RETRY


def release_stale_claims(now: datetime | None = None) -> int:
    """Alerts claimed by a worker that died mid-delivery go back to pending."""
    now = now or timezone.now()
    return Alert.objects.filter(
        status=Alert.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=Alert.Status.PENDING)


def due_alert_ids(now: datetime | None = None, *, limit: int = 1000) -> list[int]:
    now = now or timezone.now()
    return list(
        Alert.objects.filter(status=Alert.Status.PENDING, in_digest=False, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def retry_failed(alerts: models.QuerySet[Alert]) -> int:
    """Puts failed alerts back in line (the admin's retry action)."""
    return alerts.filter(status=Alert.Status.FAILED).update(
        status=Alert.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )


# --- Digests -------------------------------------------------------------------------------


def send_digests(now: datetime | None = None) -> int:
    """One email per user whose digest alerts have come due (08:00 local). Returns emails."""
    now = now or timezone.now()
    due = Alert.objects.filter(
        status=Alert.Status.PENDING, in_digest=True, next_attempt_at__lte=now
    ).values_list("recipient_id", "pk")
    by_user: dict[int, list[int]] = defaultdict(list)
    for user_id, pk in due:
        by_user[user_id].append(pk)
    sent = 0
    for ids in by_user.values():
        claimed = Alert.objects.filter(pk__in=ids, status=Alert.Status.PENDING).update(
            status=Alert.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            continue
        alerts = list(
            Alert.objects.filter(pk__in=ids, status=Alert.Status.SENDING, claimed_at=now)
            .select_related("recipient")
            .order_by("created_at")
        )
        if not alerts:
            continue
        user = alerts[0].recipient
        if user is None:  # digests are a colleague's: an outside address is never in one
            continue
        context = {
            "user": user,
            "alerts": alerts,
            "site_url": settings.SITE_URL.rstrip("/"),
            "preferences_url": settings.SITE_URL.rstrip("/") + "/alerts/preferences/",
        }
        message = EmailMultiAlternatives(
            " ".join(render_to_string("emails/digest.subject.txt", context).split()),
            render_to_string("emails/digest.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        message.attach_alternative(render_to_string("emails/digest.html", context), "text/html")
        try:
            message.send()
        except Exception as error:  # noqa: BLE001 - any SMTP or network failure is retried
            for alert in alerts:
                _retry_later(alert, now, error)
            continue
        Alert.objects.filter(pk__in=[a.pk for a in alerts], status=Alert.Status.SENDING).update(
            status=Alert.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        sent += 1
    return sent
