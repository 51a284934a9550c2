"""Every state change of offers and of their reference data."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed
from simple_history.utils import bulk_create_with_history

from candidates.models import Candidate, Currency
from recruiting.alerts.services import raise_alert
from recruiting.pipeline.models import Application
from recruiting.pipeline.services import PipelineError, mark_hired

from . import compensation as engine
from .models import (
    Approval,
    ApprovalRule,
    CompetingOffer,
    EquityGrant,
    ExchangeRate,
    Offer,
    OfferPayment,
    OtherAmount,
    VestingYear,
)
from .models.offer import Package
from .selectors import OfferValuation, RateMissing, rate_on, value_offer


class OfferError(ValidationError):
    """A step on an offer that the rules refuse; the message says which rule."""


class RateFileError(ValidationError):
    """A rates file with bad rows; nothing of it was saved."""


# --- The terms of an offer -----------------------------------------------------------------


@dataclass(frozen=True)
class EquityTerms:
    value: Decimal
    percentages: Sequence[Decimal]
    cliff_months: int = 12
    frequency: str = engine.Frequency.QUARTERLY.value
    kind: str = EquityGrant.Kind.RSU


@dataclass(frozen=True, kw_only=True)
class PackageTerms:
    """The components of a package, as typed: what an offer and a competing offer share."""

    currency: str
    base_salary: Decimal = Decimal(0)
    target_bonus_percent: Decimal = Decimal(0)
    relocation: Decimal = Decimal(0)
    signing_payments: Sequence[tuple[int, Decimal]] = ()
    signing_clawback_months: int = 0
    retention_payments: Sequence[tuple[int, Decimal]] = ()
    retention_clawback_months: int = 0
    equity: Sequence[EquityTerms] = ()
    other: Sequence[tuple[str, Decimal, int]] = field(default_factory=tuple)

    def to_package(self) -> engine.Package:
        def bonus(payments, clawback):  # type: ignore[no-untyped-def]
            rows = tuple(engine.Payment(month, amount) for month, amount in payments)
            return engine.Bonus(rows, clawback) if rows else None

        return engine.Package(
            currency=self.currency,
            base_salary=self.base_salary,
            target_bonus_percent=self.target_bonus_percent,
            signing_bonus=bonus(self.signing_payments, self.signing_clawback_months),
            retention_bonus=bonus(self.retention_payments, self.retention_clawback_months),
            equity=tuple(
                engine.EquityGrant(
                    e.value,
                    engine.VestingSchedule(
                        tuple(e.percentages), e.cliff_months, engine.Frequency(e.frequency)
                    ),
                    e.kind,
                )
                for e in self.equity
            ),
            relocation=self.relocation,
            other=tuple(engine.OtherAmount(n, a, y) for n, a, y in self.other),
        )

    @staticmethod
    def components_of(package: Package) -> dict[str, object]:
        """The PackageTerms fields of a saved offer or competing offer."""
        payments = list(package.payments.all())
        return dict(
            currency=package.currency_id,
            base_salary=package.base_salary,
            target_bonus_percent=package.target_bonus_percent,
            relocation=package.relocation,
            signing_payments=[(p.month, p.amount) for p in payments if p.kind == "signing"],
            signing_clawback_months=package.signing_clawback_months,
            retention_payments=[(p.month, p.amount) for p in payments if p.kind == "retention"],
            retention_clawback_months=package.retention_clawback_months,
            equity=[
                EquityTerms(
                    g.value,
                    [y.percentage for y in g.vesting_years.all()],
                    g.cliff_months,
                    g.frequency,
                    g.kind,
                )
                for g in package.equity_grants.all()
            ],
            other=[(o.name, o.amount, o.year) for o in package.other_amounts.all()],
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
    try:
        engine.compute(terms.to_package())
    except engine.CompensationError as error:
        raise OfferError({error.field: error.message}) from None
    _check_storable(terms)
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


def _check_storable(terms: PackageTerms) -> None:
    """What the engine can value but the columns cannot hold as typed: percentages keep 2
    decimals, names 100 characters. Refused rather than silently rounded or cut."""
    limit = OtherAmount._meta.get_field("name").max_length
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


def _write_terms(offer: Offer, terms: OfferTerms, *, by: AbstractBaseUser | None) -> None:
    offer.start_date = terms.start_date
    offer.expires_at = terms.expires_at
    write_package(offer, terms, by=by)


def _rows_of(terms: PackageTerms) -> tuple:  # type: ignore[type-arg]
    """The component rows the terms make, comparable across lists and tuples."""
    return (
        tuple(terms.signing_payments),
        tuple(terms.retention_payments),
        tuple(
            (e.value, tuple(e.percentages), e.cliff_months, str(e.frequency), str(e.kind))
            for e in terms.equity
        ),
        tuple(tuple(o) for o in terms.other),
    )


def write_package(
    parent: Offer | CompetingOffer, terms: PackageTerms, *, by: AbstractBaseUser | None
) -> None:
    """Saves the package's own fields on `parent` (an offer or a competing offer) and replaces
    its component rows with those of `terms`."""
    parent.currency_id = terms.currency
    parent.base_salary = terms.base_salary
    parent.target_bonus_percent = terms.target_bonus_percent
    parent.relocation = terms.relocation
    parent.signing_clawback_months = terms.signing_clawback_months
    parent.retention_clawback_months = terms.retention_clawback_months
    parent._history_user = by
    existed = parent.pk is not None
    parent.save()
    if existed and _rows_of(PackageTerms(**PackageTerms.components_of(parent))) == _rows_of(terms):
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
        grant = EquityGrant(
            **owner,
            kind=equity.kind,
            value=equity.value,
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


def _refuse(offer: Offer, step: str) -> OfferError:
    return OfferError(f"An offer that is {offer.get_status_display().lower()} cannot be {step}.")


def _withdraw_waiting_approvals(offer: Offer) -> None:
    """An offer that leaves approval (rescinded, expired, superseded) leaves nothing waiting."""
    offer.approvals.filter(status=Approval.Status.PENDING).delete()


def _lock(offer: Offer) -> Offer:
    return Offer.objects.select_for_update().select_related("application__role").get(pk=offer.pk)


# --- Drafting ------------------------------------------------------------------------------


def check_draft_offer(application: Application, terms: OfferTerms, *, kind: str) -> None:
    """The rules for a new offer, each refusal naming the field to fix."""
    if application.is_closed:
        raise OfferError(
            {
                "application": f"The application is {application.get_status_display().lower()}; "
                "only an open application gets an offer."
            }
        )
    is_employee = application.candidate.relationship == Candidate.Relationship.EMPLOYEE
    if kind == Offer.Kind.RETENTION and not is_employee:
        raise OfferError({"kind": "A retention offer is for one of our employees."})
    if application.offers.filter(status__in=Offer.OPEN_STATUSES).exists():
        raise OfferError(
            {"application": "This application already has an open offer; revise it instead."}
        )
    check_terms(terms, new=True)


@transaction.atomic
def draft_offer(
    application: Application,
    terms: OfferTerms,
    *,
    by: AbstractBaseUser,
    kind: str = Offer.Kind.NEW_HIRE,
) -> Offer:
    check_draft_offer(application, terms, kind=kind)
    offer = Offer(application=application, kind=kind, drafted_by=by, drafted_at=timezone.now())
    offer.version = (
        application.offers.order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    try:
        with transaction.atomic():
            _write_terms(offer, terms, by=by)
    except IntegrityError:
        raise OfferError(
            {"application": "This application already has an open offer; revise it instead."}
        ) from None
    _competition_changed(offer)
    return offer


def _competition_changed(offer: Offer) -> None:
    """Our offer changed: the competing offers it answers stand anew."""
    from .competition import refresh_for_application  # competition builds on these services

    refresh_for_application(offer.application)


@transaction.atomic
def update_draft(offer: Offer, terms: OfferTerms, *, by: AbstractBaseUser) -> Offer:
    """Changes a draft in place (history keeps every change); a submitted offer is revised."""
    offer = _lock(offer)
    if offer.status != Offer.Status.DRAFT:
        raise OfferError(
            f"An offer that is {offer.get_status_display().lower()} is not edited; revise it "
            "to make a new version."
        )
    check_terms(terms, new=offer.revises_id is None)
    _write_terms(offer, terms, by=by)
    _competition_changed(offer)
    return offer


@transaction.atomic
def revise_offer(offer: Offer, *, by: AbstractBaseUser, terms: OfferTerms | None = None) -> Offer:
    """A new draft version; the one it revises becomes superseded and stays as it was."""
    offer = _lock(offer)
    if offer.status == Offer.Status.DRAFT:
        raise OfferError("A draft is edited as it is; revise an offer once it was submitted.")
    if not can_proceed(offer.supersede):
        raise _refuse(offer, "revised")
    terms = terms or OfferTerms.of(offer)
    check_terms(terms, new=False)
    offer.supersede()
    offer._history_user = by
    offer.save(update_fields=["status"])
    _withdraw_waiting_approvals(offer)
    new = Offer(
        application=offer.application,
        kind=offer.kind,
        version=offer.version + 1,
        revises=offer,
        drafted_by=by,
        drafted_at=timezone.now(),
    )
    _write_terms(new, terms, by=by)
    _competition_changed(new)
    return new


# --- Approvals -----------------------------------------------------------------------------


def required_approvals(offer: Offer) -> list[tuple[ApprovalRule, str]]:
    """The active rules this offer meets, each with the reason in words."""
    return approvals_for(value_offer(offer), kind=offer.kind, currency=offer.currency_id)


def approvals_for(
    valuation: OfferValuation, *, kind: str, currency: str
) -> list[tuple[ApprovalRule, str]]:
    """The active rules a package so valued meets (saved or not), each with the reason."""
    reporting = valuation.reporting
    needed = []
    for rule in ApprovalRule.objects.filter(active=True).select_related("group", "currency"):
        condition = ApprovalRule.Condition
        if rule.condition == condition.TOTAL_ABOVE_BAND_MAX:
            position = valuation.band_position
            if position is not None and position.where == "above":
                needed.append(
                    (
                        rule,
                        f"total compensation above the band's max "
                        f"({position.ratio_to_target:.2f}× target)",
                    )
                )
        elif rule.condition == condition.SIGNING_AT_OR_ABOVE:
            signing = reporting.component_total(engine.Component.SIGNING_BONUS)
            if signing >= rule.amount:
                needed.append(
                    (
                        rule,
                        f"signing bonus {signing:,.2f} {reporting.currency} ≥ {rule.amount:,.2f}",
                    )
                )
        elif rule.condition == condition.EQUITY_AT_OR_ABOVE:
            equity = reporting.component_total(engine.Component.EQUITY)
            if equity >= rule.amount:
                needed.append(
                    (rule, f"equity {equity:,.2f} {reporting.currency} ≥ {rule.amount:,.2f}")
                )
        elif rule.condition == condition.RETENTION_OFFER:
            if kind == Offer.Kind.RETENTION:
                needed.append((rule, "a retention offer"))
        elif rule.condition == condition.CURRENCY_IS:
            if currency == rule.currency_id:
                needed.append((rule, f"an offer in {rule.currency_id}"))
    return needed


@transaction.atomic
def submit_for_approval(offer: Offer, *, by: AbstractBaseUser) -> Offer:
    """Works out the approvals the offer needs; with none, it is approved at once."""
    offer = _lock(offer)
    if not can_proceed(offer.submit):
        raise _refuse(offer, "submitted")
    check_terms(OfferTerms.of(offer), new=offer.revises_id is None)
    try:
        needed = required_approvals(offer)
    except RateMissing as missing:  # e.g. no rate to the currency of the role's band
        raise OfferError({"currency": missing.messages}) from None
    now = timezone.now()
    offer.submitted_by, offer.submitted_at = by, now
    by_group: dict[int, list[str]] = {}
    rules = {}
    for rule, reason in needed:
        by_group.setdefault(rule.group_id, []).append(reason)
        rules.setdefault(rule.group_id, rule)
    if not by_group:
        offer.approve()
        offer.approved_at = now
    else:
        offer.submit()
        Approval.objects.bulk_create(
            Approval(offer=offer, rule=rules[group], group_id=group, reason="; ".join(reasons))
            for group, reasons in by_group.items()
        )
    offer._history_user = by
    offer.save(update_fields=["status", "submitted_by", "submitted_at", "approved_at"])
    return offer


def _my_pending_approvals(offer: Offer, user: AbstractBaseUser) -> list[Approval]:
    if user.pk == offer.drafted_by_id:
        raise OfferError("Whoever drafted an offer cannot approve or reject it.")
    pending = list(
        offer.approvals.filter(
            status=Approval.Status.PENDING, group__in=user.groups.all()
        ).select_related("group")
    )
    if not pending:
        raise OfferError("Only a member of a group whose approval is waiting can decide.")
    return pending


@transaction.atomic
def approve_offer(offer: Offer, *, by: AbstractBaseUser, comment: str = "") -> Offer:
    offer = _lock(offer)
    if offer.status != Offer.Status.PENDING_APPROVAL:
        raise _refuse(offer, "approved")
    now = timezone.now()
    for approval in _my_pending_approvals(offer, by):
        approval.status, approval.decided_by, approval.decided_at = "approved", by, now
        approval.comment = comment
        approval.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    fields = ["last_comment"]
    offer.last_comment = comment
    if not offer.approvals.filter(status=Approval.Status.PENDING).exists():
        offer.approve()
        offer.approved_at = now
        fields += ["status", "approved_at"]
    offer._history_user = by
    offer.save(update_fields=fields)
    return offer


@transaction.atomic
def reject_offer(offer: Offer, *, by: AbstractBaseUser, comment: str) -> Offer:
    """Sends the offer back to draft with the approver's comment."""
    offer = _lock(offer)
    if offer.status != Offer.Status.PENDING_APPROVAL:
        raise _refuse(offer, "rejected")
    if not comment.strip():
        raise OfferError({"comment": "Say why the offer is rejected; the recruiter reads it."})
    now = timezone.now()
    rejected = _my_pending_approvals(offer, by)
    for approval in rejected:
        approval.status, approval.decided_by, approval.decided_at = "rejected", by, now
        approval.comment = comment
        approval.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    # The other sign-offs of this round are moot; a new submission asks again.
    offer.approvals.filter(status=Approval.Status.PENDING).delete()
    offer.reject()
    offer.last_comment = comment
    offer._history_user = by
    offer.save(update_fields=["status", "last_comment"])
    _tell_drafter_of_rejection(offer, rejected[0], by=by)
    return offer


