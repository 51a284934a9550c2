"""How offers read to people: the names of their components and the history of their component
rows. The admin, the offer pages, the letter and the alerts all take their words from here (and
their money formats from recruiting.lib.formats), so a component is named the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from recruiting.lib.formats import money_in_table, percent, price_per_share

from . import compensation as engine
from .models import (
    BandPosition,
    CompetingOffer,
    EquityGrant,
    Offer,
    OfferPayment,
    OtherAmount,
    VestingYear,
)
from .models.offer import Package

# What an amount shows to a user who may not see compensation.
HIDDEN = "hidden"

# A component as the heading of a row in a table or a form. Keyed by str: a Component is one,
# and the engine's yearly rows are keyed by the component's name.
COMPONENT_HEADINGS: dict[str, str] = {
    engine.Component.BASE_SALARY: "Base salary",
    engine.Component.TARGET_BONUS: "Target bonus",
    engine.Component.SIGNING_BONUS: "Signing bonus",
    engine.Component.EQUITY: "Equity",
    engine.Component.RETENTION_BONUS: "Retention bonus",
    engine.Component.RELOCATION: "Relocation",
    engine.Component.OTHER: "Other",
}
# In the letter the equity row is what vests in the year, not the grant.
LETTER_COMPONENT_HEADINGS = {**COMPONENT_HEADINGS, engine.Component.EQUITY: "Equity vesting"}
# A component inside a sentence ("Meridian AI pays more in base salary and equity").
COMPONENT_NOUNS = {
    **{component: heading.lower() for component, heading in COMPONENT_HEADINGS.items()},
    engine.Component.OTHER: "other amounts",
}


def position_text(position: BandPosition | None, *, with_ratio: bool) -> str:
    """Where a package sits in its band: with the ratio to the target for those who may see
    pay, only below, within or above for the others."""
    if position is None:
        return "no band"
    if with_ratio:
        return str(position)
    return f"{position.where} band"


@dataclass(frozen=True)
class ComponentChange:
    at: datetime
    by: User | None
    kind: str  # Added, Changed, Removed
    what: str


_KINDS = {"+": "Added", "~": "Changed", "-": "Removed"}


def component_history(
    package_id: int, *, amounts: bool, parent: str = "offer"
) -> list[ComponentChange]:
    """Every component row of a package created, changed or removed, newest first: of an offer,
    or with parent="competing_offer" of a competing offer. A draft's terms are rewritten on
    each save, so a change shows as rows removed and added. Amounts are in the package's
    currency at the time, which a draft may have changed since (the package's own history says
    when), so they are shown without it. Without `amounts` every amount reads "hidden"."""
    of_package = {f"{parent}_id": package_id}

    def amount(value: Decimal) -> str:
        return money_in_table(value) if amounts else HIDDEN

    # Historical rows are classes simple-history makes at run time: typed as Any.
    rows: list[tuple[Any, str]] = []
    # A kind that is no longer a choice still shows, by its stored name.
    payment_kinds, grant_kinds = dict(OfferPayment.Kind.choices), dict(EquityGrant.Kind.choices)
    for p in OfferPayment.history.filter(**of_package).select_related("history_user"):
        label = payment_kinds.get(p.kind, p.kind)
        rows.append((p, f"{label} paid in month {p.month}: {amount(p.amount)}"))
    grants = EquityGrant.history.filter(**of_package)
    for g in grants.select_related("history_user"):
        rows.append(
            (
                g,
                f"Equity grant #{g.id} ({grant_kinds.get(g.kind, g.kind)}) worth "
                f"{amount(g.value)}, {g.cliff_months}-month cliff, vesting {g.frequency}",
            )
        )
    vesting = VestingYear.history.filter(grant_id__in=grants.values("id"))
    for v in vesting.select_related("history_user"):
        rows.append((v, f"Equity grant #{v.grant_id}: year {v.year} vests {percent(v.percentage)}"))
    for o in OtherAmount.history.filter(**of_package).select_related("history_user"):
        rows.append((o, f"{o.name} in year {o.year}: {amount(o.amount)}"))
    changes = [
        ComponentChange(r.history_date, r.history_user, _KINDS[r.history_type], what)
        for r, what in rows
    ]
    return sorted(changes, key=lambda c: c.at, reverse=True)


def equity_price_text(package: Package) -> str:
    """What a package's equity is valued at, in words: the price per share, its basis, date and
    source ("142.50 USD a share: Last preferred price (private company) as of 1 Jun 2026,
    Series C"); empty for grants recorded as amounts."""
    if package.equity_basis == engine.PriceBasis.RECORDED:
        return ""
    basis = engine.PriceBasis(package.equity_basis).label
    price = price_per_share(package.share_price, package.currency_id)
    when = f" as of {package.share_price_as_of:%-d %b %Y}" if package.share_price_as_of else ""
    source = f", {package.share_price_source}" if package.share_price_source else ""
    return f"{price} a share: {basis}{when}{source}"


@dataclass(frozen=True)
class RateAge:
    """When a rate is from, in words, and whether it is older than RATE_STALE_AFTER_DAYS."""

    text: str
    stale: bool


def rate_age(as_of: date | None, *, fixed: bool, today: date, stale_after: int) -> RateAge:
    """ "fixed when sent, the rate of 1 Nov 2025" or "the latest rate, of 1 Nov 2025 — 400 days
    old, older than 7 days"; a rate fixed when the offer was sent is what the candidate
    holds, never stale."""
    if as_of is None:
        return RateAge("fixed when sent" if fixed else "the latest rate", stale=False)
    of = f"{as_of:%-d %b %Y}"
    if fixed:
        return RateAge(f"fixed when sent, the rate of {of}", stale=False)
    days = (today - as_of).days
    stale = days > stale_after
    age = f" — {days} days old, older than {stale_after} days" if stale else ""
    return RateAge(f"the latest rate, of {of}{age}", stale=stale)


def offer_access_label(offer: Offer) -> str:
    """How the pay access log names an offer: ids and the role, never the candidate's name
    (the log outlives an erased candidate). The offer's application and role are loaded."""
    return f"Offer {offer.pk} v{offer.version}, {offer.application.role.title}"


def competing_access_label(competing: CompetingOffer) -> str:
    """How the pay access log names a competing offer (the competitor is a company)."""
    return f"Competing offer {competing.pk} from {competing.competitor.name}"
