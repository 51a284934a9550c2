"""What each package is worth, kept on its row for the reports (offer.REPORT_FIELDS).

The engine values a package in Python (vesting, instalments, rates); a report asks PostgreSQL
for medians and sums over tens of thousands of packages. So the figures a report needs are
written on the row whenever the package is written (terms.write_package, and the send, which
fixes the offer's rate), in the reporting currency at the rate of that day; a sent offer keeps
the rate it was sent at. A package that could not be valued (no rate yet) has them empty, and
the nightly `refresh_missing` values it once the rate is there.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from . import compensation as engine
from .models import REPORT_FIELDS, CompetingOffer, Offer
from .selectors import Market, RateMissing, package_prefetches

C = engine.Component
YEAR_ONE_PARTS = {
    "report_base": (C.BASE_SALARY,),
    "report_bonus": (C.TARGET_BONUS,),
    "report_signing": (C.SIGNING_BONUS,),
    "report_equity": (C.EQUITY,),
    "report_retention": (C.RETENTION_BONUS,),
    "report_other": (C.RELOCATION, C.OTHER),
}
REFRESH_BATCH = 500


def figures_of(package: Offer | CompetingOffer, market: Market) -> dict[str, Decimal | None]:
    """The report figures of `package` (its components read, or prefetched), or all None when
    a currency it needs has no rate."""
    try:
        return _figures(package, market)
    except RateMissing:
        return dict.fromkeys(REPORT_FIELDS)


def _figures(package: Offer | CompetingOffer, market: Market) -> dict[str, Decimal | None]:
    reporting_currency = settings.REPORTING_CURRENCY
    rate, _ = market.reporting_quote(package)
    terms = package.to_package()
    yearly = engine.convert(engine.compute(terms), rate=rate, currency=reporting_currency)
    grants = sum((grant.value for grant in package.equity_grants.all()), Decimal(0))
    figures: dict[str, Decimal | None] = {
        "report_rate": rate,
        "report_year_one": yearly.year_one,
        "report_annual_average": yearly.annual_average,
        "report_signing_total": yearly.component_total(C.SIGNING_BONUS),
        "report_retention_total": yearly.component_total(C.RETENTION_BONUS),
        "report_equity_grant": engine.to_cents(grants * rate),
        "report_band_max": None,
        "report_above_band": None,
    }
    for name, parts in YEAR_ONE_PARTS.items():
        figures[name] = sum(
            (yearly.by_component[part][0] for part in parts if part in yearly.by_component),
            Decimal(0),
        )
    application = package.application
    if application is not None:
        role = application.role
        band = market.bands.get((role.family, role.level, role.zone))
        if band is not None:
            to_band = market.rate(terms.currency, band.currency_id)
            basis = engine.band_basis(terms, horizon_years=settings.BAND_HORIZON_YEARS)
            annual = basis.converted(to_band, band.currency_id).annual
            from_band = market.rate(band.currency_id, reporting_currency)
            figures["report_band_max"] = engine.to_cents(band.total_max * from_band)
            above = max(annual - band.total_max, Decimal(0))
            figures["report_above_band"] = engine.to_cents(above * from_band)
    return figures


def refresh_figures(package: Offer | CompetingOffer, *, market: Market | None = None) -> None:
    """Writes the package's report figures on its row (and on the instance)."""
    figures = figures_of(package, market or Market(timezone.localdate()))
    for name, value in figures.items():
        setattr(package, name, value)
    type(package).objects.filter(pk=package.pk).update(**figures)


def _refresh_rows(rows: QuerySet[Any], market: Market) -> int:
    valued, last = 0, 0
    while True:
        batch = list(
            rows.filter(pk__gt=last)
            .order_by("pk")
            .select_related("application__role")
            .prefetch_related(*package_prefetches())[:REFRESH_BATCH]
        )
        if not batch:
            return valued
        for package in batch:
            refresh_figures(package, market=market)
            valued += package.report_rate is not None
        last = batch[-1].pk


def refresh_missing(*, market: Market | None = None) -> int:
    """Values every package whose figures are empty (a rate was missing when it was written),
    a batch at a time; returns how many it valued. Those still without a rate stay empty."""
    market = market or Market(timezone.localdate())
    missing = {"report_rate__isnull": True}
    return _refresh_rows(Offer.objects.filter(**missing), market) + _refresh_rows(
        CompetingOffer.objects.filter(**missing), market
    )