def _tell_drafter_of_rejection(offer: Offer, approval: Approval, *, by: AbstractBaseUser) -> None:
    """The offer went back to draft: whoever drafted it hears why at once, or it would wait
    unseen among the drafts."""
    from .reminders import OFFER_REJECTED  # the kinds live with the offers' other alerts

    drafter = offer.drafted_by
    if not drafter.is_active:
        return
    candidate, role = offer.application.candidate, offer.application.role
    raise_alert(
        kind=OFFER_REJECTED.name,
        recipient=drafter,
        key=f"offer-rejected:{offer.pk}:{approval.pk}",
        subject=f"{by.get_full_name() or by} rejected offer v{offer.version} to {candidate.name} "
        f"({role.title}, {role.city})",
        about=offer,
        context={
            "message": f"{approval.group.name} rejected it: “{offer.last_comment}” The offer "
            "is back in draft: change it and submit it again."
        },
        link=offer.get_absolute_url(),
    )


# --- After approval ------------------------------------------------------------------------


@transaction.atomic
def send_offer(offer: Offer, *, by: AbstractBaseUser) -> Offer:
    """Sends an approved offer and fixes the exchange rate it is valued at from now on."""
    offer = _lock(offer)
    if not can_proceed(offer.send):
        raise _refuse(offer, "sent")
    if offer.is_expired:
        raise OfferError(
            {"expires_at": "The expiry has passed; revise the offer with a later one."}
        )
    today = timezone.localdate()
    try:
        rate, _ = rate_on(offer.currency_id, settings.REPORTING_CURRENCY, today)
    except RateMissing as missing:
        raise OfferError({"currency": missing.messages}) from None
    offer.send()
    offer.sent_by, offer.sent_at = by, timezone.now()
    offer.sent_rate, offer.sent_rate_currency_id, offer.sent_rate_date = (
        rate,
        settings.REPORTING_CURRENCY,
        today,
    )
    offer._history_user = by
    offer.save(
        update_fields=[
            "status",
            "sent_by",
            "sent_at",
            "sent_rate",
            "sent_rate_currency",
            "sent_rate_date",
        ]
    )
    _competition_changed(offer)  # the candidate now holds this version
    return offer


