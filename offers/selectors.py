"""Looking up the rate and the band that apply on a date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from recruiting.pipeline.models import Role

from . import compensation as engine
from .models import (
    BandPosition,
    CompensationBand,
    CompetingOffer,
    EquityGrant,
    ExchangeRate,
    Offer,
)


class RateMissing(ValidationError):
    """No exchange rate is known for a pair on or before a date."""


# The currency rates may be crossed through when no rate links two currencies: the European
# Central Bank quotes every currency against it (offers.rates.load_ecb_rates).
PIVOT = "EUR"


def _quote(
    latest: Callable[[str, str], ExchangeRate | None], base: str, quote: str
) -> tuple[Decimal, date] | None:
    """Units of `quote` per unit of `base` and the date of the rate: the later of the rate for
    the pair and the inverse of the opposite pair's; failing both, crossed through the pivot
    currency, dated as the older of its two rates. None when nothing links them."""
    direct, inverse = latest(base, quote), latest(quote, base)
    if direct and (not inverse or direct.as_of >= inverse.as_of):
        return direct.rate, direct.as_of
    if inverse:
        return Decimal(1) / inverse.rate, inverse.as_of
    if PIVOT in (base, quote):
        return None
    to_pivot, from_pivot = _quote(latest, base, PIVOT), _quote(latest, PIVOT, quote)
    if to_pivot is None or from_pivot is None:
        return None
    return to_pivot[0] * from_pivot[0], min(to_pivot[1], from_pivot[1])


def rate_on(base: str, quote: str, on: date) -> tuple[Decimal, date | None]:
    """Units of `quote` per unit of `base` on `on`, and the date of the rate (None between a
    currency and itself): the latest rate dated that day or before, or the inverse of the
    latest for the opposite pair, or the two crossed through the euro."""
    if base == quote:
        return Decimal(1), None

    def latest(b: str, q: str) -> ExchangeRate | None:
        return (
            ExchangeRate.objects.filter(base_id=b, quote_id=q, as_of__lte=on)
            .order_by("-as_of")
            .first()
        )

    found = _quote(latest, base, quote)
    if found is not None:
        return found
    raise RateMissing(
        {
            "currency": f"No {base}→{quote} exchange rate is known on or before {on:%d %b %Y}; "
            "an administrator adds one under Offers → Exchange rates."
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
    where it sits in the band of the role on the band basis (engine.BandBasis): its recurring
    pay with its one-time pay amortised over settings.BAND_HORIZON_YEARS (`band_position`,
    which approval rules use), its recurring pay alone, and its base."""

    compensation: engine.YearlyCompensation
    reporting: engine.YearlyCompensation
    rate: Decimal
    band: CompensationBand | None
    band_position: BandPosition | None
    base_position: BandPosition | None
    # The date of the rate to the reporting currency (None in the reporting currency itself).
    rate_as_of: date | None = None
    basis: engine.BandBasis | None = None  # in the package's currency
    recurring_position: BandPosition | None = None
    basis_in_band: engine.BandBasis | None = None  # in the band's currency
    # Years one to four together, in the reporting currency.
    four_year_total: Decimal = Decimal(0)


