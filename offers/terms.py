"""The terms of a package, ours or a competitor's: what they hold, the rules they obey, and
writing their component rows. The offer services (services.py) and the competing-offer services
(competition.py) both build on this module; it imports neither."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Self, TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from candidates.models import Company, Currency

from . import compensation as engine
from .figures import refresh_figures
from .models import (
    CompetingOffer,
    EquityGrant,
    Offer,
    OfferPayment,
    OtherAmount,
    VestingYear,
)
from .models.offer import Package
from .prices import price_on
from .selectors import RateMissing, rate_on


class OfferError(ValidationError):
    """A step on an offer that the rules refuse; the message says which rule."""


# --- The terms of an offer -----------------------------------------------------------------


@dataclass(frozen=True)
class EquityTerms:
    """A grant as typed. On the "recorded" basis it is an amount, `value`; on a price basis it
    is a number of `shares`, valued at the package's share price (`value` is then left out)."""

    value: Decimal | None
    percentages: Sequence[Decimal]
    cliff_months: int = 12
    frequency: str = engine.Frequency.QUARTERLY.value
    kind: str = EquityGrant.Kind.RSU
    shares: Decimal | None = None
    strike: Decimal = Decimal(0)
    fair_value: Decimal | None = None
    cap: Decimal | None = None
    grant_month: int = 0
    expiry_years: int | None = None  # options: they expire so many years after the grant
    exercise_window_months: int | None = None  # options: a leaver's time to exercise

    def to_grant(self, basis: str, price: Decimal) -> engine.EquityGrant:
        schedule = engine.VestingSchedule(
            tuple(self.percentages), self.cliff_months, engine.Frequency(self.frequency)
        )
        return engine.grant_on_basis(
            basis,
            price,
            schedule,
            kind=self.kind,
            value=self.value,
            shares=self.shares,
            strike=self.strike,
            fair_value=self.fair_value,
            cap=self.cap,
            grant_month=self.grant_month,
        )


class PackageComponents(TypedDict):
    """The PackageTerms fields of a saved offer or competing offer (PackageTerms.components_of)."""

    currency: str
    base_salary: Decimal
    target_bonus_percent: Decimal
    relocation: Decimal
    signing_payments: Sequence[tuple[int, Decimal]]
    signing_clawback_months: int
    signing_clawback: str
    retention_payments: Sequence[tuple[int, Decimal]]
    retention_clawback_months: int
    retention_clawback: str
    equity: Sequence[EquityTerms]
    other: Sequence[tuple[str, Decimal, int]]
    equity_basis: str
    share_price: Decimal
    share_price_as_of: date | None
    share_price_source: str


