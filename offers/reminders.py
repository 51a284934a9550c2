"""The offers' reminder rules: offers about to expire, approvals left waiting.

OffersConfig.ready() registers them with the alerts app. Each rule reads the database as of
`now` with a fixed number of set-based queries, whatever the number of offers, and leaves out
in SQL what it has raised before (recruiting.alerts.keys), so a rerun reads nothing and raises
nothing. Only active users are alerted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, F, OuterRef, Q

from recruiting.alerts import registry
from recruiting.alerts.keys import Stamp, unraised
from recruiting.alerts.models import Alert
from recruiting.alerts.services import raise_alert

from .models import Approval, Offer, OfferLink

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Keyed(TypedDict):
    """What recruiting.alerts.keys.unraised annotates each row with."""

    alert_key: str


# Neither is urgent: an expiry ladder starts three days out and its last step leaves a working
# day, and an approval has waited a day already; holding either until the end of someone's
# quiet hours costs nothing, while waking them would teach them to mute Closer.
OFFER_EXPIRING = registry.AlertKind("offer_expiring", "Offer expiring")
APPROVAL_WAITING = registry.AlertKind("approval_waiting", "Approval waiting")
# Raised by offers.services.reject_offer, not by a rule: the drafter hears why at once.
OFFER_REJECTED = registry.AlertKind("offer_rejected", "Offer rejected by an approver")
# A step of an offer's approval chain opened: its approvers hear at once.
APPROVAL_ASKED = registry.AlertKind("approval_asked", "Approval asked of you")
# Raised by offers.services.expire_due_offers when a deadline passes unanswered.
OFFER_EXPIRED = registry.AlertKind("offer_expired", "Offer expired")
# The candidate opened their offer and has not answered, with the deadline near.
OFFER_UNANSWERED = registry.AlertKind(
    "offer_opened_unanswered", "Offer opened but not answered, deadline near"
)

# The statuses in which an offer can still lapse unanswered; a draft has not left the house.
EXPIRING_STATUSES = (Offer.Status.PENDING_APPROVAL, Offer.Status.APPROVED, Offer.Status.SENT)

# Who an audience of OFFER_EXPIRY_LADDER is: the path from an offer to that user.
AUDIENCES = {
    "recruiter": "drafted_by",
    "hiring_manager": "application__role__hiring_manager",
}

APPROVERS_AFTER = timedelta(hours=24)
RECRUITER_AFTER = timedelta(hours=48)


def _where(offer: Offer) -> str:
    role = offer.application.role
    return f"{role.title}, {role.city}"


def expiry_ladder() -> list[tuple[int, list[str]]]:
    """settings.OFFER_EXPIRY_LADDER, furthest step first, checked."""
    ladder = sorted(settings.OFFER_EXPIRY_LADDER, key=lambda step: step[0], reverse=True)
    for hours, audiences in ladder:
        unknown = set(audiences) - set(AUDIENCES)
        if hours <= 0 or unknown:
            raise ImproperlyConfigured(
                f"OFFER_EXPIRY_LADDER: ({hours}, {audiences}) needs hours above 0 and "
                f"audiences among {sorted(AUDIENCES)}."
            )
    return ladder


# --- Offer expiring --------------------------------------------------------------------------


def offers_expiring(now: datetime) -> list[Alert]:
    """Open offers (pending approval, approved or sent) whose expiry is near, step by step of
    the ladder: 72 hours before to the recruiter, 24 hours before to the recruiter and the
    hiring manager. An offer is in the step of the nearest threshold it has crossed, so one
    first seen 20 hours before expiry gets the 24-hour alerts only. Once per step, offer,
    expiry and person (a moved expiry alerts again; someone both recruiter and hiring
    manager is told once). One query per step and audience.
    """
    ladder = expiry_ladder()
    raised = []
    for index, (hours, audiences) in enumerate(ladder):
        inner = ladder[index + 1][0] if index + 1 < len(ladder) else 0
        step = Offer.objects.filter(
            status__in=EXPIRING_STATUSES,
            expires_at__gt=now + timedelta(hours=inner),
            expires_at__lte=now + timedelta(hours=hours),
        )
        for audience in audiences:
            path = AUDIENCES[audience]
            offers = unraised(
                step.filter(**{f"{path}__is_active": True}),
                f"offer-expiring-{hours}h:",
                F("pk"),
                ":",
                Stamp("expires_at"),
                ":",
                F(path),
            ).select_related("application__candidate", "application__role", path)
            for offer in offers:
                recipient = offer
                for step_name in path.split("__"):
                    recipient = getattr(recipient, step_name)
                raised.append(_raise_expiring(offer, recipient, hours, now))
    return [alert for alert in raised if alert is not None]


def _raise_expiring(
    offer: WithAnnotations[Offer, _Keyed], recipient: User, hours: int, now: datetime
) -> Alert | None:
    candidate = offer.application.candidate
    left = offer.expires_at - now
    left_text = (
        f"{int(left.total_seconds() // 3600)} hours"
        if left >= timedelta(hours=1)
        else "less than an hour"
    )
    state = {
        Offer.Status.PENDING_APPROVAL: "It is still waiting for approval.",
        Offer.Status.APPROVED: "It is approved but not sent yet.",
        Offer.Status.SENT: f"{candidate.name} has not answered yet.",
    }[offer.status]
    remedy = (
        "Extend its deadline from the offer's page, or let it lapse."
        if offer.status == Offer.Status.SENT
        else "Extend it by revising the offer, or let it lapse."
    )
    return raise_alert(
        kind=OFFER_EXPIRING.name,
        recipient=recipient,
        key=offer.alert_key,
        subject=f"Offer v{offer.version} to {candidate.name} expires within {hours} hours "
        f"({_where(offer)})",
        about=offer,
        context={
            "message": f"The offer expires on {offer.expires_at:%a %d %b %Y at %H:%M} UTC, in "
            f"{left_text}. {state} {remedy}"
        },
        link=offer.get_absolute_url(),
        now=now,
    )


# --- Opened, not answered --------------------------------------------------------------------


def offers_opened_unanswered(now: datetime) -> list[Alert]:
    """Sent offers the candidate has opened but not answered, with OFFER_UNANSWERED_HOURS or
    less left: the recruiter who sent it is told, once per offer and deadline (an extended
    deadline reminds again). One query."""
    hours = settings.OFFER_UNANSWERED_HOURS
    opened = OfferLink.objects.filter(offer=OuterRef("pk"), first_opened_at__isnull=False)
    offers = unraised(
        Offer.objects.filter(
            Exists(opened),
            status=Offer.Status.SENT,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(hours=hours),
            sent_by__is_active=True,
        ),
        "offer-unanswered:",
        F("pk"),
        ":",
        Stamp("expires_at"),
    ).select_related("application__candidate", "application__role", "sent_by")
    raised = []
    for offer in offers:
        candidate = offer.application.candidate
        left = max(0, int((offer.expires_at - now).total_seconds() // 3600))
        raised.append(
            raise_alert(
                kind=OFFER_UNANSWERED.name,
                recipient=offer.sent_by,
                key=offer.alert_key,
                subject=f"{candidate.name} opened offer v{offer.version} but has not answered, "
                f"{left} hours left ({_where(offer)})",
                about=offer,
                context={
                    "message": f"The offer expires on {offer.expires_at:%a %d %b %Y at %H:%M} "
                    "UTC. A call now may be what decides it; or extend its deadline from the "
                    "offer's page."
                },
                link=offer.get_absolute_url(),
                now=now,
            )
        )
    return [alert for alert in raised if alert is not None]


# --- Approval waiting ------------------------------------------------------------------------


def approvals_waiting(now: datetime) -> list[Alert]:
    """Approvals pending for more than 24 hours: every active member of the approving group
    is told (except whoever drafted the offer, who may not decide); after 48 hours the
    drafter is told too. Once per approval, step and person. Three queries.
    """
    waiting = Approval.objects.filter(
        status=Approval.Status.PENDING, offer__status=Offer.Status.PENDING_APPROVAL
    ).select_related("group", "offer__application__candidate", "offer__application__role")
    raised = []

    # One row per approval and member: the join through the group's users.
    pairs = list(
        unraised(
            waiting.filter(requested_at__lt=now - APPROVERS_AFTER, group__user__is_active=True)
            .annotate(member_id=F("group__user"))
            .filter(~Q(member_id=F("offer__drafted_by"))),
            "approval-waiting-24h:",
            F("pk"),
            ":",
            F("group__user"),
        )
    )
    members = get_user_model().objects.in_bulk({approval.member_id for approval in pairs})
    for approval in pairs:
        raised.append(_raise_waiting(approval, members[approval.member_id], now, drafter=False))

    late = unraised(
        waiting.filter(
            requested_at__lt=now - RECRUITER_AFTER, offer__drafted_by__is_active=True
        ).select_related("offer__drafted_by"),
        "approval-waiting-48h:",
        F("pk"),
        ":",
        F("offer__drafted_by"),
    )
    for approval in late:
        raised.append(_raise_waiting(approval, approval.offer.drafted_by, now, drafter=True))
    return [alert for alert in raised if alert is not None]


def _raise_waiting(
    approval: WithAnnotations[Approval, _Keyed], recipient: User, now: datetime, *, drafter: bool
) -> Alert | None:
    offer = approval.offer
    candidate = offer.application.candidate
    hours = int((now - approval.requested_at).total_seconds() // 3600)
    group = approval.group.name
    if drafter:
        subject = (
            f"Offer v{offer.version} to {candidate.name} has waited {hours} hours for "
            f"{group} ({_where(offer)})"
        )
        message = (
            f"The approval of {group} was asked on {approval.requested_at:%a %d %b at %H:%M} "
            f"UTC and is still waiting (needed for: {approval.reason}). Nudge them, or "
            "revise the offer so it needs no sign-off."
        )
    else:
        subject = (
            f"Your approval is waiting: offer v{offer.version} to {candidate.name} "
            f"({_where(offer)})"
        )
        message = (
            f"{group} was asked to approve this offer {hours} hours ago, on "
            f"{approval.requested_at:%a %d %b at %H:%M} UTC (needed for: {approval.reason}). "
            "Approve or reject it, so the recruiter can move."
        )
    return raise_alert(
        kind=APPROVAL_WAITING.name,
        recipient=recipient,
        key=approval.alert_key,
        subject=subject,
        about=offer,  # an approval is seen, and decided, on its offer
        context={"message": message},
        link=offer.get_absolute_url(),
        now=now,
    )


def register() -> None:
    for kind in (
        OFFER_EXPIRING,
        APPROVAL_WAITING,
        OFFER_REJECTED,
        APPROVAL_ASKED,
        OFFER_EXPIRED,
        OFFER_UNANSWERED,
    ):
        registry.register_kind(kind)
    registry.register_rule("offers.offer_expiring", offers_expiring)
    registry.register_rule("offers.offer_opened_unanswered", offers_opened_unanswered)
    registry.register_rule("offers.approval_waiting", approvals_waiting)
