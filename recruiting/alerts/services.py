"""Raising alerts: each user's preferences decide when an alert is due, and raise_alert writes it
in the transaction of the change that caused it and queues its delivery after commit
(delivery.py sends it; scan.py runs the reminder rules)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from . import registry
from .models import Alert, AlertPreference, AlertProfile
from .scan import scan_batch, scan_cache
from .tasks import deliver_alert

# --- When an alert is due ------------------------------------------------------------------


def profile_of(user: User) -> AlertProfile:
    cache = scan_cache.get()
    if cache is not None and user.pk in cache.profiles:
        return cache.profiles[user.pk]
    profile = AlertProfile.objects.filter(user=user).first() or AlertProfile(user=user)
    if cache is not None:
        cache.profiles[user.pk] = profile
    return profile


def quiet_hours_end(now: datetime, profile: AlertProfile) -> datetime | None:
    """The end of the user's quiet hours if `now` falls in them, else None."""
    if profile.quiet_from is None or profile.quiet_until is None:
        return None
    zone = zoneinfo.ZoneInfo(profile.timezone)
    local = now.astimezone(zone)
    start, end, clock = profile.quiet_from, profile.quiet_until, local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


def next_digest_at(now: datetime, profile: AlertProfile) -> datetime:
    """The next 08:00 in the user's timezone."""
    zone = zoneinfo.ZoneInfo(profile.timezone)
    local = now.astimezone(zone)
    day = local.date() if local.time() < profile.DIGEST_AT else local.date() + timedelta(days=1)
    return datetime.combine(day, profile.DIGEST_AT, tzinfo=zone)


def mode_for(user: User, kind: str) -> str:
    cache = scan_cache.get()
    if cache is not None and (user.pk, kind) in cache.modes:
        return cache.modes[(user.pk, kind)]
    preference = AlertPreference.objects.filter(user=user, kind=kind).first()
    mode = preference.mode if preference else AlertPreference.Mode.IMMEDIATELY
    if cache is not None:
        cache.modes[(user.pk, kind)] = mode
    return mode


# --- Raising -------------------------------------------------------------------------------


def _plan(
    alert_kind: registry.AlertKind, recipient: User, now: datetime
) -> tuple[str, datetime, bool]:
    """(status, when due, in the digest) by the recipient's preferences as of `now`."""
    if alert_kind.required:
        return Alert.Status.PENDING, now, False
    mode = mode_for(recipient, alert_kind.name)
    profile = profile_of(recipient)
    if mode == AlertPreference.Mode.OFF:
        return Alert.Status.SUPPRESSED, now, False
    if mode == AlertPreference.Mode.DIGEST and not alert_kind.urgent:
        return Alert.Status.PENDING, next_digest_at(now, profile), True
    if not alert_kind.urgent:
        return Alert.Status.PENDING, quiet_hours_end(now, profile) or now, False
    return Alert.Status.PENDING, now, False


def replan_held_alerts(user: User, now: datetime | None = None) -> int:
    """After the user changed their preferences: the alerts still held for them (waiting for
    quiet hours to end, or for the digest, never tried) follow the new ones: turned off, they
    are suppressed; moved to the digest, they wait for it; out of quiet hours, they are due
    now. Returns how many changed."""
    now = now or timezone.now()
    held = Alert.objects.filter(recipient=user, status=Alert.Status.PENDING, attempts=0).filter(
        models.Q(next_attempt_at__gt=now) | models.Q(in_digest=True)
    )
    changed = 0
    for alert in held:
        try:
            alert_kind = registry.kind(alert.kind)
        except LookupError:
            continue  # a kind no app registers any more: left as it is
        status, due, in_digest = _plan(alert_kind, user, now)
        if (status, due, in_digest) != (alert.status, alert.next_attempt_at, alert.in_digest):
            changed += Alert.objects.filter(
                pk=alert.pk, status=Alert.Status.PENDING, attempts=0
            ).update(status=status, next_attempt_at=due, in_digest=in_digest)
    return changed


def raise_alert(
    *,
    kind: str,
    recipient: User | None = None,
    to_email: str = "",
    sender: User | None = None,
    key: str,
    subject: str,
    about: models.Model | None = None,
    context: dict[str, object] | None = None,
    link: str = "",
    now: datetime | None = None,
) -> Alert | None:
    """Writes the alert in the caller's transaction and queues its delivery after commit.
    Returns None when an alert with this key exists already: the same event never alerts
    twice. During a reminder scan the alert is returned unsaved and inserted with the rest of
    its rule's alerts (see run_reminder_rules).

    An alert goes to a colleague (`recipient`) or, for an external kind, to an address outside
    Closer (`to_email`, a candidate), from `sender`: the same outbox, so the same guarantees
    (sent once, retried, visible in the admin)."""
    alert_kind = registry.kind(kind)
    if alert_kind.external != bool(to_email) or (recipient is None) == (not to_email):
        raise ValueError(
            f"Alerts of kind {kind} go to "
            + ("an address outside Closer (to_email)." if alert_kind.external else "a user.")
        )
    now = now or timezone.now()
    if recipient is None:  # no preferences outside Closer
        status, due, in_digest = str(Alert.Status.PENDING), now, False
    else:
        status, due, in_digest = _plan(alert_kind, recipient, now)
    alert = Alert(
        kind=kind,
        recipient=recipient,
        to_email=to_email,
        sender=sender,
        key=key,
        subject=subject[:255],
        context=context or {},
        link=link,
        urgent=alert_kind.urgent,
        in_digest=in_digest,
        status=status,
        next_attempt_at=due,
        created_at=now,
    )
    if about is not None:
        alert.about_type = ContentType.objects.get_for_model(about)
        alert.about_id = about.pk
    batch = scan_batch.get()
    if batch is not None:
        batch.append(alert)  # inserted, and then delivered, by run_reminder_rules's caller
        return alert
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        return None  # raised before, under the same key
    if status == Alert.Status.PENDING and not in_digest and due <= now:
        # Robust: with the broker down the change is committed all the same and this only
        # logs the error (the publish fails fast, see CELERY_TASK_PUBLISH_RETRY_POLICY); the
        # every-minute sweep delivers the alert once the broker is back.
        transaction.on_commit(lambda: deliver_alert.delay(alert.pk), robust=True)
    return alert
