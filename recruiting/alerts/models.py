"""The alert outbox: one row per notice to one person, unique by key, and the preferences that
decide when it is delivered."""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value} is not a known timezone; use a name such as Europe/Paris.")


class Alert(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed (turned off)"

    kind = models.CharField(max_length=50)
    # A colleague, or (for the kinds that write to candidates) an address outside Closer.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="alerts",
        null=True,
        blank=True,
    )
    to_email = models.EmailField(
        "to (outside Closer)", blank=True, help_text="A candidate's address; empty for a colleague."
    )
    # Whom an email to a candidate is from (its From and Reply-To): the recruiter.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    about_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    # The same event never makes two alerts: whoever raises one names it with this key.
    key = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=255)
    context = models.JSONField(default=dict, blank=True, help_text="What the email needs.")
    link = models.CharField(max_length=500, blank=True, help_text="Where the object is seen.")
    urgent = models.BooleanField(default=False)
    in_digest = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Not columns: set by the my_alerts view on the alerts it lists, for the page to show.
    kind_label: str
    subject_shown: str
    message_shown: str

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's question: which pending alerts are due? Only pending rows are indexed.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="alert_pending_due",
            ),
            models.Index(fields=["recipient", "-created_at"], name="alert_recipient_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(to_email=""))
                | (Q(recipient__isnull=True) & ~Q(to_email="")),
                name="alert_one_recipient",
                violation_error_message="An alert goes to a colleague or to an address, not both.",
            )
        ]

    def __str__(self) -> str:
        # Not the subject: it may hold amounts, and this is what the admin's titles show.
        return f"Alert {self.pk} ({self.kind}) to {self.addressee}"

    @property
    def addressee(self) -> str:
        """Whom it is for: a colleague's name, or an outside address."""
        return self.to_email or str(self.recipient)

    @property
    def address(self) -> str:
        return self.to_email or (self.recipient.email if self.recipient else "")


class AlertPreference(models.Model):
    """How one user wants one kind of alert."""

    class Mode(models.TextChoices):
        IMMEDIATELY = "immediately", "Immediately"
        DIGEST = "digest", "In the daily digest"
        OFF = "off", "Off"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preferences"
    )
    kind = models.CharField(max_length=50)
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.IMMEDIATELY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="alert_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.get_mode_display().lower()}"


class AlertProfile(models.Model):
    """A user's timezone and quiet hours; the digest goes at 08:00 in that timezone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_profile"
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    quiet_from = models.TimeField(null=True, blank=True, help_text="e.g. 21:00")
    quiet_until = models.TimeField(null=True, blank=True, help_text="e.g. 07:30")
    last_digest_on = models.DateField(null=True, blank=True)

    DIGEST_AT = time(8, 0)

    def __str__(self) -> str:
        return f"{self.user} ({self.timezone})"

    def clean(self) -> None:
        if (self.quiet_from is None) != (self.quiet_until is None):
            raise ValidationError({"quiet_until": "Give both ends of the quiet hours, or neither."})
