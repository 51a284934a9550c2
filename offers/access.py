"""Who may see which offers and amounts on Closer's pages.

An offer is seen by whoever sees its application (recruiters, the role's hiring manager) and
by the approvers it waits for or who decided on it. Amounts are shown only to those with the
view_compensation permission; anyone else sees the offer without a figure. An offer someone
may not see is a 404.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from recruiting.lib.access import can_see_compensation
from recruiting.pipeline.access import sees_every_application, visible_applications

from .models import Approval, CompetingOffer, Delegation, Offer


def approving_groups(user: User) -> QuerySet[Group]:
    """The groups whose approvals `user` may decide today: their own, and those of whoever
    delegated their approvals to them for today."""
    today = timezone.localdate()
    delegators = Delegation.objects.filter(
        delegate=user, starts_on__lte=today, ends_on__gte=today, ended_at__isnull=True
    ).values("delegator")
    return Group.objects.filter(Q(user=user) | Q(user__in=delegators)).distinct()


def visible_offers(user: User) -> QuerySet[Offer]:
    if not user.is_active:
        return Offer.objects.none()
    if sees_every_application(user):
        # Every offer is on an application: no filter (an IN over every application reads
        # them all, at 300,000 applications a third of the home page's time).
        return Offer.objects.all()
    asked = Approval.objects.filter(offer=OuterRef("pk")).filter(
        Q(group__in=approving_groups(user)) | Q(decided_by=user)
    )
    return Offer.objects.filter(
        Q(application__in=visible_applications(user).values("pk")) | Exists(asked)
    )


def get_offer_or_404(user: User, pk: int) -> Offer:
    return get_object_or_404(
        visible_offers(user).select_related(
            "application__candidate", "application__role", "currency", "drafted_by"
        ),
        pk=pk,
    )


def visible_competing_offers(user: User) -> QuerySet[CompetingOffer]:
    """Competing offers on applications the user sees, or on which an offer waits for (or
    was decided by) them: an approver weighs what we are up against. An employee's outside
    offer (on no application) only to those who see every application."""
    applications = visible_applications(user)
    if not user.is_active:
        return CompetingOffer.objects.none()
    if sees_every_application(user):
        return CompetingOffer.objects.all()
    asked = Approval.objects.filter(offer__application=OuterRef("application")).filter(
        Q(group__in=approving_groups(user)) | Q(decided_by=user)
    )
    mine = Q(application__in=applications.values("pk")) | Q(Exists(asked))
    if user.has_perm("pipeline.view_application"):
        mine |= Q(application__isnull=True)
    return CompetingOffer.objects.filter(mine)


def may_draft_offers(user: User) -> bool:
    return user.is_active and user.has_perm("offers.add_offer") and can_see_compensation(user)
