"""The pay access log: one row each time a page, letter or export showed someone amounts.

Append-only: the database refuses to change or delete a row (migration 0002), except the
retention purge (`services.purge_pay_access`), which says so for its own transaction."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class PayAccess(models.Model):
    class Kind(models.TextChoices):
        OFFER_PAGE = "offer_page", "Offer page"
        OFFER_COMPARE = "offer_compare", "Offer versions compared"
        OFFER_FORM = "offer_form", "Offer form"
        OFFER_LETTER = "offer_letter", "Offer letter PDF"
        SIGNED_LETTER = "signed_letter", "Signed letter PDF"
        COUNTER_OFFER = "counter_offer", "Counter-offer page"
        COMPETING_OFFER_FORM = "competing_offer_form", "Competing offer form"
        APPROVALS = "approvals", "Approvals page"
        APPLICATION_PAGE = "application_page", "Application page"
        CANDIDATE_PAGE = "candidate_page", "Candidate page"
        ADMIN_OFFER = "admin_offer", "Offer in the admin"
        ADMIN_OFFER_LIST = "admin_offer_list", "Offer list in the admin"
        ADMIN_COMPETING_OFFER = "admin_competing_offer", "Competing offer in the admin"
        ADMIN_COMPETING_OFFER_LIST = "admin_competing_list", "Competing offer list in the admin"
        ADMIN_CANDIDATE = "admin_candidate", "Candidate in the admin"
        ADMIN_APPLICATION = "admin_application", "Application in the admin"
        EXPORT = "export", "Export with pay"
        REPORT = "report", "Report with pay"
        REPORT_CSV = "report_csv", "Report CSV with pay"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: a colleague who was shown pay is deactivated, not deleted, while the log keeps
    # their rows (deleting them would have to change rows the database refuses to change).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pay_accesses"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # What was opened; none for a page of many (the approvals page, an export).
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Ids and titles, never a person's name: an erased candidate leaves no trace here.
    label = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "pay access"
        verbose_name_plural = "pay accesses"
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                name="pay_access_object_whole",
                condition=models.Q(content_type__isnull=True, object_id__isnull=True)
                | models.Q(content_type__isnull=False, object_id__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"
