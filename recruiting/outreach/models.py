"""Outreach: message templates with pitch paragraphs per motivator, sequences of steps, and the
enrollments of candidates in them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from candidates.models import MOTIVATORS, Candidate, CandidateEmail
from recruiting.lib.db import CleanReportsConstraintsMixin
from recruiting.pipeline.models import Application

from .sanitize import sanitize_email_html
from .template_rules import check_template_text

# The motivator keys, in the order that breaks ties between equal weights.
MOTIVATOR_CHOICES = [(field.removeprefix("motivator_"), label) for field, label in MOTIVATORS]
NEGATIVE_DELAY = "A step's delay is 0 or more business days."


class MessageTemplate(models.Model):
    """A subject and body (text, optionally HTML) in Django template syntax, with only the
    variables listed in template_rules.ALLOWED_VARIABLES."""

    name = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField("text body")
    body_html = models.TextField(
        "HTML body", blank=True, help_text="Optional; without it the text body is used."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # Not a column: what clean() took out of the HTML body, for the page to say.
    html_removed: list[str]

    def clean(self) -> None:
        if self.body_html:
            self.body_html, self.html_removed = sanitize_email_html(self.body_html)
        # An unknown variable is refused here, at save time, rather than found in a sent email.
        errors: dict[str, list[str]] = {}
        for field in ("subject", "body_text", "body_html"):
            try:
                check_template_text(getattr(self, field) or "", field)
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)


class PitchParagraph(models.Model):
    """The paragraph a template puts in `{{ pitch }}` for a candidate who weighs this motivator."""

    template = models.ForeignKey(
        MessageTemplate, on_delete=models.CASCADE, related_name="pitch_paragraphs"
    )
    motivator = models.CharField(max_length=30, choices=MOTIVATOR_CHOICES)
    text = models.TextField()

    class Meta:
        ordering = ["template", "motivator"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "motivator"],
                name="pitch_one_per_template_motivator",
                violation_error_message="This template already has a paragraph for this motivator.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template}: {self.get_motivator_display()}"


class Sequence(models.Model):
    name = models.CharField(max_length=200, unique=True)
    send_during_pause = models.BooleanField(
        default=False,
        help_text="Send even while the candidate's company is in a pause (off by default).",
    )
    active = models.BooleanField(
        default=True,
        help_text="Only an active sequence takes new enrollments; those enrolled go on.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SequenceStep(CleanReportsConstraintsMixin, models.Model):
    """One email of a sequence, sent `delay_business_days` after the previous step (after the
    enrollment for the first)."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="steps")
    delay_business_days = models.PositiveSmallIntegerField(
        "delay (business days)",
        default=0,
        help_text="After the previous step (after enrolling, for the first).",
        # Worded as the rule, in place of Django's generic "greater than or equal to 0".
        validators=[MinValueValidator(0, NEGATIVE_DELAY)],
        error_messages={"min_value": NEGATIVE_DELAY},
    )

    # The field's validator reports a negative delay on the field, in the same words.
    constraints_reported_by_clean = frozenset({"step_delay_not_negative"})

    class Meta:
        ordering = ["sequence", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "position"],
                name="step_position_unique",
                violation_error_message="This sequence already has a step at this position.",
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1),
                name="step_position_from_one",
                violation_error_message="Steps are numbered from 1.",
            ),
            models.CheckConstraint(
                condition=Q(delay_business_days__gte=0),
                name="step_delay_not_negative",
                violation_error_message=NEGATIVE_DELAY,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}, step {self.position}"