class Market:
    """The exchange rates and bands in effect on a day, read in one query each, so that a page
    of offers is valued without a query per row."""

    def __init__(self, on: date) -> None:
        self.on = on

    @cached_property
    def rates(self) -> dict[tuple[str, str], ExchangeRate]:
        latest = (
            ExchangeRate.objects.filter(
                base=OuterRef("base"), quote=OuterRef("quote"), as_of__lte=self.on
            )
            .order_by("-as_of")
            .values("as_of")[:1]
        )
        rows = ExchangeRate.objects.filter(as_of=Subquery(latest))
        return {(r.base_id, r.quote_id): r for r in rows}

    @cached_property
    def bands(self) -> dict[tuple[str, str, str], CompensationBand]:
        latest = (
            CompensationBand.objects.filter(
                family=OuterRef("family"),
                level=OuterRef("level"),
                zone=OuterRef("zone"),
                effective_on__lte=self.on,
            )
            .order_by("-effective_on")
            .values("effective_on")[:1]
        )
        rows = CompensationBand.objects.filter(effective_on=Subquery(latest))
        return {(b.family, b.level, b.zone): b for b in rows}

    def rate(self, base: str, quote: str) -> Decimal:
        """As rate_on: the later of the direct rate and the opposite pair's, or the two
        crossed through the euro."""
        return self.rate_quote(base, quote)[0]

    def rate_quote(self, base: str, quote: str) -> tuple[Decimal, date | None]:
        """The rate and its date, from the page's rates."""
        if base == quote:
            return Decimal(1), None
        found = _quote(lambda b, q: self.rates.get((b, q)), base, quote)
        if found is not None:
            return found
        # Not among the page's rates: ask rate_on, which raises RateMissing with its message
        # (or finds a rate added since the page's were read).
        return rate_on(base, quote, self.on)

    def reporting_rate(self, package: Offer | CompetingOffer) -> Decimal:
        """Units of the reporting currency per unit of the package's: a sent offer keeps the
        rate it was sent at."""
        reporting_currency = settings.REPORTING_CURRENCY
        # Only an offer has a sent rate (a competing offer has neither field).
        sent_rate = getattr(package, "sent_rate", None)
        sent_currency = getattr(package, "sent_rate_currency_id", None)
        if sent_rate is not None and sent_currency == reporting_currency:
            return sent_rate
        return self.rate(package.currency_id, reporting_currency)

    def reporting_quote(self, package: Offer | CompetingOffer) -> tuple[Decimal, date | None]:
        """reporting_rate and the date of that rate (for a sent offer, the one it was sent
        at)."""
        sent_rate = getattr(package, "sent_rate", None)
        if sent_rate is not None and (
            getattr(package, "sent_rate_currency_id", None) == settings.REPORTING_CURRENCY
        ):
            return sent_rate, getattr(package, "sent_rate_date", None)
        return self.rate_quote(package.currency_id, settings.REPORTING_CURRENCY)

    def value(self, offer: Offer) -> OfferValuation:
        """Values the offer from the rates and bands read once for the day."""
        rate, rate_as_of = self.reporting_quote(offer)
        return self.value_package(
            offer.to_package(), offer.application.role, rate=rate, rate_as_of=rate_as_of
        )

    def value_package(
        self,
        package: engine.Package,
        role: Role,
        *,
        rate: Decimal | None = None,
        rate_as_of: date | None = None,
    ) -> OfferValuation:
        """Values a package for `role` (an offer, or one not saved yet), at `rate` units of
        the reporting currency per unit of the package's (today's rate by default)."""
        compensation = engine.compute(package)
        basis = engine.band_basis(package, horizon_years=settings.BAND_HORIZON_YEARS)
        if rate is None:
            rate, rate_as_of = self.rate_quote(package.currency, settings.REPORTING_CURRENCY)
        reporting = engine.convert(compensation, rate=rate, currency=settings.REPORTING_CURRENCY)
        four = engine.COMPARISON_YEARS
        if compensation.years < four:
            over_four = engine.compute(package, years=four)
        else:
            over_four = compensation.first(four)
        four_year_total = (
            engine.convert(over_four, rate=rate, currency=settings.REPORTING_CURRENCY)
            .first(four)
            .total
        )
        band = self.bands.get((role.family, role.level, role.zone))
        band_position = base_position = recurring_position = in_band = None
        if band is not None:
            to_band = self.rate(package.currency, band.currency_id)
            in_band = basis.converted(to_band, band.currency_id)
            band_position = band.position(in_band.annual)
            recurring_position = band.position(in_band.recurring)
            base_position = band.position(engine.to_cents(package.base_salary * to_band), of="base")
        return OfferValuation(
            compensation,
            reporting,
            rate,
            band,
            band_position,
            base_position,
            rate_as_of,
            basis,
            recurring_position,
            in_band,
            four_year_total,
        )


def value_offer(
    offer: Offer, on: date | None = None, *, market: Market | None = None
) -> OfferValuation:
    """Values the offer. A sent offer keeps the rate it was sent at; others use the rates of
    `on` (today). Pass one `market` to value a page of offers with no query per row. Raises
    RateMissing when a currency has no rate."""
    market = market or Market(on or timezone.localdate())
    return market.value(offer)


def package_prefetches(prefix: str = "") -> list[str | Prefetch[Any]]:
    """The prefetches that value packages (offers or competing offers, at `prefix`: a relation
    to them such as "offer__") without a query per row."""
    return [
        f"{prefix}payments",
        Prefetch(
            f"{prefix}equity_grants",
            queryset=EquityGrant.objects.prefetch_related("vesting_years"),
        ),
        f"{prefix}other_amounts",
    ]