def _close(offer: Offer, step, by: AbstractBaseUser | None) -> None:  # type: ignore[no-untyped-def]
    step()
    offer.closed_by, offer.closed_at = by, timezone.now()
    offer._history_user = by
    offer.save(update_fields=["status", "closed_by", "closed_at"])
    _competition_changed(offer)


@transaction.atomic
def accept_offer(offer: Offer, *, by: AbstractBaseUser) -> Offer:
    """Records the candidate's acceptance; a new hire's application is marked hired."""
    offer = _lock(offer)
    if not can_proceed(offer.accept):
        raise _refuse(offer, "accepted")
    if offer.is_expired:
        raise OfferError(f"The offer expired on {offer.expires_at:%d %b %Y %H:%M}; revise it.")
    _close(offer, offer.accept, by)
    if offer.kind == Offer.Kind.NEW_HIRE and not offer.application.is_closed:
        try:
            mark_hired(offer.application, by=by)
        except PipelineError as error:
            raise OfferError(error.messages) from None
    return offer


@transaction.atomic
def decline_offer(offer: Offer, *, by: AbstractBaseUser) -> Offer:
    offer = _lock(offer)
    if not can_proceed(offer.decline):
        raise _refuse(offer, "declined")
    _close(offer, offer.decline, by)
    return offer


