"""Looking up the rate and the band that apply on a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from recruiting.pipeline.models import Role

from .models import CompensationBand, ExchangeRate


class RateMissing(ValidationError):
    """No exchange rate is known for a pair on or before a date."""


def rate_on(base: str, quote: str, on: date) -> tuple[Decimal, ExchangeRate | None]:
    """Units of `quote` per unit of `base` on `on`: the latest rate dated that day or before,
    or the inverse of the latest rate for the opposite pair. Returns the rate and the row."""
    if base == quote:
        return Decimal(1), None
    direct = (
        ExchangeRate.objects.filter(base_id=base, quote_id=quote, as_of__lte=on)
        .order_by("-as_of")
        .first()
    )
    inverse = (
        ExchangeRate.objects.filter(base_id=quote, quote_id=base, as_of__lte=on)
        .order_by("-as_of")
        .first()
    )
    if direct and (not inverse or direct.as_of >= inverse.as_of):
        return direct.rate, direct
    if inverse:
        return Decimal(1) / inverse.rate, inverse
    raise RateMissing(
        {
            "currency": f"No {base}→{quote} exchange rate is known on or before {on:%d %b %Y}; "
            "add one under Offers → Exchange rates."
        }
    )


def band_for(role: Role, on: date) -> CompensationBand | None:
    """The band in effect on `on` for the role's family, level and zone."""
    return (
        CompensationBand.objects.filter(
            family=role.family, level=role.level, zone=role.zone, effective_on__lte=on
        )
        .select_related("currency")
        .order_by("-effective_on")
        .first()
    )
