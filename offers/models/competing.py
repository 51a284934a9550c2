"""What a competitor offers one of our candidates (or one of our employees), by when, and how
sure we are of it. Its components are the same as our offers' (offer.Package); every change is
kept by django-simple-history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from candidates.models import Candidate, Company
from recruiting.pipeline.models import Application

from .offer import REPORT_FIELDS, Offer, Package, amount_constraints


class CompetingOffer(Package):
    class Confidence(models.TextChoices):
        RUMOURED = "rumoured", "Rumoured"
        VERBAL = "verbal", "Verbal"
        WRITTEN = "written", "Written"
        VERIFIED = "verified", "Verified (we saw the letter)"

    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="competing_offers"
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="competing_offers",
        help_text="The application it threatens; empty for an employee's outside offer.",
    )
    competitor = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="competing_offers"
    )
    deadline = models.DateTimeField(
        "decision deadline", help_text="When the candidate must answer the competitor."
    )
    confidence = models.CharField(
        "how sure we are", max_length=20, choices=Confidence.choices, default=Confidence.VERBAL
    )
    source = models.CharField(
        max_length=200, blank=True, help_text="Who told us: the candidate, a reference, ..."
    )
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # Kept by offers.competition.refresh_standing on every change to either side: whether it
    # beats our latest offer on settings.COMPETING_OFFER_MEASURE, and which offer that was.
    # `lead_episode` counts the times it went ahead, so that staying ahead through an edit
    # alerts nobody again, and going ahead again after falling behind does.
    ahead = models.BooleanField("ahead of our offer", default=False)
    compared_with = models.ForeignKey(
        Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lead_episode = models.PositiveIntegerField(default=0)

    history = HistoricalRecords(
        excluded_fields=["ahead", "compared_with", "lead_episode", *REPORT_FIELDS]
    )

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [*amount_constraints("competing_offer")]
        indexes = [
            models.Index(fields=["deadline"], name="competing_offer_deadline"),
            models.Index(fields=["candidate", "ahead"], name="competing_offer_ahead"),
        ]

    def __str__(self) -> str:
        return f"{self.competitor} to {self.candidate}"

    def get_absolute_url(self) -> str:
        """The page where it is weighed against ours: its application's; an employee's
        outside offer (on no application) is seen in its form."""
        if self.application_id:
            return reverse("web:application", args=[self.application_id])
        return reverse("offers:competing_edit", args=[self.pk])