@transaction.atomic
def rescind_offer(offer: Offer, *, by: AbstractBaseUser) -> Offer:
    offer = _lock(offer)
    if not can_proceed(offer.rescind):
        raise _refuse(offer, "rescinded")
    _close(offer, offer.rescind, by)
    _withdraw_waiting_approvals(offer)
    return offer


@transaction.atomic
def expire_offer(offer: Offer, *, by: AbstractBaseUser | None = None) -> Offer:
    offer = _lock(offer)
    if not can_proceed(offer.expire):
        raise _refuse(offer, "expired")
    if not offer.is_expired:
        raise OfferError(f"The offer runs until {offer.expires_at:%d %b %Y %H:%M}.")
    _close(offer, offer.expire, by)
    _withdraw_waiting_approvals(offer)
    return offer


# --- Exchange rates ------------------------------------------------------------------------


@transaction.atomic
def load_rates(text: str) -> int:
    """Loads `base,quote,rate,as_of` rows (a header first). A row for a pair and date already
    known replaces its rate, so loading a file twice changes nothing. All rows or none."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"base", "quote", "rate", "as_of"} - set(reader.fieldnames or ())
    if missing:
        raise RateFileError(
            f"The file needs the columns base, quote, rate, as_of; "
            f"missing: {', '.join(sorted(missing))}."
        )
    known = set(Currency.objects.values_list("code", flat=True))
    problems, rows = [], []
    for number, row in enumerate(reader, start=2):  # line 1 is the header
        base = (row["base"] or "").strip().upper()
        quote = (row["quote"] or "").strip().upper()
        try:
            rate = Decimal((row["rate"] or "").strip())
            as_of = date.fromisoformat((row["as_of"] or "").strip())
        except (InvalidOperation, ValueError):
            problems.append(f"line {number}: rate must be a number and as_of a date (YYYY-MM-DD).")
            continue
        for code in (base, quote):
            if code not in known:
                problems.append(f"line {number}: unknown currency “{code}”.")
        if base == quote:
            problems.append(f"line {number}: a rate is between two different currencies.")
        if not rate.is_finite() or rate <= 0:
            problems.append(f"line {number}: rate must be a positive number.")
        elif rate.as_tuple().exponent < -10:
            problems.append(f"line {number}: a rate has at most 10 decimal places.")
        rows.append((base, quote, rate, as_of))
    if problems:
        raise RateFileError(problems)
    for base, quote, rate, as_of in rows:
        ExchangeRate.objects.update_or_create(
            base_id=base, quote_id=quote, as_of=as_of, defaults={"rate": rate}
        )
    return len(rows)
