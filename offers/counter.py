"""Counter-offers: the smallest change to our latest offer that beats the strongest competing
offer by a margin, and turning it into a new draft version.

The levers are tried in order (signing bonus, then equity, then base salary by default), each
as far as it needs to go or as far as the band allows: the band's max total compensation on
the annual average, and its max base for the base salary. The measure is linear in each lever,
so each amount is worked out from the lever's effect on the measure, rounded up to a thousand
in the offer's currency, and checked with the engine on the whole package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from recruiting.lib.formats import money_in_sentence

from . import compensation as engine
from .competition import standing
from .models import ApprovalRule, CompetingOffer, Offer
from .presentation import COMPONENT_NOUNS
from .selectors import Market, package_prefetches
from .services import approvals_for, draft_offer, revise_offer, update_draft
from .terms import EquityTerms, OfferError, OfferTerms

SIGNING_BONUS, EQUITY, BASE_SALARY = "signing_bonus", "equity", "base_salary"
DEFAULT_ORDER = (SIGNING_BONUS, EQUITY, BASE_SALARY)
LEVER_LABELS = {
    lever: COMPONENT_NOUNS[engine.Component(lever)]
    for lever in (SIGNING_BONUS, EQUITY, BASE_SALARY, "retention_bonus")
}
STEP = Decimal(1000)  # suggestions are whole thousands in the offer's currency
PROBE = Decimal(1_000_000)  # the amount a lever's effect is measured with


def _add_signing(terms: OfferTerms, amount: Decimal) -> OfferTerms:
    payments = dict(terms.signing_payments)
    payments[0] = payments.get(0, Decimal(0)) + amount  # paid at the start
    return replace(terms, signing_payments=sorted(payments.items()))


def _add_retention(terms: OfferTerms, amount: Decimal) -> OfferTerms:
    """For one of our employees the one-off lever is the retention bonus, paid now."""
    payments = dict(terms.retention_payments)
    payments[0] = payments.get(0, Decimal(0)) + amount
    return replace(terms, retention_payments=sorted(payments.items()))


def _add_equity(terms: OfferTerms, amount: Decimal) -> OfferTerms:
    """More equity worth `amount`: added to the first grant (as whole shares at the offer's
    price, rounded up, when it is valued at a price), or a new four-year grant."""
    if terms.equity_basis == engine.PriceBasis.RECORDED:
        first_value = terms.equity[0].value if terms.equity else None
        if first_value is not None:
            first, *rest = terms.equity
            return replace(terms, equity=[replace(first, value=first_value + amount), *rest])
        return replace(terms, equity=[*terms.equity, EquityTerms(amount, [Decimal(25)] * 4)])
    if terms.equity:
        first, *rest = terms.equity
        per_share = first.to_grant(terms.equity_basis, terms.share_price).value_per_share()
        if per_share <= 0:
            return terms  # options under water: more of them adds nothing
        more = (amount / per_share).to_integral_value(rounding=ROUND_CEILING)
        return replace(terms, equity=[replace(first, shares=(first.shares or 0) + more), *rest])
    if terms.share_price <= 0:
        return terms
    shares = (amount / terms.share_price).to_integral_value(rounding=ROUND_CEILING)
    return replace(terms, equity=[EquityTerms(None, [Decimal(25)] * 4, shares=shares)])


def _add_base(terms: OfferTerms, amount: Decimal) -> OfferTerms:
    return replace(terms, base_salary=terms.base_salary + amount)


LEVERS: dict[str, Callable[[OfferTerms, Decimal], OfferTerms]] = {
    SIGNING_BONUS: _add_signing,
    EQUITY: _add_equity,
    BASE_SALARY: _add_base,
}


@dataclass(frozen=True)
class Suggestion:
    offer: Offer  # our offer it starts from
    target: CompetingOffer  # the strongest competing offer
    measure: engine.Measure
    margin_percent: Decimal
    before: engine.Gap  # the target against our offer, in the reporting currency
    after: engine.Gap  # the target against the suggestion
    changes: tuple[tuple[str, Decimal], ...]  # (lever, amount added in the offer's currency)
    terms: OfferTerms | None  # None when our offer already beats the target by the margin
    beats: bool  # the suggestion beats the target by the margin
    within_band: bool
    approvals: tuple[tuple[ApprovalRule, str], ...]
    # How each side in another currency was converted, with the rate's date.
    conversions: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        currency, reporting = self.offer.currency_id, settings.REPORTING_CURRENCY
        label, competitor = self.measure.label, self.target.competitor
        if self.terms is None:
            lead = money_in_sentence(-self.before.amount, reporting)
            return (
                f"Our offer already beats {competitor} by {lead}"
                f" in {label}, more than the {self.margin_percent}% margin: nothing to change."
            )
        added = ", ".join(
            f"+{money_in_sentence(a, currency)} {LEVER_LABELS[lever]}" for lever, a in self.changes
        )
        if self.beats:
            lead = money_in_sentence(-self.after.amount, reporting)
            text = (
                f"{added}: beats {competitor} by {lead} "
                f"({self.margin_percent}% margin or more) in {label}."
            )
        else:
            text = (
                f"{added or 'Nothing more fits in the band'}: still "
                f"{money_in_sentence(self.after.amount, reporting)} short of {competitor} "
                "(the strongest "
                "competing offer)"
                f"{' within the band' if self.within_band else ''} in {label} with the "
                f"{self.margin_percent}% margin. Allow going above the band to beat it."
            )
        return text


def competing_offers_for(offer: Offer) -> list[CompetingOffer]:
    """The competing offers our offer answers whose deadline is ahead."""
    application = offer.application
    return list(
        CompetingOffer.objects.filter(
            Q(application=application)
            | Q(application__isnull=True, candidate_id=application.candidate_id),
            deadline__gt=timezone.now(),
        )
        .select_related("candidate", "competitor", "application__role", "currency")
        .prefetch_related(*package_prefetches())
    )


def suggest_counter_offer(
    offer: Offer,
    *,
    measure: engine.Measure | str | None = None,
    margin_percent: Decimal | None = None,
    order: Sequence[str] = DEFAULT_ORDER,
    within_band: bool = True,
) -> Suggestion:
    """The smallest change to `offer` that beats the strongest live competing offer by
    `margin_percent` on `measure` (settings.COMPETING_OFFER_MEASURE and
    COUNTER_OFFER_MARGIN_PERCENT by default). Raises OfferError when there is nothing to beat.
    """
    measure = engine.Measure(measure or settings.COMPETING_OFFER_MEASURE)
    margin = settings.COUNTER_OFFER_MARGIN_PERCENT if margin_percent is None else margin_percent
    if margin < 0:
        raise OfferError({"margin_percent": "A margin is 0% or more."})
    if unknown := set(order) - set(LEVERS):
        raise OfferError({"order": f"Unknown levers: {', '.join(sorted(unknown))}."})
    levers = dict(LEVERS)
    if offer.kind == Offer.Kind.RETENTION:
        levers[SIGNING_BONUS] = _add_retention
    rivals = competing_offers_for(offer)
    if not rivals:
        raise OfferError("There is no competing offer with a deadline ahead to beat.")
    market = Market(timezone.localdate())
    prefetch_related_objects([offer], *package_prefetches())  # read once for every rival
    stands = [standing(c, ours=offer, market=market) for c in rivals]
    strongest = max(stands, key=lambda s: s.money.gap(measure).theirs)
    target = strongest.competing
    theirs_package = target.to_package()
    rate_theirs = market.reporting_rate(target)
    role = offer.application.role
    band = market.bands.get((role.family, role.level, role.zone))
    to_band = market.rate(offer.currency_id, band.currency_id) if band else None
    rate_ours = market.rate(offer.currency_id, settings.REPORTING_CURRENCY)
    goal = engine.to_cents(strongest.money.gap(measure).theirs * (1 + margin / 100))

    def gap(terms: OfferTerms) -> engine.Gap:
        return engine.compare(
            terms.to_package(),
            theirs_package,
            currency=settings.REPORTING_CURRENCY,
            rate_ours=rate_ours,
            rate_theirs=rate_theirs,
        ).gap(measure)

    def average(terms: OfferTerms) -> Decimal:
        return engine.compute(terms.to_package()).annual_average

    def short(terms: OfferTerms) -> Decimal:
        """How far the terms are below the goal on the measure (reporting currency)."""
        return goal - gap(terms).ours

    def cap(terms: OfferTerms, lever: str) -> Decimal | None:
        """The most the lever may add while the package stays in the band (offer currency):
        the annual average under the band's max total, the base under its max base."""
        if not within_band or band is None:
            return None
        limits = []
        per_unit = (average(levers[lever](terms, PROBE)) - average(terms)) / PROBE
        if per_unit > 0:
            limits.append(max(band.total_max / to_band - average(terms), Decimal(0)) / per_unit)
        if lever == BASE_SALARY:
            limits.append(max(band.base_max / to_band - terms.base_salary, Decimal(0)))
        return min(limits) if limits else None

    terms = OfferTerms.of(offer)
    before = gap(terms)
    if short(terms) <= 0:
        return Suggestion(
            offer,
            target,
            measure,
            margin,
            before,
            before,
            (),
            None,
            True,
            within_band,
            (),
            strongest.conversions,
        )
    changes = []
    for lever in order:
        missing = short(terms)
        if missing <= 0:
            break
        effect = (gap(levers[lever](terms, PROBE)).ours - gap(terms).ours) / PROBE
        if effect <= 0:
            continue  # e.g. equity vesting after year one, on the year-one measure
        amount = (missing / effect / STEP).to_integral_value(ROUND_CEILING) * STEP
        limit = cap(terms, lever)
        if limit is not None and amount > limit:
            amount = (limit / STEP).to_integral_value(ROUND_FLOOR) * STEP
        if amount <= 0:
            continue
        trial = levers[lever](terms, amount)
        # The measure is linear in the lever, but each year is rounded to the cent: a step
        # more if that left it short.
        for _ in range(3):
            if short(trial) <= 0 or (limit is not None and amount + STEP > limit):
                break
            amount += STEP
            trial = levers[lever](terms, amount)
        terms = trial
        retention = lever == SIGNING_BONUS and offer.kind == Offer.Kind.RETENTION
        changes.append(("retention_bonus" if retention else lever, amount))
    after = gap(terms)
    valuation = market.value_package(terms.to_package(), role, rate=rate_ours)
    approvals = approvals_for(valuation, kind=offer.kind, currency=offer.currency_id)
    return Suggestion(
        offer,
        target,
        measure,
        margin,
        before,
        after,
        tuple(changes),
        terms,
        short(terms) <= 0,
        within_band,
        tuple(approvals),
        strongest.conversions,
    )


@transaction.atomic
def draft_from_suggestion(suggestion: Suggestion, *, by: User) -> Offer:
    """Turns a suggestion into our next draft: a draft is changed in place, an open offer is
    revised into a new version, and after a declined, expired or rescinded one a new version
    is drafted."""
    if suggestion.terms is None:
        raise OfferError("Our offer already beats the competing offer; there is nothing to draft.")
    if not suggestion.changes:
        raise OfferError(
            "Nothing fits in the band: the suggestion changes nothing, so there is nothing to "
            "draft. Allow going above the band to see what it would take."
        )
    offer = Offer.objects.get(pk=suggestion.offer.pk)
    terms = suggestion.terms
    if not offer.is_open or offer.expires_at <= timezone.now():
        # The expiry moves out with a new version: as long again as the old one ran.
        terms = replace(terms, expires_at=timezone.now() + (offer.expires_at - offer.drafted_at))
    if offer.status == Offer.Status.DRAFT:
        return update_draft(offer, terms, by=by)
    if offer.is_open:
        return revise_offer(offer, by=by, terms=terms)
    if terms.start_date < timezone.localdate():
        terms = replace(terms, start_date=timezone.localdate())
    return draft_offer(offer.application, terms, by=by, kind=offer.kind)