@dataclass(frozen=True, kw_only=True)
class PackageTerms:
    """The components of a package, as typed: what an offer and a competing offer share."""

    currency: str
    base_salary: Decimal = Decimal(0)
    target_bonus_percent: Decimal = Decimal(0)
    relocation: Decimal = Decimal(0)
    signing_payments: Sequence[tuple[int, Decimal]] = ()
    signing_clawback_months: int = 0
    signing_clawback: str = engine.Clawback.PRO_RATA_FROM_PAYMENT.value
    retention_payments: Sequence[tuple[int, Decimal]] = ()
    retention_clawback_months: int = 0
    retention_clawback: str = engine.Clawback.PRO_RATA_FROM_PAYMENT.value
    equity: Sequence[EquityTerms] = ()
    other: Sequence[tuple[str, Decimal, int]] = field(default_factory=tuple)
    # What the grants are valued at: a basis chosen by the recruiter, and the granting
    # company's price on it, found by priced() (1.00 a unit on the "recorded" basis).
    equity_basis: str = engine.PriceBasis.RECORDED.value
    share_price: Decimal = Decimal(1)
    share_price_as_of: date | None = None
    share_price_source: str = ""

    def price_company(self) -> Company | None:
        """The company whose shares the grants are: ours, for our offers."""
        return Company.objects.filter(kind=Company.Kind.OURS).first()

    def priced(self, on: date) -> Self:
        """These terms with the granting company's price on their basis in force on `on`,
        converted to the package's currency at that day's rate; on the "recorded" basis, 1.00
        a unit. A basis with no known price is refused on `equity_basis`."""
        try:
            basis = engine.PriceBasis(self.equity_basis)
        except ValueError:
            raise OfferError({"equity_basis": "Choose what the equity is valued at."}) from None
        if basis == engine.PriceBasis.RECORDED:
            return replace(
                self, share_price=Decimal(1), share_price_as_of=None, share_price_source=""
            )
        company = self.price_company()
        found = price_on(company, basis, on) if company is not None else None
        if company is None or found is None:
            whose = f"{company}'s" if company is not None else "the company's"
            raise OfferError(
                {
                    "equity_basis": f"No {basis.label.lower()} of {whose} shares is known on or "
                    f"before {on:%d %b %Y}; add one under Offers → Share prices, or value the "
                    "equity on another basis."
                }
            )
        price, source = found.price, found.source
        if found.currency_id != self.currency:
            try:
                rate, _ = rate_on(found.currency_id, self.currency, on)
            except RateMissing as missing:
                raise OfferError({"equity_basis": missing.messages}) from None
            price = (found.price * rate).quantize(engine.PRICE_STEP)
            source = (
                f"{source}: {found.price.normalize():f} {found.currency_id} at "
                f"{rate.normalize():f} {self.currency} per {found.currency_id}"
            )
        return replace(
            self, share_price=price, share_price_as_of=found.as_of, share_price_source=source
        )

    def to_package(self) -> engine.Package:
        def bonus(
            name: str, payments: Sequence[tuple[int, Decimal]], months: int, clawback: str
        ) -> engine.Bonus | None:
            try:
                convention = engine.Clawback(clawback)
            except ValueError:
                raise engine.CompensationError(
                    f"{name}_clawback",
                    "Choose how the bonus is clawed back: "
                    + "; ".join(c.label.lower() for c in engine.Clawback)
                    + ".",
                ) from None
            rows = tuple(engine.Payment(month, amount) for month, amount in payments)
            return engine.Bonus(rows, months, convention) if rows else None

        return engine.Package(
            currency=self.currency,
            base_salary=self.base_salary,
            target_bonus_percent=self.target_bonus_percent,
            signing_bonus=bonus(
                "signing",
                self.signing_payments,
                self.signing_clawback_months,
                self.signing_clawback,
            ),
            retention_bonus=bonus(
                "retention",
                self.retention_payments,
                self.retention_clawback_months,
                self.retention_clawback,
            ),
            equity=tuple(e.to_grant(self.equity_basis, self.share_price) for e in self.equity),
            relocation=self.relocation,
            other=tuple(engine.OtherAmount(n, a, y) for n, a, y in self.other),
        )

    @staticmethod
    def components_of(package: Package) -> PackageComponents:
        """The PackageTerms fields of a saved offer or competing offer."""
        payments = list(package.payments.all())
        recorded = package.equity_basis == engine.PriceBasis.RECORDED
        return PackageComponents(
            currency=package.currency_id,
            base_salary=package.base_salary,
            target_bonus_percent=package.target_bonus_percent,
            relocation=package.relocation,
            signing_payments=[(p.month, p.amount) for p in payments if p.kind == "signing"],
            signing_clawback_months=package.signing_clawback_months,
            signing_clawback=package.signing_clawback,
            retention_payments=[(p.month, p.amount) for p in payments if p.kind == "retention"],
            retention_clawback_months=package.retention_clawback_months,
            retention_clawback=package.retention_clawback,
            equity=[
                EquityTerms(
                    g.value if recorded else None,
                    [y.percentage for y in g.vesting_years.all()],
                    g.cliff_months,
                    g.frequency,
                    g.kind,
                    shares=None if recorded else g.shares,
                    strike=g.strike,
                    fair_value=g.fair_value,
                    cap=g.cap,
                    grant_month=g.grant_month,
                    expiry_years=g.expiry_years,
                    exercise_window_months=g.exercise_window_months,
                )
                for g in package.equity_grants.all()
            ],
            other=[(o.name, o.amount, o.year) for o in package.other_amounts.all()],
            equity_basis=package.equity_basis,
            share_price=package.share_price,
            share_price_as_of=package.share_price_as_of,
            share_price_source=package.share_price_source,
        )


@dataclass(frozen=True, kw_only=True)
class OfferTerms(PackageTerms):
    """Everything a recruiter types into an offer."""

    start_date: date
    expires_at: datetime

    @classmethod
    def of(cls, offer: Offer) -> OfferTerms:
        return cls(
            start_date=offer.start_date,
            expires_at=offer.expires_at,
            **cls.components_of(offer),
        )


def check_package(terms: PackageTerms, *, today: date | None = None) -> None:
    """Refuses components that cannot make a package, naming the field: what the engine
    cannot value or the columns cannot hold, an unknown currency, a currency with no rate."""
    today = today or timezone.localdate()
    if not Currency.objects.filter(code=terms.currency).exists():
        raise OfferError({"currency": f"“{terms.currency}” is not a currency Closer knows."})
    terms = terms.priced(today)
    try:
        engine.compute(terms.to_package())
    except engine.CompensationError as error:
        raise OfferError({error.field: error.message}) from None
    _check_storable(terms)
    _check_exercise(terms)
    try:
        rate_on(terms.currency, settings.REPORTING_CURRENCY, today)
    except RateMissing as missing:
        raise OfferError({"currency": missing.messages}) from None


def check_terms(terms: OfferTerms, *, new: bool, today: date | None = None) -> None:
    """Refuses terms that cannot make an offer, naming the field: the package's rules
    (check_package), and dates that make no sense."""
    today = today or timezone.localdate()
    check_package(terms, today=today)
    if new and terms.start_date < today:
        raise OfferError({"start_date": "A new offer cannot start in the past."})
    if terms.expires_at <= timezone.now():
        raise OfferError({"expires_at": "The expiry must be in the future."})


MAX_OPTION_YEARS = 15
MAX_EXERCISE_WINDOW_MONTHS = 120


