"""Looking up the rate and the band that apply on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from recruiting.pipeline.models import Role

from . import compensation as engine
from .models import BandPosition, CompensationBand, ExchangeRate, Offer


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


@dataclass(frozen=True)
class OfferValuation:
    """An offer's worth: year by year in its currency and in the reporting currency, and
    where its annual average and base sit in the band of the role."""

    compensation: engine.YearlyCompensation
    reporting: engine.YearlyCompensation
    rate: Decimal
    band: CompensationBand | None
    band_position: BandPosition | None
    base_position: BandPosition | None


def value_offer(offer: Offer, on: date | None = None) -> OfferValuation:
    """Values the offer. A sent offer keeps the rate it was sent at; others use the rate of
    `on` (today). Raises RateMissing when a currency has no rate."""
    on = on or timezone.localdate()
    compensation = engine.compute(offer.to_package())
    reporting_currency = settings.REPORTING_CURRENCY
    if offer.sent_rate is not None and offer.sent_rate_currency_id == reporting_currency:
        rate = offer.sent_rate
    else:
        rate, _ = rate_on(offer.currency_id, reporting_currency, on)
    reporting = engine.convert(compensation, rate=rate, currency=reporting_currency)
    band = band_for(offer.application.role, on)
    band_position = base_position = None
    if band is not None:
        to_band, _ = rate_on(offer.currency_id, band.currency_id, on)
        band_position = band.position(engine.to_cents(compensation.annual_average * to_band))
        base_position = band.position(engine.to_cents(offer.base_salary * to_band), of="base")
    return OfferValuation(compensation, reporting, rate, band, band_position, base_position)