class Enrollment(models.Model):
    """A candidate going through a sequence; changed only by outreach.services."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REPLIED = "replied", "Replied"
        OPTED_OUT = "opted_out", "Opted out"
        BOUNCED = "bounced", "Bounced"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="enrollments")
    # A sequence that enrolled anyone is kept, with what it sent: make it inactive instead.
    sequence = models.ForeignKey(Sequence, on_delete=models.PROTECT, related_name="enrollments")
    application = models.ForeignKey(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrollments",
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    enrolled_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    next_position = models.PositiveSmallIntegerField(default=1)
    next_send_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_reason = models.TextField(blank=True)
    # Its last email sent, which a reply, an opt-out or a bounce counts against (the outreach
    # report groups by it): of the highest step position, then the latest (one whose step was
    # deleted since ranks below the others). Kept by services.note_last_emails as emails are
    # recorded sent, and again when the sequence's steps are renumbered or deleted.
    last_email_step = models.ForeignKey(
        SequenceStep,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
    )
    last_email_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "sequence"],
                condition=Q(status="active"),
                name="enrollment_one_active_per_sequence",
                violation_error_message="This candidate is already enrolled in this sequence.",
            ),
        ]
        indexes = [
            # The sending job's query: active enrollments whose next step is due.
            models.Index(fields=["status", "next_send_at"], name="enrollment_due"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} in {self.sequence}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class SentMessage(models.Model):
    """One step's email to one enrolled candidate. The row is the claim: it is inserted before
    the email goes out, and the unique (enrollment, step) makes a second run send nothing."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="messages")
    # Kept when a step is deleted from its sequence: what was sent stays on record.
    step = models.ForeignKey(
        SequenceStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    attempts = models.PositiveSmallIntegerField(default=1)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    to_email = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "step"],
                name="sent_message_one_per_step",
                violation_error_message="This step was already sent to this enrollment.",
            ),
        ]
        indexes = [
            # The daily cap: what a sender has sent (or is sending) since midnight UTC.
            models.Index(fields=["sender", "claimed_at"], name="sent_message_sender_day"),
            # A reply read from the mailbox names the email it answers by its Message-ID.
            models.Index(
                fields=["message_id"],
                condition=~Q(message_id=""),
                name="sent_message_message_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment}, step {self.step.position if self.step else '?'}"


class MailboxState(models.Model):
    """Where the reading of one mailbox (a setting, OUTREACH_MAILBOXES) stands: the last UID
    read under its UIDVALIDITY, and whether it could be reached. No secret is kept here."""

    name = models.CharField(max_length=300, unique=True)  # user@host:port/folder
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    # Set by the first failed run of an outage and cleared by the next good one: its owner is
    # alerted once an outage, not once a run.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboundMessage(models.Model):
    """One message read from a mailbox. The row is the claim: it is inserted in the transaction
    that acts on the message, and the unique (mailbox, UIDVALIDITY, UID) lets one run act on
    it, whatever the retries. It keeps no text of the message."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        AUTO_REPLY = "auto_reply", "Auto-reply"
        BOUNCE = "bounce", "Bounce"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe by email"
        OTHER = "other", "Not about outreach"
        DUPLICATE = "duplicate", "Read before (another copy)"
        FAILED = "failed", "Could not be handled"

    mailbox = models.CharField(max_length=300)
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    enrollment = models.ForeignKey(
        Enrollment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    handled_at = models.DateTimeField()

    class Meta:
        ordering = ["-handled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="inbound_message_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["message_id"],
                condition=~Q(message_id=""),
                name="inbound_message_message_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox} #{self.uid}: {self.get_kind_display()}"


class AddressBounce(models.Model):
    """A candidate's address that bounced: hard at once for a permanent failure, or after
    OUTREACH_SOFT_BOUNCE_LIMIT temporary ones. Goes with the address."""

    class Status(models.TextChoices):
        SOFT = "soft", "Soft (retried)"
        HARD = "hard", "Hard (bouncing)"

    address = models.OneToOneField(CandidateEmail, on_delete=models.CASCADE, related_name="bounce")
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.SOFT)
    soft_bounces = models.PositiveSmallIntegerField(default=0)
    first_bounced_at = models.DateTimeField()
    last_bounced_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_bounced_at", "-id"]

    def __str__(self) -> str:
        return f"{self.address}: {self.get_status_display()}"

    @property
    def is_hard(self) -> bool:
        return self.status == self.Status.HARD