def _check_exercise(terms: PackageTerms) -> None:
    """An option's exercise terms: only options have them, within what a plan allows."""
    for grant in terms.equity:
        given = grant.expiry_years is not None or grant.exercise_window_months is not None
        if given and grant.kind != EquityGrant.Kind.OPTIONS:
            raise OfferError({"exercise_window_months": "Only options have an exercise window."})
        if grant.expiry_years is not None and not 1 <= grant.expiry_years <= MAX_OPTION_YEARS:
            raise OfferError(
                {"expiry_years": f"Options expire 1 to {MAX_OPTION_YEARS} years after the grant."}
            )
        window = grant.exercise_window_months
        if window is not None and not 0 <= window <= MAX_EXERCISE_WINDOW_MONTHS:
            raise OfferError(
                {
                    "exercise_window_months": "A leaver's exercise window is 0 to "
                    f"{MAX_EXERCISE_WINDOW_MONTHS} months."
                }
            )


def _check_storable(terms: PackageTerms) -> None:
    """What the engine can value but the columns cannot hold as typed: percentages keep 2
    decimals, names 100 characters. Refused rather than silently rounded or cut."""
    limit = OtherAmount._meta.get_field("name").max_length
    assert limit is not None  # OtherAmount.name is a CharField(max_length=100)
    for name, _, _ in terms.other:
        if not name.strip() or len(name) > limit:
            raise OfferError({"other": f"An amount's name has 1 to {limit} characters."})
    percentages = {
        "target_bonus_percent": [terms.target_bonus_percent],
        "vesting": [p for e in terms.equity for p in e.percentages],
    }
    for name, values in percentages.items():
        if any(value != value.quantize(engine.CENT) for value in values):
            raise OfferError({name: "A percentage has at most 2 decimal places."})


def _rows_of(terms: PackageTerms) -> tuple[tuple[object, ...], ...]:
    """The component rows the terms make, comparable across lists and tuples."""
    return (
        tuple(terms.signing_payments),
        tuple(terms.retention_payments),
        tuple(
            (
                e.value,
                tuple(e.percentages),
                e.cliff_months,
                str(e.frequency),
                str(e.kind),
                e.shares,
                e.strike,
                e.fair_value,
                e.cap,
                e.grant_month,
                e.expiry_years,
                e.exercise_window_months,
            )
            for e in terms.equity
        ),
        (terms.equity_basis, terms.share_price),
        tuple(tuple(o) for o in terms.other),
    )


def write_package(parent: Offer | CompetingOffer, terms: PackageTerms, *, by: User | None) -> None:
    """Saves the package's own fields on `parent` (an offer or a competing offer) and replaces
    its component rows with those of `terms`, valued at today's price on their basis."""
    terms = terms.priced(timezone.localdate())
    parent.currency_id = terms.currency
    parent.base_salary = terms.base_salary
    parent.target_bonus_percent = terms.target_bonus_percent
    parent.relocation = terms.relocation
    parent.signing_clawback_months = terms.signing_clawback_months
    parent.retention_clawback_months = terms.retention_clawback_months
    parent.signing_clawback = terms.signing_clawback
    parent.retention_clawback = terms.retention_clawback
    parent.equity_basis = terms.equity_basis
    parent.share_price = terms.share_price
    parent.share_price_as_of = terms.share_price_as_of
    parent.share_price_source = terms.share_price_source
    parent._history_user = by
    existed = parent.pk is not None
    parent.save()
    if existed and _rows_of(PackageTerms(**PackageTerms.components_of(parent))) == _rows_of(terms):
        refresh_figures(parent)  # the base, the bonus or the price may have changed
        return  # the same instalments, grants and amounts: their history stays quiet
    owner = {"competing_offer" if isinstance(parent, CompetingOffer) else "offer": parent}
    parent.payments.all().delete()
    parent.equity_grants.all().delete()
    parent.other_amounts.all().delete()
    bulk_create_with_history(
        [
            OfferPayment(**owner, kind="signing", month=m, amount=a)
            for m, a in terms.signing_payments
        ]
        + [
            OfferPayment(**owner, kind="retention", month=m, amount=a)
            for m, a in terms.retention_payments
        ],
        OfferPayment,
        default_user=by,
    )
    for equity in terms.equity:
        valued = equity.to_grant(terms.equity_basis, terms.share_price)
        grant = EquityGrant(
            **owner,
            kind=equity.kind,
            shares=valued.shares,
            strike=equity.strike,
            fair_value=equity.fair_value,
            cap=equity.cap,
            grant_month=equity.grant_month,
            expiry_years=equity.expiry_years,
            exercise_window_months=equity.exercise_window_months,
            value=valued.value,
            cliff_months=equity.cliff_months,
            frequency=equity.frequency,
        )
        grant._history_user = by
        grant.save()
        bulk_create_with_history(
            [
                VestingYear(grant=grant, year=year, percentage=p)
                for year, p in enumerate(equity.percentages, start=1)
            ],
            VestingYear,
            default_user=by,
        )
    bulk_create_with_history(
        [OtherAmount(**owner, name=n, amount=a, year=y) for n, a, y in terms.other],
        OtherAmount,
        default_user=by,
    )
    refresh_figures(parent)
