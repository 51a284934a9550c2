"""Exchange rates and compensation bands."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from candidates.models import MONEY_DIGITS, MONEY_PLACES, Currency, Level
from recruiting.lib.db import CleanReportsConstraintsMixin
from recruiting.pipeline.models import Role

from ..compensation import MAX_AMOUNT


def money_field(label: str, **kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        label,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        validators=[
            MinValueValidator(Decimal(0), "An amount cannot be negative."),
            MaxValueValidator(MAX_AMOUNT, f"An amount cannot exceed {MAX_AMOUNT:,}."),
        ],
        **kwargs,
    )


class ExchangeRate(CleanReportsConstraintsMixin, models.Model):
    """How many units of `quote` one unit of `base` buys, as of a date. Entered in the admin or
    loaded from a file (`manage.py load_rates`: Closer's CSV or the ECB's reference rates);
    never fetched while a page is served."""

    base = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    rate = models.DecimalField(
        max_digits=20,
        decimal_places=10,
        validators=[MinValueValidator(Decimal("0.0000000001"), "A rate is a positive number.")],
    )
    as_of = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    constraints_reported_by_clean = frozenset({"rate_between_two_currencies"})

    class Meta:
        ordering = ["base", "quote", "-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "as_of"],
                name="one_rate_per_pair_and_date",
                violation_error_message="There is already a rate for this pair on this date.",
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0),
                name="rate_positive",
                violation_error_message="A rate is a positive number.",
            ),
            models.CheckConstraint(
                condition=~Q(base=F("quote")),
                name="rate_between_two_currencies",
                violation_error_message="A rate is between two different currencies.",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.base_id} = {self.rate.normalize():f} {self.quote_id} on {self.as_of}"

    def clean(self) -> None:
        if self.base_id and self.base_id == self.quote_id:
            raise ValidationError({"quote": "A rate is between two different currencies."})


@dataclass(frozen=True)
class BandPosition:
    """Where an amount sits in a band: below, within or above, and its ratio to the target."""

    where: str  # "below", "within", "above"
    ratio_to_target: Decimal

    def __str__(self) -> str:
        return f"{self.where} band ({self.ratio_to_target:.2f}× target)"


class CompensationBand(CleanReportsConstraintsMixin, models.Model):
    """Min, target and max of base and of total compensation per year, for a role family,
    level and location zone, from the date it took effect."""

    family = models.CharField(max_length=30, choices=Role.Family.choices)
    level = models.CharField(max_length=20, choices=Level.choices)
    zone = models.CharField("location zone", max_length=30, choices=Role.Zone.choices)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    effective_on = models.DateField("effective from")
    base_min = money_field("base min")
    base_target = money_field("base target")
    base_max = money_field("base max")
    total_min = money_field("total min")
    total_target = money_field("total target")
    total_max = money_field("total max")

    constraints_reported_by_clean = frozenset({"band_base_ordered", "band_total_ordered"})

    class Meta:
        ordering = ["family", "level", "zone", "-effective_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "level", "zone", "effective_on"],
                name="one_band_per_family_level_zone_and_date",
                violation_error_message="A band for this family, level and zone already takes "
                "effect on this date.",
            ),
            models.CheckConstraint(
                condition=Q(base_min__lte=F("base_target"), base_target__lte=F("base_max")),
                name="band_base_ordered",
                violation_error_message="Base must be min ≤ target ≤ max.",
            ),
            models.CheckConstraint(
                condition=Q(total_min__lte=F("total_target"), total_target__lte=F("total_max")),
                name="band_total_ordered",
                violation_error_message="Total compensation must be min ≤ target ≤ max.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_family_display()}, {self.get_level_display()}, "
            f"{self.get_zone_display()} (from {self.effective_on})"
        )

    def clean(self) -> None:
        errors = {}
        for kind in ("base", "total"):
            low, mid, high = (getattr(self, f"{kind}_{p}") for p in ("min", "target", "max"))
            if None in (low, mid, high):
                continue
            if low > mid:
                errors[f"{kind}_target"] = f"The target is below the min ({low:,.2f})."
            elif mid > high:
                errors[f"{kind}_max"] = f"The max is below the target ({mid:,.2f})."
        if errors:
            raise ValidationError(errors)

    def position(self, amount: Decimal, *, of: str = "total") -> BandPosition:
        low, mid, high = (getattr(self, f"{of}_{p}") for p in ("min", "target", "max"))
        where = "below" if amount < low else "above" if amount > high else "within"
        ratio = (amount / mid).quantize(Decimal("0.0001")) if mid else Decimal(0)
        return BandPosition(where, ratio)
