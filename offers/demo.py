"""The market of DESIGN.md as reference data: the USD/EUR rate and compensation bands.

Silicon Valley bands, in USD per year, from the reported figures: mid-level to senior research
scientists $500k–$2M total now against $400k–$900k in 2022; senior AI researchers (staff and
principal here) $3M–$7M, up about 50% on 2022; exceptional people (distinguished) over $10M.
Research engineers sit at 90% of scientists and ML engineers at 80%. Europe's bands are in EUR
at 65% of the Silicon Valley amounts, converted at 0.847 EUR per USD: experienced engineers
cost less there, which is how smaller labs compete.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from recruiting.pipeline.models import Role

from .models import CompensationBand, ExchangeRate

EUR_PER_USD = Decimal("0.847")
RATE_DATE = date(2025, 11, 1)
CURRENT = date(2025, 10, 1)
BEFORE = date(2022, 1, 1)

# level: (base min, target, max), (total min, target, max), in thousands of USD, now.
SILICON_VALLEY_NOW = {
    "mid": ((250, 300, 350), (500, 800, 1200)),
    "senior": ((300, 375, 450), (900, 1400, 2000)),
    "staff": ((450, 550, 700), (3000, 4000, 5000)),
    "principal": ((550, 700, 900), (4000, 5500, 7000)),
    "distinguished": ((700, 1000, 2000), (7000, 10000, 15000)),
}
# 2022: mid and senior as reported ($400k–$900k); the others about a third lower (up ~50% since).
SILICON_VALLEY_2022 = {
    "mid": ((220, 260, 300), (400, 550, 700)),
    "senior": ((260, 320, 380), (600, 750, 900)),
    **{
        level: (
            tuple(round(v / 1.5) for v in base),
            tuple(round(v / 1.5) for v in total),
        )
        for level, (base, total) in SILICON_VALLEY_NOW.items()
        if level in ("staff", "principal", "distinguished")
    },
}
FAMILY_FACTOR = {
    Role.Family.RESEARCH_SCIENTIST: Decimal(1),
    Role.Family.RESEARCH_ENGINEER: Decimal("0.9"),
    Role.Family.ML_ENGINEER: Decimal("0.8"),
}
EUROPE_SHARE = Decimal("0.65")


def _thousands(value: Decimal) -> Decimal:
    return (value / 1000).quantize(Decimal(1)) * 1000


@transaction.atomic
def build_market() -> tuple[int, int]:
    """Creates what is missing; a second run changes nothing. Returns (rates, bands) created."""
    _, rate_created = ExchangeRate.objects.get_or_create(
        base_id="USD", quote_id="EUR", as_of=RATE_DATE, defaults={"rate": EUR_PER_USD}
    )
    created = 0
    for effective_on, table in ((BEFORE, SILICON_VALLEY_2022), (CURRENT, SILICON_VALLEY_NOW)):
        for family, factor in FAMILY_FACTOR.items():
            for level, (base, total) in table.items():
                for zone, currency, scale in (
                    (Role.Zone.SILICON_VALLEY, "USD", factor),
                    (Role.Zone.EUROPE, "EUR", factor * EUROPE_SHARE * EUR_PER_USD),
                ):
                    amounts = [_thousands(Decimal(v) * 1000 * scale) for v in (*base, *total)]
                    _, new = CompensationBand.objects.get_or_create(
                        family=family,
                        level=level,
                        zone=zone,
                        effective_on=effective_on,
                        defaults=dict(
                            currency_id=currency,
                            **dict(
                                zip(
                                    (
                                        "base_min",
                                        "base_target",
                                        "base_max",
                                        "total_min",
                                        "total_target",
                                        "total_max",
                                    ),
                                    amounts,
                                    strict=True,
                                )
                            ),
                        ),
                    )
                    created += new
    return int(rate_created), created
