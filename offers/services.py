"""Every state change of offers and of their reference data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django_fsm import can_proceed

from candidates.models import Candidate
from recruiting.alerts.services import raise_alert
from recruiting.lib.formats import exchange_rate, money_in_table
from recruiting.pipeline.models import Application, Stage
from recruiting.pipeline.services import (
    PipelineError,
    mark_hired,
    move_stage,
    reopen_application,
)

from . import compensation as engine
from .competition import refresh_for_application
from .figures import refresh_figures
from .links import candidate_address, issue_link, tell_deadline_extended
from .models import (
    Approval,
    ApprovalRule,
    Delegation,
    Offer,
)
from .reminders import APPROVAL_ASKED, OFFER_EXPIRED, OFFER_REJECTED
from .selectors import OfferValuation, RateMissing, rate_on, value_offer
from .terms import OfferError, OfferTerms, check_terms, write_package


def _write_terms(offer: Offer, terms: OfferTerms, *, by: User | None) -> None:
    offer.start_date = terms.start_date
    offer.expires_at = terms.expires_at
    write_package(offer, terms, by=by)


def _refuse(offer: Offer, step: str) -> OfferError:
    return OfferError(f"An offer that is {offer.get_status_display().lower()} cannot be {step}.")


UNDECIDED = (Approval.Status.PENDING, Approval.Status.QUEUED)


def _withdraw_waiting_approvals(offer: Offer) -> None:
    """An offer that leaves approval (rescinded, expired, superseded) leaves nothing waiting."""
    offer.approvals.filter(status__in=UNDECIDED).delete()


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


def revision_in_progress(offer: Offer) -> Offer | None:
    """The version of the offer's application being prepared (draft, in approval, approved),
    other than `offer` itself."""
    return (
        Offer.objects.filter(
            application_id=offer.application_id, status__in=Offer.IN_PROGRESS_STATUSES
        )
        .exclude(pk=offer.pk)
        .first()
    )


@transaction.atomic
def revise_offer(offer: Offer, *, by: User, terms: OfferTerms | None = None) -> Offer:
    """A new draft version. One still in approval becomes superseded at once; a sent one stands
    (the candidate may still accept it) until the new version is sent."""
    offer = _lock(offer)
    if offer.status == Offer.Status.DRAFT:
        raise OfferError("A draft is edited as it is; revise an offer once it was submitted.")
    if not can_proceed(offer.supersede):
        raise _refuse(offer, "revised")
    if offer.status == Offer.Status.SENT and (preparing := revision_in_progress(offer)):
        raise OfferError(
            f"Version {preparing.version} is already being prepared "
            f"({preparing.get_status_display().lower()}): change it instead."
        )
    terms = terms or OfferTerms.of(offer)
    check_terms(terms, new=False)
    if offer.status != Offer.Status.SENT:
        offer.supersede()
        offer._history_user = by
        offer.save(update_fields=["status"])
        _withdraw_waiting_approvals(offer)
    return _next_version(offer, terms, by=by)


def _next_version(offer: Offer, terms: OfferTerms, *, by: User) -> Offer:
    """The draft that follows `offer`, on `terms`."""
    new = Offer(
        application=offer.application,
        kind=offer.kind,
        version=offer.version + 1,
        revises=offer,
        drafted_by=by,
        drafted_at=timezone.now(),
        keep_open_on_decline=offer.keep_open_on_decline,
    )
    try:
        with transaction.atomic():
            _write_terms(new, terms, by=by)
    except IntegrityError:  # a revision drafted meanwhile, in another request
        raise OfferError(
            "Another version is already being prepared for this application: change it instead."
        ) from None
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
    rules = ApprovalRule.objects.filter(active=True).select_related("group", "currency")
    for rule in rules.order_by("step", "name"):
        condition = ApprovalRule.Condition
        if rule.condition == condition.ANY_OFFER:
            needed.append((rule, "every offer"))
        elif rule.condition == condition.TOTAL_AT_OR_ABOVE:
            total = valuation.four_year_total
            if total >= rule.amount:
                needed.append(
                    (
                        rule,
                        f"four-year total {money_in_table(total, reporting.currency)} ≥ "
                        f"{money_in_table(rule.amount, reporting.currency)}{converted}",
                    )
                )
        elif rule.condition == condition.TOTAL_ABOVE_BAND_MAX:
            position = valuation.band_position
            if position is not None and position.where == "above":
                needed.append(
                    (
                        rule,
                        f"total compensation above the band's max "
                        f"({position.ratio_to_target:.2f}× target, one-time pay over "
                        f"{settings.BAND_HORIZON_YEARS} years)",
                    )
                )
        elif rule.condition == condition.SIGNING_AT_OR_ABOVE:
            signing = reporting.component_total(engine.Component.SIGNING_BONUS)
            if signing >= rule.amount:
                needed.append(
                    (
                        rule,
                        f"signing bonus {money_in_table(signing, reporting.currency)} ≥ "
                        f"{money_in_table(rule.amount, reporting.currency)}{converted}",
                    )
                )
        elif rule.condition == condition.EQUITY_AT_OR_ABOVE:
            equity = reporting.component_total(engine.Component.EQUITY)
            if equity >= rule.amount:
                needed.append(
                    (
                        rule,
                        f"equity {money_in_table(equity, reporting.currency)} ≥ "
                        f"{money_in_table(rule.amount, reporting.currency)}{converted}",
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
    # One approval per step and group, its reasons together; the first step is asked now.
    reasons: dict[tuple[int, int], list[str]] = {}
    rules: dict[tuple[int, int], ApprovalRule] = {}
    for rule, reason in needed:
        reasons.setdefault((rule.step, rule.group_id), []).append(reason)
        rules.setdefault((rule.step, rule.group_id), rule)
    if not reasons:
        offer.approve()
        offer.approved_at = now
    else:
        offer.submit()
        first = min(step for step, _ in reasons)
        Approval.objects.bulk_create(
            Approval(
                offer=offer,
                rule=rules[key],
                group_id=key[1],
                step=key[0],
                reason="; ".join(why),
                status=Approval.Status.PENDING if key[0] == first else Approval.Status.QUEUED,
                requested_at=now,
            )
            for key, why in sorted(reasons.items())
        )
    offer._history_user = by
    offer.save(update_fields=["status", "submitted_by", "submitted_at", "approved_at"])
    if reasons:
        _ask_open_step(offer, now)
    return offer


def delegators_of(user: User, on: date | None = None) -> list[int]:
    """The ids of the people who delegated their approvals to `user` for `on` (today)."""
    on = on or timezone.localdate()
    return list(
        Delegation.objects.filter(
            delegate=user, starts_on__lte=on, ends_on__gte=on, ended_at__isnull=True
        ).values_list("delegator_id", flat=True)
    )


def _deciders(offer: Offer, group_id: int) -> list[User]:
    """Who may decide an approval of `group_id` today: its active members and the active
    people they delegated to, never whoever drafted the offer."""
    members = list(get_user_model().objects.filter(groups=group_id, is_active=True).order_by("pk"))
    today = timezone.localdate()
    delegates = get_user_model().objects.filter(
        is_active=True,
        delegations_received__delegator__in=members,
        delegations_received__starts_on__lte=today,
        delegations_received__ends_on__gte=today,
        delegations_received__ended_at__isnull=True,
    )
    people = {u.pk: u for u in [*members, *delegates]}
    return [u for pk, u in sorted(people.items()) if pk != offer.drafted_by_id]


def _ask_open_step(offer: Offer, now: datetime) -> None:
    """Alerts everyone who may decide an approval of the step just opened."""
    candidate, role = offer.application.candidate, offer.application.role
    opened = list(offer.approvals.filter(status=Approval.Status.PENDING).select_related("group"))
    steps = offer.approvals.aggregate(last=Max("step"))["last"] or 1
    for approval in opened:
        for person in _deciders(offer, approval.group_id):
            sees_amounts = person.has_perm("offers.view_compensation")
            raise_alert(
                kind=APPROVAL_ASKED.name,
                recipient=person,
                key=f"approval-asked:{approval.pk}:{person.pk}",
                subject=f"Your approval is asked: offer v{offer.version} to {candidate.name} "
                f"({role.title}, {role.city}), step {approval.step} of {steps}",
                about=offer,
                context={
                    "message": f"{approval.group.name} is asked to approve this offer, step "
                    f"{approval.step} of {steps} of its approval chain"
                    + (f" (needed for: {approval.reason})." if sees_amounts else ".")
                    + " Approve or reject it in your approvals inbox."
                },
                link=offer.get_absolute_url(),
                now=now,
            )


def _my_pending_approvals(offer: Offer, user: User) -> list[tuple[Approval, int | None]]:
    """The approvals of the open step `user` may decide, each with the id of the person
    whose delegation lets them (None for their own groups')."""
    if user.pk == offer.drafted_by_id:
        raise OfferError("Whoever drafted an offer cannot approve or reject it.")
    pending = list(offer.approvals.filter(status=Approval.Status.PENDING).select_related("group"))
    own = set(user.groups.values_list("pk", flat=True))
    mine: list[tuple[Approval, int | None]] = [(a, None) for a in pending if a.group_id in own]
    delegators = delegators_of(user)
    if delegators:
        groups_of: dict[int, int] = {}
        for delegator, group in (
            get_user_model()
            .groups.through.objects.filter(user_id__in=delegators)
            .values_list("user_id", "group_id")
        ):
            groups_of.setdefault(group, delegator)
        mine += [
            (a, groups_of[a.group_id])
            for a in pending
            if a.group_id not in own and a.group_id in groups_of
        ]
    if not mine:
        raise OfferError(
            "Only a member of a group whose approval is waiting at this step (or someone they "
            "delegated to) can decide."
        )
    return mine


@transaction.atomic
def approve_offer(offer: Offer, *, by: User, comment: str = "") -> Offer:
    offer = _lock(offer)
    if offer.status != Offer.Status.PENDING_APPROVAL:
        raise _refuse(offer, "approved")
    now = timezone.now()
    for approval, delegator in _my_pending_approvals(offer, by):
        approval.status, approval.decided_by, approval.decided_at = "approved", by, now
        approval.on_behalf_of_id = delegator
        approval.comment = comment
        approval.save(
            update_fields=["status", "decided_by", "decided_at", "comment", "on_behalf_of"]
        )
    fields = ["last_comment"]
    offer.last_comment = comment
    opened = False
    if not offer.approvals.filter(status=Approval.Status.PENDING).exists():
        following = offer.approvals.filter(status=Approval.Status.QUEUED)
        step = following.aggregate(next=Min("step"))["next"]
        if step is None:
            offer.approve()
            offer.approved_at = now
            fields += ["status", "approved_at"]
        else:
            following.filter(step=step).update(status=Approval.Status.PENDING, requested_at=now)
            opened = True
    offer._history_user = by
    offer.save(update_fields=fields)
    if opened:
        _ask_open_step(offer, now)
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
    rejected = []
    for approval, delegator in _my_pending_approvals(offer, by):
        approval.status, approval.decided_by, approval.decided_at = "rejected", by, now
        approval.on_behalf_of_id = delegator
        approval.comment = comment
        approval.save(
            update_fields=["status", "decided_by", "decided_at", "comment", "on_behalf_of"]
        )
        rejected.append(approval)
    # The other sign-offs of this round, and the later steps, are moot; a new submission asks
    # again.
    offer.approvals.filter(status__in=UNDECIDED).delete()
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
    """Sends an approved offer: a private link to it is emailed to the candidate from `by`
    (after commit, through the outbox), the
    application moves to the Offer stage, and the exchange rate it is valued at is fixed from
    now on. A rate older than RATE_STALE_AFTER_DAYS is refused unless the sender confirms it,
    which the offer records."""
    offer = _lock(offer)
    if not can_proceed(offer.send):
        raise _refuse(offer, "sent")
    if offer.is_expired:
        raise OfferError(
            {"expires_at": "The expiry has passed; revise the offer with a later one."}
        )
    if not candidate_address(offer):
        name = offer.application.candidate.name
        raise OfferError(
            {"candidate": f"{name} has no email address to send the offer to: add one first."}
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
    # The version the candidate held gives way to this one, now that it reaches them.
    for held in Offer.objects.select_for_update().filter(
        application_id=offer.application_id, status=Offer.Status.SENT
    ):
        held.supersede()
        held._history_user = by
        held.save(update_fields=["status"])
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
    refresh_figures(offer)  # at the rate it was sent at
    _competition_changed(offer)  # the candidate now holds this version
    issue_link(offer, by=by)
    _to_offer_stage(offer.application, by=by)
    return offer


def _to_offer_stage(application: Application, *, by: User) -> None:
    """An open application before the Offer stage moves to it; one at or past it stays."""
    offer_stage = application.role.stages.filter(kind=Stage.Kind.OFFER).first()
    if application.is_closed or offer_stage is None:
        return
    if application.stage.position >= offer_stage.position:
        return
    try:
        move_stage(application, offer_stage, by=by)
    except PipelineError as error:
        raise OfferError(error.messages) from None


def _close(offer: Offer, step: Callable[[], None], by: User | None) -> None:
    step()
    offer.closed_by, offer.closed_at = by, timezone.now()
    offer._history_user = by
    offer.save(update_fields=["status", "closed_by", "closed_at"])
    _competition_changed(offer)


@transaction.atomic
def accept_offer(offer: Offer, *, by: User | None) -> Offer:
    """Records the candidate's acceptance (`by` None: they signed it themselves); a new
    hire's application is marked hired."""
    offer = _lock(offer)
    if not can_proceed(offer.accept):
        raise _refuse(offer, "accepted")
    if offer.is_expired:
        raise OfferError(f"The offer expired on {offer.expires_at:%d %b %Y %H:%M}; revise it.")
    _close(offer, offer.accept, by)
    # A revision being prepared is moot once the candidate accepted what they held.
    for preparing in Offer.objects.select_for_update().filter(
        application_id=offer.application_id, status__in=Offer.IN_PROGRESS_STATUSES
    ):
        preparing.supersede()
        preparing._history_user = by
        preparing.save(update_fields=["status"])
        _withdraw_waiting_approvals(preparing)
    if offer.kind == Offer.Kind.NEW_HIRE and not offer.application.is_closed:
        try:
            mark_hired(offer.application, by=by)
        except PipelineError as error:
            raise OfferError(error.messages) from None
    return offer


@transaction.atomic
def decline_offer(offer: Offer, *, by: User | None) -> Offer:
    """Closes the offer as declined. The reason, and what it means for the application, are
    offers.answers.decline's: call that."""
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


# --- Deadlines, reopening, discarding -------------------------------------------------------


@transaction.atomic
def extend_deadline(offer: Offer, *, expires_at: datetime, by: User) -> Offer:
    """More time for a sent offer: the history records the change, the candidate is told by
    email, and their link shows the letter with the new date."""
    offer = _lock(offer)
    if offer.status != Offer.Status.SENT:
        raise OfferError(
            {
                "expires_at": f"Only a sent offer's deadline is extended; this one is "
                f"{offer.get_status_display().lower()}."
            }
        )
    if expires_at <= timezone.now():
        raise OfferError({"expires_at": "The new deadline must be in the future."})
    if expires_at <= offer.expires_at:
        raise OfferError(
            {
                "expires_at": f"The new deadline must be later than the current one, "
                f"{timezone.localtime(offer.expires_at):%-d %b %Y %H:%M}."
            }
        )
    offer.expires_at = expires_at
    offer._history_user = by
    offer.save(update_fields=["expires_at"])
    tell_deadline_extended(offer, by=by)
    return offer


@transaction.atomic
def reopen_offer(offer: Offer, *, by: User) -> Offer:
    """An expired or declined offer again, in one step: a new draft version on the same terms,
    open as long as the first one was (from sending to its deadline), to be approved and sent
    as any other. A decline that closed the application as lost opens it again."""
    offer = _lock(offer)
    if offer.status not in (Offer.Status.EXPIRED, Offer.Status.DECLINED):
        raise OfferError(
            f"Only an expired or declined offer is reopened; this one is "
            f"{offer.get_status_display().lower()}."
        )
    made = Offer.objects.filter(revises=offer).first()
    if made is not None:
        raise OfferError(f"Version {made.version} was made from this one already.")
    if (preparing := revision_in_progress(offer)) is not None:
        raise OfferError(
            f"Version {preparing.version} is already being prepared: change it instead."
        )
    application = offer.application
    if application.is_closed:
        if application.status != Application.Status.LOST:
            raise OfferError(f"The application is {application.get_status_display().lower()}.")
        try:
            reopen_application(application, by=by)
        except PipelineError as error:
            raise OfferError(error.messages) from None
    opened_for = offer.expires_at - (offer.sent_at or offer.drafted_at)
    expires_at = timezone.now() + max(opened_for, timedelta(days=1))
    terms = replace(OfferTerms.of(offer), expires_at=expires_at.replace(second=0, microsecond=0))
    check_terms(terms, new=False)
    return _next_version(offer, terms, by=by)


@transaction.atomic
def discard_draft(offer: Offer, *, by: User) -> None:
    """A draft nobody sent is deleted, with its components (its history keeps it)."""
    offer = _lock(offer)
    if offer.status != Offer.Status.DRAFT:
        raise OfferError(
            f"Only a draft is discarded; this offer is {offer.get_status_display().lower()}: "
            "rescind it instead."
        )
    application = offer.application
    offer._history_user = by
    offer.delete()
    refresh_for_application(application)


def expire_due_offers(now: datetime | None = None) -> list[Offer]:
    """Every offer whose deadline has passed while it was being approved, approved or with the
    candidate, expired (one transaction each, so one refusal stops none of the others).
    The scheduler runs it every minute; the team hears of it."""
    now = now or timezone.now()
    due = Offer.objects.filter(
        status__in=(Offer.Status.PENDING_APPROVAL, Offer.Status.APPROVED, Offer.Status.SENT),
        expires_at__lte=now,
    ).values_list("pk", flat=True)
    expired = []
    for pk in list(due):
        try:
            offer = expire_offer(Offer.objects.get(pk=pk))
        except OfferError:
            continue  # extended or answered meanwhile
        _tell_team_expired(offer)
        expired.append(offer)
    return expired


def _tell_team_expired(offer: Offer) -> None:
    candidate, role = offer.application.candidate, offer.application.role
    recipients = {
        u.pk: u
        for u in (offer.sent_by, offer.drafted_by, candidate.owner)
        if u is not None and u.is_active
    }
    for person in recipients.values():
        raise_alert(
            kind=OFFER_EXPIRED.name,
            recipient=person,
            key=f"offer-expired:{offer.pk}:{person.pk}",
            subject=f"Offer v{offer.version} to {candidate.name} expired "
            f"({role.title}, {role.city})",
            about=offer,
            context={
                "message": "Its deadline passed unanswered. Reopen it as a new version from "
                "the offer's page, or let it go."
            },
            link=offer.get_absolute_url(),
        )


# --- Delegating approvals -----------------------------------------------------------------


def check_delegation(delegator: User, to: User, starts_on: date, ends_on: date) -> None:
    """The rules for a delegation, each refusal naming the field to fix."""
    if to.pk == delegator.pk:
        raise OfferError({"delegate": "Delegate to someone else."})
    if not to.is_active:
        raise OfferError({"delegate": f"{to} cannot sign in: delegate to an active colleague."})
    if ends_on < starts_on:
        raise OfferError({"ends_on": "A delegation ends on or after the day it starts."})
    if ends_on < timezone.localdate():
        raise OfferError({"ends_on": "This period is over: choose an end today or later."})
    if (ends_on - starts_on).days > 366:
        raise OfferError({"ends_on": "A delegation lasts a year at most."})
    overlapping = Delegation.objects.filter(
        delegator=delegator,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
        ended_at__isnull=True,
    ).first()
    if overlapping is not None:
        raise OfferError(
            {
                "starts_on": f"{delegator} already delegates to {overlapping.delegate} from "
                f"{overlapping.starts_on:%-d %b %Y} to {overlapping.ends_on:%-d %b %Y}; end "
                "that one first."
            }
        )


@transaction.atomic
def delegate_approvals(
    delegator: User,
    *,
    to: User,
    starts_on: date,
    ends_on: date,
    reason: str = "",
    by: User,
) -> Delegation:
    """From `starts_on` to `ends_on`, `to` may decide the approvals waiting for any group of
    `delegator`'s, on their behalf. One delegation at a time per person."""
    # Lock the delegator's row: two delegations saved at once cannot both pass the check.
    get_user_model().objects.select_for_update().filter(pk=delegator.pk).first()
    check_delegation(delegator, to, starts_on, ends_on)
    return Delegation.objects.create(
        delegator=delegator,
        delegate=to,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        created_by=by,
    )


@transaction.atomic
def end_delegation(delegation: Delegation, *, by: User) -> Delegation:
    """Ends a delegation now (the delegator is back); it stays on record."""
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if by.pk not in (delegation.delegator_id, delegation.delegate_id) and not by.is_superuser:
        raise OfferError("Only the person who delegated, or their delegate, ends it.")
    if delegation.ended_at is None:
        delegation.ended_at = timezone.now()
        delegation.save(update_fields=["ended_at"])
    return delegation
