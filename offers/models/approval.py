"""Approval rules, set by administrators, and the approvals an offer needs and receives."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from candidates.models import Currency

from .money import money_field
from .offer import Offer

AMOUNT_CONDITIONS = ["signing_at_or_above", "equity_at_or_above", "total_at_or_above"]


class ApprovalRule(models.Model):
    """Which offers need whose sign-off, and at which step of the approval chain. Amounts are
    in the reporting currency."""

    class Condition(models.TextChoices):
        ANY_OFFER = "any_offer", "Every offer"
        TOTAL_ABOVE_BAND_MAX = "total_above_band_max", "Total compensation above the band's max"
        TOTAL_AT_OR_ABOVE = "total_at_or_above", "Four-year total at or above an amount"
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
    step = models.PositiveSmallIntegerField(
        "step in the chain",
        default=1,
        validators=[MinValueValidator(1, "A step is 1 or more.")],
        help_text="Step 1 decides first; each step waits until every step before it approved. "
        "Rules at the same step are asked at once.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["step", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(step__gte=1), name="approval_rule_step_positive"),
            models.CheckConstraint(
                condition=~Q(condition__in=AMOUNT_CONDITIONS) | Q(amount__isnull=False),
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
        if self.condition in AMOUNT_CONDITIONS:
            if self.amount is None:
                raise ValidationError({"amount": "This condition needs an amount."})
        if self.condition == self.Condition.CURRENCY_IS and not self.currency_id:
            raise ValidationError({"currency": "This condition needs a currency."})


class Approval(models.Model):
    """One sign-off an offer needs: which group, at which step of its chain, why, and what was
    decided (by whom, on whose behalf). A step's approvals wait, queued, until every earlier
    step approved; they are then asked (pending) all at once."""

    class Status(models.TextChoices):
        QUEUED = "queued", "After an earlier step"
        PENDING = "pending", "Waiting"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="approvals")
    rule = models.ForeignKey(
        ApprovalRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+")
    step = models.PositiveSmallIntegerField(default=1)
    reason = models.CharField(max_length=300, help_text="Why this approval is needed.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # When it was asked: the submission for step 1, the previous step's last approval after.
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The member of the group who delegated their approvals to `decided_by`, when so decided.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["step", "requested_at", "id"]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(status="pending"),
                name="approval_pending_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group.name}: {self.get_status_display()} ({self.reason})"


class Delegation(models.Model):
    """An approver away: from `starts_on` to `ends_on` (inclusive), `delegate` may decide the
    approvals waiting for any group of `delegator`'s, on their behalf."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_received"
    )
    starts_on = models.DateField("from")
    ends_on = models.DateField("until")
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Ended before its time.")

    class Meta:
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="delegation_ends_after_it_starts",
                violation_error_message="A delegation ends on or after the day it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(delegate=F("delegator")),
                name="delegation_to_someone_else",
                violation_error_message="Delegate to someone else.",
            ),
        ]
        indexes = [models.Index(fields=["delegate", "ends_on"], name="delegation_to_until")]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate}, {self.starts_on} to {self.ends_on}"
