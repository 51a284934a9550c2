"""What Closer records of its own handling of people's data: each erasure (by request or by the
retention rule), each run of the retention job, each export. None of these rows holds a name,
an address or anything else of the person: a candidate is named by id only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RetentionRun(models.Model):
    """One run of the retention job: when, under which window, whom it anonymised (by id)."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_days = models.PositiveIntegerField(
        help_text="PRIVACY_PROSPECT_RETENTION_DAYS when the run started."
    )
    cutoff = models.DateTimeField(help_text="Untouched since before this: anonymised.")
    anonymised = models.PositiveIntegerField("how many anonymised", default=0)
    candidate_ids = models.JSONField(
        "candidate ids", default=list, blank=True, help_text="Whom it anonymised, by id."
    )
    skipped_ids = models.JSONField(
        "skipped ids",
        default=list,
        blank=True,
        help_text="Due, but refused when their turn came (something changed meanwhile).",
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Retention run of {self.started_at:%Y-%m-%d %H:%M} UTC ({self.anonymised})"


class Erasure(models.Model):
    """A person's data anonymised everywhere in Closer: who did it, when, why, how many rows
    of each kind were changed. One per candidate: it is also what marks them erased."""

    class Reason(models.TextChoices):
        REQUEST = "request", "The person asked (right to erasure)"
        RETENTION = "retention", "Retention rule: a prospect untouched for too long"

    # An id, not a foreign key: the record outlives any later deletion of the row.
    candidate_id = models.PositiveBigIntegerField(unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    erased_at = models.DateTimeField(default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the retention job did it.",
    )
    run = models.ForeignKey(
        RetentionRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="erasures",
    )
    # Counts only, by table ("pipeline.activity": 4): never a value.
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-erased_at", "-id"]
        permissions = [
            ("erase_personal_data", "Can erase a person's data"),
            ("export_personal_data", "Can export a person's data"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason="retention") | models.Q(run__isnull=True),
                name="erasure_run_only_for_retention",
                violation_error_message="Only the retention job's erasures belong to a run.",
            )
        ]

    def __str__(self) -> str:
        return f"Erasure of candidate {self.candidate_id} on {self.erased_at:%Y-%m-%d}"


class DataExport(models.Model):
    """A person's data exported (a subject access request): who, when, whose (by id)."""

    candidate_id = models.PositiveBigIntegerField()
    exported_at = models.DateTimeField(default=timezone.now)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    files = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-exported_at", "-id"]

    def __str__(self) -> str:
        return f"Export of candidate {self.candidate_id} on {self.exported_at:%Y-%m-%d}"
