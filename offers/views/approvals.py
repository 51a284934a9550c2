"""The approvals inbox: the offers waiting for a sign-off from one of the user's groups, each
approved or rejected with a comment, and what the user decided lately."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.formats import exchange_rate, money_in_table
from recruiting.lib.forms import add_service_error, error_text
from recruiting.lib.types import AuthenticatedRequest

from .. import compensation as engine
from ..access import approving_groups, can_see_compensation, get_offer_or_404
from ..models import Approval, Delegation, Offer
from ..page_forms import DelegationForm
from ..selectors import Market, RateMissing, package_prefetches
from ..services import approve_offer, delegate_approvals, end_delegation, reject_offer
from ..terms import OfferError

RECENT = 10  # decisions of the user listed under the inbox


class DecisionForm(forms.Form):
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to reject: the recruiter reads it.",
    )

    def __init__(self, *args: Any, offer: Offer, **kwargs: Any) -> None:
        # A form per offer on one page: the prefix keeps their fields' ids apart.
        kwargs.setdefault("prefix", f"offer-{offer.pk}")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        # The template's form holds the approve and reject buttons, and the CSRF token.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field("comment"))


@dataclass
class Waiting:
    """One offer waiting for the user, with the approvals of theirs it waits for."""

    offer: Offer
    approvals: list[Approval]
    form: DecisionForm
    chain: list[Approval] | None = None  # every step of its approval chain
    on_behalf_of: str = ""  # whose delegation lets the user decide, when not their own group
    year_one: str = ""
    annual_average: str = ""
    four_year_total: str = ""
    converted: str = ""  # the rate and its date, for an offer in another currency
    band: str = ""
    problem: str = ""


def waiting_for(user: User) -> QuerySet[Approval]:
    """The approvals a user may decide: waiting at the open step of the chain, for one of
    their groups (or of someone who delegated to them), on an offer pending approval that
    someone else drafted (the service refuses the drafter)."""
    return (
        Approval.objects.filter(
            status=Approval.Status.PENDING,
            offer__status=Offer.Status.PENDING_APPROVAL,
            group__in=approving_groups(user),
        )
        .exclude(offer__drafted_by=user)
        .select_related(
            "group",
            "rule",
            "offer__application__candidate",
            "offer__application__role",
            "offer__drafted_by",
            "offer__submitted_by",
        )
        .order_by("requested_at", "id")
    )


def _value(row: Waiting, market: Market) -> None:
    try:
        valuation = market.value(row.offer)
    except RateMissing as missing:
        row.problem = error_text(missing)
        return
    except engine.CompensationError as error:
        row.problem = error.message
        return
    reporting = valuation.reporting
    # A list of figures: each to the cent.
    row.year_one = money_in_table(reporting.year_one, reporting.currency)
    row.annual_average = money_in_table(reporting.annual_average, reporting.currency)
    row.four_year_total = money_in_table(valuation.four_year_total, reporting.currency)
    if row.offer.currency_id != reporting.currency:
        when = f", the rate of {valuation.rate_as_of:%-d %b %Y}" if valuation.rate_as_of else ""
        rate = f"{exchange_rate(valuation.rate)} {reporting.currency}"
        row.converted = f"{rate} per {row.offer.currency_id}{when}"
    row.band = str(valuation.band_position) if valuation.band_position else "no band"


def _rows(request: AuthenticatedRequest, bound: dict[int, DecisionForm]) -> list[Waiting]:
    user = request.user
    approvals = waiting_for(user)
    amounts = can_see_compensation(user)
    if amounts:
        approvals = approvals.prefetch_related(*package_prefetches("offer__"))
    rows: dict[int, Waiting] = {}
    for approval in approvals:
        row = rows.get(approval.offer_id)
        if row is None:
            form = bound.get(approval.offer_id) or DecisionForm(offer=approval.offer)
            row = rows[approval.offer_id] = Waiting(approval.offer, [], form)
        row.approvals.append(approval)
    chains: dict[int, list[Approval]] = {}
    for approval in (
        Approval.objects.filter(offer__in=list(rows))
        .select_related("group", "decided_by", "on_behalf_of")
        .order_by("step", "group__name")
    ):
        chains.setdefault(approval.offer_id, []).append(approval)
    own = set(user.groups.values_list("pk", flat=True))
    delegated = _delegators_by_group(user)
    for row in rows.values():
        row.chain = chains.get(row.offer.pk, [])
        others = {delegated[a.group_id] for a in row.approvals if a.group_id not in own}
        row.on_behalf_of = ", ".join(sorted(others))
    if amounts:
        market = Market(timezone.localdate())  # the day's rates and bands, read once a page
        for row in rows.values():
            _value(row, market)
    return list(rows.values())


def _delegators_by_group(user: User) -> dict[int, str]:
    """For each group `user` decides for through a delegation, whose: "Carl Fox"."""
    today = timezone.localdate()
    names: dict[int, str] = {}
    for delegation in (
        Delegation.objects.filter(
            delegate=user, starts_on__lte=today, ends_on__gte=today, ended_at__isnull=True
        )
        .select_related("delegator")
        .prefetch_related("delegator__groups")
    ):
        person = delegation.delegator
        for group in person.groups.all():
            names.setdefault(group.pk, person.get_full_name() or person.get_username())
    return names


def _inbox(
    request: AuthenticatedRequest,
    bound: dict[int, DecisionForm] | None = None,
    delegation_form: DelegationForm | None = None,
) -> HttpResponse:
    user = request.user
    recent = (
        Approval.objects.filter(decided_by=user)
        .select_related(
            "group",
            "on_behalf_of",
            "offer__application__candidate",
            "offer__application__role",
        )
        .order_by("-decided_at", "-id")[:RECENT]
    )
    today = timezone.localdate()
    delegations = (
        Delegation.objects.filter(Q(delegator=user) | Q(delegate=user))
        .filter(ends_on__gte=today, ended_at__isnull=True)
        .select_related("delegator", "delegate")
        .order_by("starts_on", "id")
    )
    rows = _rows(request, bound or {})
    context = {
        "rows": rows,
        "recent": recent,
        "delegations": delegations,
        "delegation_form": delegation_form or DelegationForm(user=user),
        "amounts": can_see_compensation(user),
    }
    response = render(request, "offers/approvals.html", context)
    if rows:  # the offers waiting, with their amounts; many at once, so no one object
        waiting = ", ".join(str(row.offer.pk) for row in rows)
        record_pay_access(
            request, kind=PayAccess.Kind.APPROVALS, label=f"Offers waiting: {waiting}"
        )
    return response


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    return _inbox(request)


DECISIONS = {"approve": approve_offer, "reject": reject_offer}


def _decided_message(offer: Offer, decision: str) -> str:
    what = f"offer v{offer.version} to {offer.application.candidate.name}"
    if decision == "reject":
        return f"The {what} is rejected: it is back with the recruiter, with your comment."
    if offer.status == Offer.Status.APPROVED:
        return f"The {what} is approved."
    waiting = list(offer.approvals.filter(status=Approval.Status.PENDING).select_related("group"))
    if not waiting:
        return f"Your approval of the {what} is recorded."
    groups = ", ".join(sorted({a.group.name for a in waiting}))
    return (
        f"Your approval of the {what} is recorded; it now waits for step {waiting[0].step}: "
        f"{groups}."
    )


@login_required
@require_POST
def decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Approves or rejects an offer for every group of the user's that it waits for."""
    offer = get_offer_or_404(request.user, pk)
    form = DecisionForm(request.POST, offer=offer)
    decision = request.POST.get("decision", "")
    if decision not in DECISIONS:
        form.add_error(None, "Choose Approve or Reject.")
    elif form.is_valid():
        try:
            decided = DECISIONS[decision](
                offer, by=request.user, comment=form.cleaned_data["comment"]
            )
        except OfferError as refused:
            add_service_error(form, refused)
        else:
            messages.success(request, _decided_message(decided, decision))
            return redirect("offers:approvals")
    if not waiting_for(request.user).filter(offer=offer).exists():
        # Nothing of the user's waits on it (decided meanwhile, or never theirs): there is no
        # form on the page to show the refusal on.
        # An ErrorList gives its messages as text.
        text = " ".join(cast(str, e) for errors in form.errors.values() for e in errors)
        messages.error(request, text)
        return redirect("offers:approvals")
    return _inbox(request, bound={offer.pk: form})


@login_required
@require_POST
def delegate(request: AuthenticatedRequest) -> HttpResponse:
    """Lets a colleague decide the user's approvals for a period."""
    user = request.user
    form = DelegationForm(request.POST, user=user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = delegate_approvals(
                user,
                to=data["delegate"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
                by=user,
            )
        except OfferError as refused:
            add_service_error(form, refused)
        else:
            who = made.delegate.get_full_name() or made.delegate.get_username()
            messages.success(
                request,
                f"{who} approves for you from {made.starts_on:%-d %b %Y} to "
                f"{made.ends_on:%-d %b %Y}.",
            )
            return redirect("offers:approvals")
    return _inbox(request, delegation_form=form)


@login_required
@require_POST
def end_delegating(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    delegation = get_object_or_404(
        Delegation.objects.filter(Q(delegator=user) | Q(delegate=user)), pk=pk
    )
    try:
        end_delegation(delegation, by=user)
    except OfferError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, "The delegation is ended.")
    return redirect("offers:approvals")
