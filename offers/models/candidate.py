"""The offer in the candidate's hands: the private link they get, the letter they read, and
their answer (a signature, or a decline with its reason)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from candidates.models import Company

from .offer import Offer


class OfferLetter(models.Model):
    """The letter as the candidate reads it, frozen: made the first time they open it, and
    again once its deadline moves (the letter states it). A signature names the one it signs
    (its SHA-256), so what was signed is exactly what was read, byte for byte."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="letters")
    expires_at = models.DateTimeField(help_text="The deadline the letter states.")
    pdf = models.BinaryField()
    sha256 = models.CharField("SHA-256", max_length=64)
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-made_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "expires_at"],
                name="offer_letter_one_per_deadline",
                violation_error_message="This letter is made already.",
            )
        ]

    def __str__(self) -> str:
        return f"Letter of {self.offer} ({self.sha256[:12]}…)"


class OfferLink(models.Model):
    """A private link to one sent offer: its address is its id signed with SECRET_KEY
    (offers/links.py). It opens the offer while the offer is sent and not expired and the link
    is not revoked; one link is live at a time."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer"],
                condition=Q(revoked_at__isnull=True),
                name="offer_link_one_live",
                violation_error_message="An offer has one live link at a time.",
            )
        ]

    def __str__(self) -> str:
        return f"Link {self.pk} to {self.offer}"


class OfferSignature(models.Model):
    """The candidate's electronic signature of the letter: who typed which name, when, from
    where, having agreed to which words, over which letter. One per offer, held by the
    database: a double click or a second tab cannot accept twice."""

    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="signature")
    letter = models.ForeignKey(OfferLetter, on_delete=models.PROTECT, related_name="+")
    link = models.ForeignKey(OfferLink, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    consent_text = models.TextField()
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField("browser", max_length=500, blank=True)
    signed_pdf = models.BinaryField()
    signed_pdf_sha256 = models.CharField("signed PDF SHA-256", max_length=64)

    def __str__(self) -> str:
        return f"{self.typed_name} signed {self.offer} on {self.signed_at:%d %b %Y %H:%M} UTC"


class OfferDecline(models.Model):
    """Why the candidate said no, in their words (or as the recruiter recorded it)."""

    class Reason(models.TextChoices):
        OTHER_OFFER = "other_offer", "I chose another offer"
        COMPENSATION = "compensation", "Compensation"
        ROLE = "role", "The role"
        LOCATION = "location", "Location"
        TIMING = "timing", "Timing"
        OTHER = "other", "Another reason"

    # Not "decline": that is the offer's transition.
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="decline_answer")
    link = models.ForeignKey(
        OfferLink, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    competitor = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Whose offer they chose.",
    )
    rival_offer = models.TextField(
        "what the other offer is", blank=True, help_text="In the candidate's words."
    )
    note = models.TextField(blank=True)
    declined_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the candidate declined on their offer page.",
    )
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField("browser", max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reason="other_offer") | Q(competitor__isnull=True),
                name="offer_decline_competitor_with_other_offer",
                violation_error_message="A competitor is named only for another offer.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.offer} declined: {self.get_reason_display()}"
