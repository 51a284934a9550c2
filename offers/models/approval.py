"""Approval rules, set by administrators, and the approvals an offer needs and receives."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from candidates.models import Currency

from .money import money_field
from .offer import Offer


class ApprovalRule(models.Model):
    """Which offers need whose sign-off. Amounts are in the reporting currency."""

    class Condition(models.TextChoices):
        TOTAL_ABOVE_BAND_MAX = "total_above_band_max", "Total compensation above the band's max"
        SIGNING_AT_OR_ABOVE = "signing_at_or_above", "Signing bonus at or above an amount"
        EQUITY_AT_OR_ABOVE = "equity_at_or_above", "Equity at or above an amount"
        RETENTION_OFFER = "retention_offer", "Any retention offer"
        CURRENCY_IS = "currency_is", "Any offer in a given currency"

    name = models.CharField(max_length=200)
    condition = models.CharField(max_length=30, choices=Condition.choices)
    amount = money_field(
        "amount",
        null=True,
        blank=True,
        help_text="For the 'at or above' conditions, in the reporting currency.",
    )
    currency = models.ForeignKey(
        Currency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For 'any offer in a given currency'.",
    )
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="+", help_text="Who must approve."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(condition__in=["signing_at_or_above", "equity_at_or_above"])
                | Q(amount__isnull=False),
                name="approval_rule_amount_when_needed",
                violation_error_message="This condition needs an amount.",
            ),
            models.CheckConstraint(
                condition=~Q(condition="currency_is") | Q(currency__isnull=False),
                name="approval_rule_currency_when_needed",
                violation_error_message="This condition needs a currency.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.condition in (
            self.Condition.SIGNING_AT_OR_ABOVE,
            self.Condition.EQUITY_AT_OR_ABOVE,
        ):
            if self.amount is None:
                raise ValidationError({"amount": "This condition needs an amount."})
        if self.condition == self.Condition.CURRENCY_IS and not self.currency_id:
            raise ValidationError({"currency": "This condition needs a currency."})


class Approval(models.Model):
    """One sign-off an offer needs: which group, why, and what was decided."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="approvals")
    rule = models.ForeignKey(
        ApprovalRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, help_text="Why this approval is needed.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(status="pending"),
                name="approval_pending_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group.name}: {self.get_status_display()} ({self.reason})"
