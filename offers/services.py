"""Every state change of offers and of their reference data."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from candidates.models import Candidate
from recruiting.alerts.services import raise_alert
from recruiting.lib.formats import exchange_rate
from recruiting.pipeline.models import Application
from recruiting.pipeline.services import PipelineError, mark_hired

from . import compensation as engine
from .competition import refresh_for_application
from .models import (
    Approval,
    ApprovalRule,
    Offer,
)
from .reminders import OFFER_REJECTED
from .selectors import OfferValuation, RateMissing, rate_on, value_offer
from .terms import OfferError, OfferTerms, check_terms, write_package


def _write_terms(offer: Offer, terms: OfferTerms, *, by: User | None) -> None:
    offer.start_date = terms.start_date
    offer.expires_at = terms.expires_at
    write_package(offer, terms, by=by)


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
    by: User,
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
    refresh_for_application(offer.application)


@transaction.atomic
def update_draft(offer: Offer, terms: OfferTerms, *, by: User) -> Offer:
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
def revise_offer(offer: Offer, *, by: User, terms: OfferTerms | None = None) -> Offer:
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
    # An amount converted to the reporting currency says at what rate, and of when.
    converted = ""
    if currency != reporting.currency:
        when = f", the rate of {valuation.rate_as_of:%-d %b %Y}" if valuation.rate_as_of else ""
        rate = f"{exchange_rate(valuation.rate)} {reporting.currency}"
        converted = f" (at {rate} per {currency}{when})"
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
                        f"signing bonus {signing:,.2f} {reporting.currency} ≥ {rule.amount:,.2f}"
                        f"{converted}",
                    )
                )
        elif rule.condition == condition.EQUITY_AT_OR_ABOVE:
            equity = reporting.component_total(engine.Component.EQUITY)
            if equity >= rule.amount:
                needed.append(
                    (
                        rule,
                        f"equity {equity:,.2f} {reporting.currency} ≥ {rule.amount:,.2f}"
                        f"{converted}",
                    )
                )
        elif rule.condition == condition.RETENTION_OFFER:
            if kind == Offer.Kind.RETENTION:
                needed.append((rule, "a retention offer"))
        elif rule.condition == condition.CURRENCY_IS:
            if currency == rule.currency_id:
                needed.append((rule, f"an offer in {rule.currency_id}"))
    return needed


@transaction.atomic
def submit_for_approval(offer: Offer, *, by: User) -> Offer:
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
    rules: dict[int, ApprovalRule] = {}
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


def _my_pending_approvals(offer: Offer, user: User) -> list[Approval]:
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
def approve_offer(offer: Offer, *, by: User, comment: str = "") -> Offer:
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
def reject_offer(offer: Offer, *, by: User, comment: str) -> Offer:
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


def _tell_drafter_of_rejection(offer: Offer, approval: Approval, *, by: User) -> None:
    """The offer went back to draft: whoever drafted it hears why at once, or it would wait
    unseen among the drafts."""
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
def send_offer(offer: Offer, *, by: User, confirm_stale_rate: bool = False) -> Offer:
    """Sends an approved offer and fixes the exchange rate it is valued at from now on. A rate
    older than RATE_STALE_AFTER_DAYS is refused unless the sender confirms it, which the offer
    records."""
    offer = _lock(offer)
    if not can_proceed(offer.send):
        raise _refuse(offer, "sent")
    if offer.is_expired:
        raise OfferError(
            {"expires_at": "The expiry has passed; revise the offer with a later one."}
        )
    today = timezone.localdate()
    try:
        rate, rate_as_of = rate_on(offer.currency_id, settings.REPORTING_CURRENCY, today)
    except RateMissing as missing:
        raise OfferError({"currency": missing.messages}) from None
    age = (today - rate_as_of).days if rate_as_of else 0
    stale = age > settings.RATE_STALE_AFTER_DAYS
    if stale and not confirm_stale_rate:
        raise OfferError(
            {
                "currency": f"The {offer.currency_id}→{settings.REPORTING_CURRENCY} rate is "
                f"of {rate_as_of:%-d %b %Y}, {age} days old: load a fresh rate (Offers → "
                "Exchange rates, or manage.py load_rates), or confirm sending at this one."
            }
        )
    offer.send()
    offer.sent_at_stale_rate = stale
    offer.sent_by, offer.sent_at = by, timezone.now()
    # The rate's own date (a rate of last month is not today's), or today in one currency.
    offer.sent_rate, offer.sent_rate_currency_id, offer.sent_rate_date = (
        rate,
        settings.REPORTING_CURRENCY,
        rate_as_of or today,
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
            "sent_at_stale_rate",
        ]
    )
    _competition_changed(offer)  # the candidate now holds this version
    return offer


def _close(offer: Offer, step: Callable[[], None], by: User | None) -> None:
    step()
    offer.closed_by, offer.closed_at = by, timezone.now()
    offer._history_user = by
    offer.save(update_fields=["status", "closed_by", "closed_at"])
    _competition_changed(offer)


@transaction.atomic
def accept_offer(offer: Offer, *, by: User) -> Offer:
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
def decline_offer(offer: Offer, *, by: User) -> Offer:
    offer = _lock(offer)
    if not can_proceed(offer.decline):
        raise _refuse(offer, "declined")
    _close(offer, offer.decline, by)
    return offer


@transaction.atomic
def rescind_offer(offer: Offer, *, by: User) -> Offer:
    offer = _lock(offer)
    if not can_proceed(offer.rescind):
        raise _refuse(offer, "rescinded")
    _close(offer, offer.rescind, by)
    _withdraw_waiting_approvals(offer)
    return offer


@transaction.atomic
def expire_offer(offer: Offer, *, by: User | None = None) -> Offer:
    offer = _lock(offer)
    if not can_proceed(offer.expire):
        raise _refuse(offer, "expired")
    if not offer.is_expired:
        raise OfferError(f"The offer runs until {offer.expires_at:%d %b %Y %H:%M}.")
    _close(offer, offer.expire, by)
    _withdraw_waiting_approvals(offer)
    return offer
