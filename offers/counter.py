"""Counter-offers: the smallest change to our latest offer that beats the strongest credible
competing offer by a margin, and turning it into a new draft version.

The arithmetic is offers.counter_math's: the levers are tried in order (signing bonus, then
equity, then base salary by default), each as far as it needs to go or as far as the band
allows (the band's max total a year on the band basis, its max base for the base salary),
without losing year one or the four-year total by more than the margin. This module finds the
rival to answer, gives the levers on an offer's terms, and adds the clawback proposal and the
approvals the suggestion would need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from recruiting.lib.formats import money_in_sentence

from . import compensation as engine
from .competition import standing
from .counter_math import (
    BASE_SALARY,
    CERTAINTIES,
    DEFAULT_ORDER,
    EQUITY,
    SIGNING_BONUS,
    BandLimits,
    ClawbackProposal,
    Problem,
    credible,
    propose_clawback,
    solve,
)
from .deal import Deal
from .deal import side as deal_side
from .models import ApprovalRule, CompetingOffer, Offer
from .presentation import COMPONENT_NOUNS
from .selectors import Market, package_prefetches
from .services import (
    approvals_for,
    draft_offer,
    revise_offer,
    revision_in_progress,
    update_draft,
)
from .terms import EquityTerms, OfferError, OfferTerms

LEVER_LABELS = {
    lever: COMPONENT_NOUNS[engine.Component(lever)]
    for lever in (SIGNING_BONUS, EQUITY, BASE_SALARY, "retention_bonus")
}


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


# How sure we are of a competing offer, from least to most.


def clawback_text(proposal: ClawbackProposal, bonus: str, currency: str) -> str:
    """The proposal in a sentence: "The signing bonus of 141,960,000 USD is 112.7 years of
    recurring pay: proposed clawback 48 months, pro rata by month, counted from each payment
    (was 12 months, …)"."""
    size = (
        f"{proposal.years_of_pay} years of recurring pay"
        if proposal.years_of_pay is not None
        else "more than the recurring pay"
    )
    was = (
        f"was {proposal.was_months} months, {proposal.was_terms.label.lower()}"
        if proposal.was_months
        else "there was none"
    )
    return (
        f"The {LEVER_LABELS[bonus]} of {money_in_sentence(proposal.total, currency)} is {size}: "
        f"proposed clawback {proposal.months} months, {proposal.terms.label.lower()} ({was})."
    )


@dataclass(frozen=True)
class Suggestion:
    offer: Offer  # our offer it starts from
    target: CompetingOffer  # the strongest credible competing offer
    measure: engine.Measure
    margin_percent: Decimal
    before: engine.Gap  # the target against our offer, in the reporting currency
    after: engine.Gap  # the target against the suggestion
    changes: tuple[tuple[str, Decimal], ...]  # (lever, amount added in the offer's currency)
    terms: OfferTerms | None  # None when our offer already beats the target by the margin
    beats: bool  # the suggestion beats the target by the margin on every measure it answers
    within_band: bool
    approvals: tuple[tuple[ApprovalRule, str], ...]
    # How each side in another currency was converted, with the rate's date.
    conversions: tuple[str, ...] = ()
    # The measures answered: `measure`, and any other it would have lost by more than the
    # margin had it answered `measure` alone.
    answered: tuple[engine.Measure, ...] = ()
    # What `measure` alone would have taken, and how it would have stood on the measure it
    # lost (when the suggestion had to answer another too).
    alone: tuple[tuple[str, Decimal], ...] = ()
    alone_lost: tuple[engine.Measure, engine.Gap] | None = None
    # Still short of beating the target by the margin, on each measure answered (reporting
    # currency): empty when it beats.
    short_by: tuple[tuple[engine.Measure, Decimal], ...] = ()
    clawback: ClawbackProposal | None = None
    clawback_bonus: str = SIGNING_BONUS  # the bonus the proposal is for
    lowest_certainty: str = CompetingOffer.Confidence.VERBAL
    # Competing offers with a deadline ahead less certain than the lowest that counts: shown,
    # not answered.
    not_answered: tuple[CompetingOffer, ...] = ()
    before_money: engine.PackageComparison | None = None
    after_money: engine.PackageComparison | None = None
    rates: tuple[Decimal, Decimal] = (Decimal(1), Decimal(1))  # ours, theirs to reporting

    @property
    def deal(self) -> Deal | None:
        """Our offer now, the suggestion and theirs over years one to four."""
        if self.before_money is None:
            return None
        ours_now = deal_side(
            f"Our offer (v{self.offer.version})",
            self.offer.to_package(),
            self.before_money.ours,
            self.rates[0],
        )
        theirs = deal_side(
            str(self.target.competitor),
            self.target.to_package(),
            self.before_money.theirs,
            self.rates[1],
        )
        sides = [ours_now]
        if self.changes and self.terms is not None and self.after_money is not None:
            sides.append(
                deal_side(
                    "The suggestion", self.terms.to_package(), self.after_money.ours, self.rates[0]
                )
            )
        return Deal(self.before_money.ours.currency, (*sides, theirs))

    @property
    def clawback_text(self) -> str:
        if self.clawback is None:
            return ""
        return clawback_text(self.clawback, self.clawback_bonus, self.offer.currency_id)

    @property
    def recurring_warning(self) -> str:
        """When the lead rests on one-time pay: from year two they pay more a year."""
        money = self.after_money or self.before_money
        if money is None:
            return ""
        deal = self.deal
        assert deal is not None
        ours, theirs = deal.sides[-2], deal.sides[-1]
        if theirs.later_recurring <= ours.later_recurring * (1 + self.margin_percent / 100):
            return ""
        reporting = money.ours.currency
        return (
            f"From year two on, {self.target.competitor} pays "
            f"{money_in_sentence(theirs.later_recurring, reporting)} a year of recurring pay "
            f"(base, target bonus, equity) against "
            f"{money_in_sentence(ours.later_recurring, reporting)} for "
            f"{'the suggestion' if self.changes else 'ours'}: the lead rests on "
            "one-time pay."
        )

    @property
    def message(self) -> str:
        currency, reporting = self.offer.currency_id, settings.REPORTING_CURRENCY
        label, competitor = self.measure.label, self.target.competitor
        if self.terms is None:
            lead = money_in_sentence(-self.before.amount, reporting)
            return (
                f"Our offer already beats {competitor} by {lead}"
                f" in {label}, more than the {self.margin_percent}% margin, and loses no other "
                "measure by more than the margin: nothing to change."
            )
        added = ", ".join(
            f"+{money_in_sentence(a, currency)} {LEVER_LABELS[lever]}" for lever, a in self.changes
        )
        on = " and ".join(m.label for m in self.answered)
        if self.beats:
            text = (
                f"{added}: beats {competitor} by the {self.margin_percent}% margin or more on {on}."
            )
        else:
            short = "; ".join(
                f"{money_in_sentence(amount, reporting)} on {m.label}"
                for m, amount in self.short_by
            )
            text = (
                f"{added or 'Nothing more fits in the band'}: still short of beating "
                f"{competitor} (the strongest credible competing offer) by the "
                f"{self.margin_percent}% margin{' within the band' if self.within_band else ''}: "
                f"{short}. Allow going above the band to beat it."
            )
        if self.alone_lost is not None and self.alone:
            lost, gap = self.alone_lost
            alone = ", ".join(
                f"+{money_in_sentence(a, currency)} {LEVER_LABELS[lever]}"
                for lever, a in self.alone
            )
            text += (
                f" On {label} alone, {alone or 'no change'} would do, but it would lose the "
                f"{lost.label} by {money_in_sentence(gap.amount, reporting)} "
                f"({money_in_sentence(gap.ours, reporting)} against "
                f"{money_in_sentence(gap.theirs, reporting)}): so the suggestion answers on "
                f"the {lost.label} too."
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
    lowest_certainty: str | None = None,
) -> Suggestion:
    """The smallest change to `offer` that beats the strongest credible live competing offer
    by `margin_percent` on `measure` (settings.COMPETING_OFFER_MEASURE,
    COUNTER_OFFER_MARGIN_PERCENT and COUNTER_OFFER_MIN_CERTAINTY by default) without losing
    year one or the four-year total by more than the margin: when the change on `measure`
    alone would, it beats them on that measure too. Raises OfferError when there is nothing to
    beat."""
    measure = engine.Measure(measure or settings.COMPETING_OFFER_MEASURE)
    margin = settings.COUNTER_OFFER_MARGIN_PERCENT if margin_percent is None else margin_percent
    lowest = lowest_certainty or settings.COUNTER_OFFER_MIN_CERTAINTY
    if margin < 0:
        raise OfferError({"margin_percent": "A margin is 0% or more."})
    if lowest not in CERTAINTIES:
        raise OfferError({"lowest_certainty": f"Choose one of {', '.join(CERTAINTIES)}."})
    if unknown := set(order) - set(LEVERS):
        raise OfferError({"order": f"Unknown levers: {', '.join(sorted(unknown))}."})
    levers = dict(LEVERS)
    if offer.kind == Offer.Kind.RETENTION:
        levers[SIGNING_BONUS] = _add_retention
    live = competing_offers_for(offer)
    if not live:
        raise OfferError("There is no competing offer with a deadline ahead to beat.")
    rivals = [c for c in live if credible(c.confidence, lowest)]
    not_answered = tuple(c for c in live if not credible(c.confidence, lowest))
    if not rivals:
        names = ", ".join(f"{c.competitor} ({c.get_confidence_display().lower()})" for c in live)
        label = CompetingOffer.Confidence(lowest).label.lower()
        raise OfferError(
            {
                "lowest_certainty": f"No competing offer with a deadline ahead is {label} or "
                f"surer: {names}. Lower the certainty that counts to answer a less certain one."
            }
        )
    market = Market(timezone.localdate())
    prefetch_related_objects([offer], *package_prefetches())  # read once for every rival
    stands = [standing(c, ours=offer, market=market) for c in rivals]
    strongest = max(stands, key=lambda s: s.money.gap(measure).theirs)
    target = strongest.competing
    role = offer.application.role
    band = market.bands.get((role.family, role.level, role.zone))
    rate_ours = market.rate(offer.currency_id, settings.REPORTING_CURRENCY)
    limits = None
    if within_band and band is not None:
        to_band = market.rate(offer.currency_id, band.currency_id)
        limits = BandLimits(
            band.total_max / to_band, band.base_max / to_band, settings.BAND_HORIZON_YEARS
        )
    start = OfferTerms.of(offer)
    answer = solve(
        Problem(
            start=start,
            to_package=OfferTerms.to_package,
            levers=levers,
            order=order,
            theirs=target.to_package(),
            currency=settings.REPORTING_CURRENCY,
            rate_ours=rate_ours,
            rate_theirs=market.reporting_rate(target),
            measure=measure,
            margin_percent=margin,
            band=limits,
        )
    )
    retention = offer.kind == Offer.Kind.RETENTION
    one_off = "retention_bonus" if retention else SIGNING_BONUS
    nothing = Suggestion(
        offer,
        target,
        measure,
        margin,
        answer.before.gap(measure),
        answer.before.gap(measure),
        (),
        None,
        True,
        within_band,
        (),
        strongest.conversions,
        answered=answer.answered,
        lowest_certainty=lowest,
        not_answered=not_answered,
        before_money=answer.before,
        rates=(rate_ours, market.reporting_rate(target)),
        clawback_bonus=one_off,
    )
    if answer.nothing_to_do:
        return nothing
    terms = answer.terms
    changes = tuple(
        (one_off if lever == SIGNING_BONUS else lever, a) for lever, a in answer.changes
    )
    proposal = None
    if any(lever == one_off for lever, _ in changes):
        package, was = terms.to_package(), start.to_package()
        proposal = propose_clawback(
            cast(engine.Bonus, package.retention_bonus if retention else package.signing_bonus),
            engine.band_basis(package, horizon_years=settings.BAND_HORIZON_YEARS).recurring,
            was=was.retention_bonus if retention else was.signing_bonus,
            horizon_years=settings.BAND_HORIZON_YEARS,
        )
        if retention:
            terms = replace(
                terms,
                retention_clawback_months=proposal.months,
                retention_clawback=proposal.terms.value,
            )
        else:
            terms = replace(
                terms,
                signing_clawback_months=proposal.months,
                signing_clawback=proposal.terms.value,
            )
    valuation = market.value_package(terms.to_package(), role, rate=rate_ours)
    approvals = approvals_for(valuation, kind=offer.kind, currency=offer.currency_id)
    return replace(
        nothing,
        after=answer.after.gap(measure),
        changes=changes,
        terms=terms,
        beats=answer.beats,
        approvals=tuple(approvals),
        alone=tuple((one_off if lever == SIGNING_BONUS else lever, a) for lever, a in answer.alone),
        alone_lost=answer.alone_lost,
        short_by=answer.short_by,
        clawback=proposal,
        after_money=answer.after,
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
    if offer.status == Offer.Status.SENT and (preparing := revision_in_progress(offer)):
        if preparing.status != Offer.Status.DRAFT:
            raise OfferError(
                f"Version {preparing.version} is already being prepared "
                f"({preparing.get_status_display().lower()}): send or change it first."
            )
        # The draft being prepared becomes the suggestion (its own expiry kept).
        return update_draft(preparing, replace(terms, expires_at=preparing.expires_at), by=by)
    if offer.is_open:
        return revise_offer(offer, by=by, terms=terms)
    if terms.start_date < timezone.localdate():
        terms = replace(terms, start_date=timezone.localdate())
    return draft_offer(offer.application, terms, by=by, kind=offer.kind)
