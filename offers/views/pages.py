"""The offer's page, the steps taken from it, two versions side by side, and the letter.

Each view authorizes through offers.access (an offer the user may not see is a 404), calls at
most one service, and renders or redirects. Amounts are shown only to users with
offers.view_compensation; the others see the status, dates, approvals and history without a
figure (an approval's reason and comment name amounts, so they are hidden too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST
from django_fsm import TransitionNotAllowed, can_proceed

from candidates.models import OFFERING_LABELS
from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.formats import exchange_rate, money_in_table, percent, signed_money
from recruiting.lib.types import AuthenticatedRequest
from recruiting.pipeline.access import sees_every_application
from recruiting.pipeline.models import Activity

from .. import compensation as engine
from ..access import (
    approving_groups,
    can_see_compensation,
    get_offer_or_404,
    visible_competing_offers,
    visible_offers,
)
from ..answers import AnswerRefused, DeclineAnswer, decline
from ..charts import Gauge, Series, band_gauge, cumulative_chart
from ..competition import standing
from ..deal import Deal, deal_of
from ..forms import ApproveOfferForm, RejectOfferForm
from ..letters import (
    grant_terms,
    letter_filename,
    payment_terms,
    render_offer_letter,
    years_table,
)
from ..links import resend_link, revoke_link
from ..models import (
    Approval,
    CompetingOffer,
    Offer,
    OfferDecline,
    OfferLink,
    OfferPayment,
    OfferSignature,
)
from ..page_forms import ExtendDeadlineForm, KeepOpenForm, RecordDeclineForm, to_minute
from ..presentation import (
    HIDDEN,
    component_history,
    equity_price_text,
    offer_access_label,
    rate_age,
)
from ..scenarios import ScenarioGap, scenario_comparison, scenario_table
from ..selectors import Market, OfferValuation, RateMissing, package_prefetches
from ..services import (
    accept_offer,
    approvals_for,
    approve_offer,
    discard_draft,
    extend_deadline,
    reject_offer,
    reopen_offer,
    rescind_offer,
    revise_offer,
    revision_in_progress,
    send_offer,
    submit_for_approval,
)
from ..terms import OfferError

REPORTING = settings.REPORTING_CURRENCY
# What a package is made of, read once per page for every offer or competing offer on it.
COMPONENTS = package_prefetches()


def load_components(*packages: Offer) -> None:
    prefetch_related_objects(list(packages), *COMPONENTS)


# --- Who may take which step -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    transition: str  # the Offer transition whose source statuses allow the step
    style: str
    never_from: tuple[str, ...] = ()  # statuses the FSM allows but the service refuses
    decides: bool = False  # an approver's step: a member of a waiting group, not the drafter
    confirm: str = ""
    # A step that is no transition of the offer's own: the statuses it is offered in.
    statuses: tuple[str, ...] = ()
    form: bool = False  # taken through a form of its own on the page, not a button

    def allowed_for(self, offer: Offer) -> bool:
        if self.statuses:
            return offer.status in self.statuses
        return offer.status not in self.never_from and can_proceed(getattr(offer, self.transition))


STEPS = {
    step.name: step
    for step in (
        Step("submit", "Submit for approval", "submit", "primary"),
        Step("approve", "Approve", "approve", "success", (Offer.Status.DRAFT,), decides=True),
        Step("reject", "Reject", "reject", "danger", decides=True),
        Step("send", "Send to the candidate", "send", "primary"),
        Step("accept", "Record acceptance", "accept", "success"),
        Step("decline", "Record decline", "decline", "outline-secondary", form=True),
        Step(
            "rescind",
            "Rescind",
            "rescind",
            "outline-danger",
            confirm="Rescind this offer? The candidate can no longer accept it.",
        ),
        # A draft is edited in place; only a submitted offer is revised into a new version.
        Step(
            "revise",
            "New version (same terms)",
            "supersede",
            "outline-primary",
            (Offer.Status.DRAFT,),
        ),
        Step(
            "reopen",
            "Reopen as a new version",
            "",
            "outline-primary",
            statuses=(Offer.Status.EXPIRED, Offer.Status.DECLINED),
        ),
        Step(
            "discard",
            "Discard the draft",
            "",
            "outline-danger",
            statuses=(Offer.Status.DRAFT,),
            confirm="Discard this draft? Its terms are deleted.",
        ),
        Step(
            "resend_link", "Resend the link", "", "outline-secondary", statuses=(Offer.Status.SENT,)
        ),
        Step(
            "revoke_link",
            "Revoke the link",
            "",
            "outline-danger",
            statuses=(Offer.Status.SENT,),
            confirm="Revoke the candidate's link? It stops working at once; resend for a new one.",
        ),
        Step(
            "extend",
            "Extend the deadline",
            "",
            "outline-primary",
            statuses=(Offer.Status.SENT,),
            form=True,
        ),
        Step(
            "keep_open",
            "Keep the application open if declined",
            "",
            "outline-secondary",
            statuses=Offer.OPEN_STATUSES,
            form=True,
        ),
    )
}
DECISION_FORMS = {"approve": ApproveOfferForm, "reject": RejectOfferForm}
STEP_FORMS: dict[str, type[forms.Form]] = {
    "decline": RecordDeclineForm,
    "extend": ExtendDeadlineForm,
    "keep_open": KeepOpenForm,
}


def may_take(
    user: User, offer: Offer, step: Step, *, waiting_groups: Callable[[], set[int]]
) -> bool:
    """Whether `user` may take `step` on `offer` (its status aside). `waiting_groups` gives
    the ids of the user's groups whose approval the offer waits for (read only if needed)."""
    if step.decides:
        return user.pk != offer.drafted_by_id and bool(waiting_groups())
    return user.has_perm("offers.change_offer")


def _record_decline(offer: Offer, user: User, data: dict[str, Any]) -> Offer:
    try:
        decline(offer, DeclineAnswer.of(data), by=user)
    except AnswerRefused as refused:
        raise OfferError(refused.messages) from None
    return Offer.objects.get(pk=offer.pk)


def _discard(offer: Offer, user: User) -> Offer:
    discard_draft(offer, by=user)
    return offer


def _link_step(step: Callable[..., object], offer: Offer, user: User) -> Offer:
    step(offer, by=user)
    return offer


def _keep_open(offer: Offer, user: User, keep: bool) -> Offer:
    offer.keep_open_on_decline = keep
    offer._history_user = user
    offer.save(update_fields=["keep_open_on_decline"])
    return offer


def _take(
    step: Step,
    offer: Offer,
    user: User,
    comment: str,
    *,
    confirm_stale_rate: bool = False,
    data: dict[str, Any] | None = None,
) -> Offer:
    data = data or {}
    services: dict[str, Callable[[], Offer]] = {
        "submit": lambda: submit_for_approval(offer, by=user),
        "approve": lambda: approve_offer(offer, by=user, comment=comment),
        "reject": lambda: reject_offer(offer, by=user, comment=comment),
        "send": lambda: send_offer(offer, by=user, confirm_stale_rate=confirm_stale_rate),
        "accept": lambda: accept_offer(offer, by=user),
        "decline": lambda: _record_decline(offer, user, data),
        "rescind": lambda: rescind_offer(offer, by=user),
        "revise": lambda: revise_offer(offer, by=user),
        "reopen": lambda: reopen_offer(offer, by=user),
        "discard": lambda: _discard(offer, user),
        "resend_link": lambda: _link_step(resend_link, offer, user),
        "revoke_link": lambda: _link_step(revoke_link, offer, user),
        "extend": lambda: extend_deadline(offer, expires_at=data["expires_at"], by=user),
        "keep_open": lambda: _keep_open(offer, user, bool(data.get("keep_open"))),
    }
    return services[step.name]()


def _done(step: Step, offer: Offer) -> str:
    if step.name == "submit":
        if offer.status == Offer.Status.APPROVED:
            return "Submitted. No approval rule applies, so the offer is approved: send it."
        groups = ", ".join(
            offer.approvals.filter(status=Approval.Status.PENDING)
            .order_by("group__name")
            .values_list("group__name", flat=True)
        )
        later = offer.approvals.filter(status=Approval.Status.QUEUED).count()
        then = f" Then {later} later step{'s' if later > 1 else ''}." if later else ""
        return f"Submitted for approval by: {groups}.{then}"
    if step.name == "approve":
        if offer.status == Offer.Status.APPROVED:
            return "Approved. The offer can now be sent."
        waiting = list(
            offer.approvals.filter(status=Approval.Status.PENDING).select_related("group")
        )
        groups = ", ".join(sorted({a.group.name for a in waiting}))
        step_number = waiting[0].step if waiting else ""
        return f"Your approval is recorded; the offer now waits for step {step_number}: {groups}."
    candidate = offer.application.candidate.name
    return {
        "reject": "Rejected. The offer is a draft again, with your comment.",
        "send": f"Sent: {candidate} gets a private link to it by email, from you. The "
        "application is at the Offer stage and the exchange rate is now fixed.",
        "accept": "Acceptance recorded.",
        "decline": "Decline recorded.",
        "rescind": "Offer rescinded.",
        "reopen": f"Version {offer.version} is a new draft on the same terms: submit it for "
        "approval, then send it.",
        "discard": "Draft discarded.",
        "resend_link": f"The link is on its way to {candidate} again.",
        "revoke_link": "The link no longer opens the offer. Resend to give a new one.",
        "extend": f"The deadline is now {timezone.localtime(offer.expires_at):%-d %b %Y %H:%M}; "
        f"{candidate} is told by email.",
        "keep_open": "A decline will leave the application open."
        if offer.keep_open_on_decline
        else "A decline will close the application as lost.",
        "revise": f"Version {offer.version} is a new draft with the same terms: edit it."
        + (
            f" Version {offer.revises.version} stays with the candidate until you send it."
            if offer.revises is not None and offer.revises.status == Offer.Status.SENT
            else ""
        ),
    }[step.name]


@login_required
@require_POST
def step(request: AuthenticatedRequest, pk: int, step: str) -> HttpResponse:
    chosen = STEPS.get(step)
    if chosen is None:
        raise Http404
    user = request.user
    offer = get_offer_or_404(user, pk)
    if not chosen.decides and not user.has_perm("offers.change_offer"):
        # Approvals are checked by the service, which names the rule (group, drafter).
        messages.error(request, f"You may not take the step “{chosen.label}” on offers.")
        return redirect("offers:detail", offer.pk)
    # Transitions are refused by their services, in their words; the other steps here.
    if chosen.statuses and not chosen.allowed_for(offer):
        messages.error(
            request,
            f"“{chosen.label}” is not a step of a {offer.get_status_display().lower()} offer.",
        )
        return redirect("offers:detail", offer.pk)
    form: forms.Form | None = None
    comment = ""
    data: dict[str, Any] = {}
    if chosen.decides or chosen.form:
        form_class = DECISION_FORMS.get(chosen.name) or STEP_FORMS[chosen.name]
        form = form_class(request.POST, prefix=chosen.name)
        if not form.is_valid():
            return _render_detail(request, offer, forms={chosen.name: form})
        data = form.cleaned_data
        comment = data.get("comment", "")
    try:
        result = _take(
            chosen,
            offer,
            user,
            comment,
            confirm_stale_rate=request.POST.get("confirm_stale_rate") == "yes",
            data=data,
        )
    except OfferError as error:
        errors = getattr(error, "error_dict", {})
        named = {field: msgs for field, msgs in errors.items() if form and field in form.fields}
        if form is not None and named:
            for field, field_errors in named.items():
                for message in field_errors:
                    form.add_error(field, message)
            return _render_detail(request, offer, forms={chosen.name: form})
        messages.error(request, " ".join(error.messages))
        return redirect("offers:detail", offer.pk)
    except TransitionNotAllowed:  # the status moved on between the check and the step
        messages.error(request, "The offer changed meanwhile; look again and retry.")
        return redirect("offers:detail", offer.pk)
    messages.success(request, _done(chosen, result))
    if chosen.name == "discard":
        return redirect("web:application", result.application_id)
    return redirect("offers:detail", result.pk)


# --- The offer's page --------------------------------------------------------------------------


@dataclass
class Valued:
    """The offer's valuation, or why there is none (no rate for its currency, say)."""

    valuation: OfferValuation | None
    problem: str = ""


def _value(offer: Offer, market: Market) -> Valued:
    try:
        return Valued(market.value(offer))
    except RateMissing as missing:
        return Valued(None, " ".join(missing.messages))
    except engine.CompensationError as error:
        return Valued(None, error.message)


@dataclass(frozen=True)
class BandRow:
    label: str
    low: str
    target: str
    high: str
    value: str
    where: str
    ratio: str
    gauge: Gauge | None


def _band(offer: Offer, valued: Valued, market: Market, amounts: bool) -> dict[str, object]:
    valuation = valued.valuation
    role = offer.application.role
    band_name = (
        f"{role.get_family_display()}, {role.get_level_display()}, {role.get_zone_display()}"
    )
    if valuation is None:
        return {"problem": valued.problem, "name": band_name}
    band = valuation.band
    if band is None:
        return {"missing": True, "name": band_name}
    to_band = market.rate(offer.currency_id, band.currency_id)
    in_band = cast(engine.BandBasis, valuation.basis_in_band)
    horizon = in_band.horizon_years
    rows = []
    for label, kind, value, position in (
        (
            f"Total a year, one-time pay over {horizon} years",
            "total",
            in_band.annual,
            valuation.band_position,
        ),
        ("Recurring pay a year", "total", in_band.recurring, valuation.recurring_position),
        (
            "Base salary",
            "base",
            engine.to_cents(offer.base_salary * to_band),
            valuation.base_position,
        ),
    ):
        low, target, high = (getattr(band, f"{kind}_{p}") for p in ("min", "target", "max"))
        rows.append(
            BandRow(
                label=label,
                low=money_in_table(low),
                target=money_in_table(target),
                high=money_in_table(high),
                value=money_in_table(value),
                where=position.where if position else "",
                ratio=f"{position.ratio_to_target:.2f}× target" if position else "",
                gauge=band_gauge(low, target, high, value) if amounts else None,
            )
        )
    basis_note = (
        f"Recurring pay is base, target bonus and each grant spread over its own vesting: "
        f"{money_in_table(in_band.recurring)} a year. One-time pay (signing and retention "
        f"bonuses, relocation, other amounts), {money_in_table(in_band.one_time)} in all, counts "
        f"as {money_in_table(in_band.one_time_annual)} a year over the {horizon}-year band "
        "horizon. Approval rules on the band use the total a year."
    )
    return {
        "band": band,
        "name": band_name,
        "currency": band.currency_id,
        "rows": rows,
        "basis": basis_note,
    }


@dataclass
class Rival:
    """A competing offer on the application, against this version of ours."""

    competing: CompetingOffer
    summary: str = ""
    ahead: bool | None = None
    fit_ours: int | None = None
    fit_theirs: int | None = None
    we_win_on: list[str] = field(default_factory=list)
    they_win_on: list[str] = field(default_factory=list)
    problem: str = ""
    package: engine.Package | None = None
    rate: Decimal | None = None
    # Ours and theirs under each share-price scenario, when either has priced equity.
    scenarios: list[ScenarioGap] | None = None
    conversions: tuple[str, ...] = ()
    deal: Deal | None = None  # years one to four side by side, with the clawback exposures
    # The version the kept standing is against (the one the candidate holds), when not this
    # one: the application page's "ahead" says this.
    held: Offer | None = None


def _rivals(offer: Offer, user: User, market: Market) -> list[Rival]:
    ours = offer.to_package()
    rows = list(
        visible_competing_offers(user)
        .filter(application_id=offer.application_id)
        .select_related("candidate", "competitor", "application__role", "currency", "compared_with")
        .prefetch_related(*COMPONENTS)
        .order_by("deadline", "pk")
    )
    rivals = []
    for competing in rows:
        rival = Rival(competing)
        if competing.compared_with_id not in (None, offer.pk):
            rival.held = competing.compared_with
        try:
            result = standing(competing, ours=offer, market=market)
            rival.package = competing.to_package()
            rival.rate = market.reporting_rate(competing)
        except RateMissing as missing:
            rival.problem = " ".join(missing.messages)
        except engine.CompensationError as error:
            rival.problem = error.message
        else:
            rival.summary = result.summary
            rival.ahead = result.ahead
            rival.conversions = result.conversions
            our_rate = market.reporting_rate(offer)
            rival.scenarios = scenario_comparison(ours, our_rate, rival.package, rival.rate)
            rival.deal = deal_of(
                result.money,
                (f"Our offer (v{offer.version})", ours, our_rate),
                (str(competing.competitor), rival.package, rival.rate),
            )
            if result.fit is not None:
                rival.fit_ours, rival.fit_theirs = result.fit.ours, result.fit.theirs
                rival.we_win_on = [OFFERING_LABELS[k] for k in result.fit.we_win_on]
                rival.they_win_on = [OFFERING_LABELS[k] for k in result.fit.they_win_on]
        rivals.append(rival)
    return rivals


def _chart(offer: Offer, valued: Valued, rivals: list[Rival]) -> dict[str, object] | None:
    """Cumulative pay in the reporting currency, ours and each competitor's, over the longest
    horizon of them all (a shorter package keeps paying base, as in every comparison)."""
    if valued.valuation is None:
        return None
    packages = [(f"Our offer (v{offer.version})", offer.to_package(), valued.valuation.rate, True)]
    # A rival's rate is set with its package (see _rivals).
    packages += [
        (str(r.competing.competitor), r.package, cast(Decimal, r.rate), False)
        for r in rivals
        if r.package is not None
    ]
    years = max(package.horizon_years for _, package, _, _ in packages)
    series = [
        Series(
            label,
            engine.convert(
                engine.compute(package, years=years), rate=rate, currency=REPORTING
            ).yearly_totals,
            ours,
        )
        for label, package, rate, ours in packages
    ]
    chart = cumulative_chart(series, currency=REPORTING)
    return {
        "chart": chart,
        "legend": [(line, money_in_table(line.end, REPORTING)) for line in chart.lines],
    }


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Event:
    at: datetime
    by: object
    what: str
    changes: tuple[Change, ...] = ()


USER_FIELDS = {"drafted_by", "submitted_by", "sent_by", "closed_by"}
# What a user without view_compensation never sees: amounts, the rate, an approver's comment.
SECRET_FIELDS = {"base_salary", "target_bonus_percent", "relocation", "sent_rate", "last_comment"}
SKIPPED_FIELDS = {"application"}  # never changes


def _shown(name: str, value: Any, users: dict[int, str], amounts: bool) -> str:
    if name in SECRET_FIELDS and not amounts:
        return HIDDEN
    if value is None or value == "":
        return "—"
    if name == "status":
        return Offer.Status(value).label
    if name == "kind":
        return Offer.Kind(value).label
    if name in USER_FIELDS:
        return users.get(value, f"user #{value}")
    if name == "revises":
        return f"offer #{value}"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%d %b %Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    if name == "target_bonus_percent":
        return percent(value)
    if isinstance(value, Decimal):
        return money_in_table(value) if name != "sent_rate" else f"{value.normalize():f}"
    return str(value)


def _history(offer: Offer, amounts: bool) -> list[Event]:
    """The offer's own changes (simple-history), each with who, when and what, newest first."""
    records = list(offer.history.select_related("history_user").order_by("history_date"))
    deltas = [
        record.diff_against(previous, excluded_fields=SKIPPED_FIELDS).changes
        if record.history_type == "~" and previous is not None
        else []
        for previous, record in zip([None, *records], records, strict=False)
    ]
    ids = {
        value
        for changes in deltas
        for c in changes
        if c.field in USER_FIELDS
        for value in (c.old, c.new)
        if value
    }
    users = {}
    if ids:
        users = {
            u.pk: u.get_full_name() or u.get_username()
            for u in get_user_model().objects.filter(pk__in=ids)
        }
    fields = [f.name for f in Offer._meta.fields]
    labels = {f.name: str(f.verbose_name).capitalize() for f in Offer._meta.fields}
    events = []
    for record, delta in zip(records, deltas, strict=True):
        changes = tuple(
            Change(
                labels.get(c.field, c.field),
                _shown(c.field, c.old, users, amounts),
                _shown(c.field, c.new, users, amounts),
            )
            for c in sorted(delta, key=lambda c: fields.index(c.field) if c.field in fields else 0)
        )
        if record.history_type == "+":
            what = f"Drafted version {record.version} ({Offer.Status(record.status).label})"
        elif record.history_type == "-":
            what = "Deleted"
        elif any(c.field == "status" for c in delta):
            what = f"{Offer.Status(record.status).label}"
        else:
            what = "Changed" if changes else "Saved (its components may have changed)"
        events.append(Event(record.history_date, record.history_user, what, changes))
    return events[::-1]


@dataclass(frozen=True)
class ApprovalRow:
    step: int
    group: str
    status: str
    status_code: str
    reason: str
    requested_at: datetime
    decided_by: object
    decided_at: datetime | None
    comment: str
    on_behalf_of: object = None


def _approvals(offer: Offer, amounts: bool) -> list[ApprovalRow]:
    return [
        ApprovalRow(
            step=a.step,
            on_behalf_of=a.on_behalf_of,
            group=a.group.name,
            status=a.get_status_display(),
            status_code=a.status,
            reason=a.reason if amounts else HIDDEN,
            requested_at=a.requested_at,
            decided_by=a.decided_by,
            decided_at=a.decided_at,
            comment=(a.comment if amounts else HIDDEN) if a.comment else "",
        )
        for a in offer.approvals.all()
    ]


def _step_form(step: Step, offer: Offer) -> forms.Form:
    initial: dict[str, object] = {}
    if step.name == "extend":
        initial["expires_at"] = to_minute(offer.expires_at + timedelta(days=2))
    elif step.name == "keep_open":
        initial["keep_open"] = offer.keep_open_on_decline
    return STEP_FORMS[step.name](prefix=step.name, initial=initial)


@dataclass(frozen=True)
class WithCandidate:
    """What the recruiter sees of the offer in the candidate's hands."""

    link: OfferLink | None
    signature: OfferSignature | None
    decline_answer: OfferDecline | None
    activities: list[Activity]


def with_candidate(offer: Offer, *, amounts: bool) -> WithCandidate | None:
    if offer.sent_at is None:
        return None
    return WithCandidate(
        link=OfferLink.objects.filter(offer=offer).order_by("-created_at", "-id").first(),
        signature=OfferSignature.objects.filter(offer=offer).select_related("letter").first(),
        decline_answer=OfferDecline.objects.filter(offer=offer)
        .select_related("competitor", "recorded_by")
        .first(),
        activities=list(
            Activity.objects.filter(
                application_id=offer.application_id,
                kind=Activity.Kind.OFFER,
                occurred_at__gte=offer.sent_at,
            ).order_by("-occurred_at", "-id")[:20]
        ),
    )


def _render_detail(
    request: AuthenticatedRequest, offer: Offer, *, forms: dict[str, object] | None = None
) -> HttpResponse:
    user = request.user
    amounts = can_see_compensation(user)
    load_components(offer)
    prefetch_related_objects(
        [offer],
        Prefetch(
            "approvals",
            queryset=Approval.objects.select_related("group", "decided_by", "on_behalf_of"),
        ),
    )
    market = Market(timezone.localdate())
    valued = _value(offer, market)
    valuation = valued.valuation
    rivals = _rivals(offer, user, market)

    waiting = {a.group_id for a in offer.approvals.all() if a.status == Approval.Status.PENDING}
    mine: set[int] | None = None

    def waiting_groups() -> set[int]:
        nonlocal mine
        if mine is None:
            mine = set(approving_groups(user).values_list("pk", flat=True))
        return waiting & mine

    # A sent offer being revised: the version being prepared is where the work goes on.
    preparing = revision_in_progress(offer) if offer.status == Offer.Status.SENT else None
    actions = [
        s
        for s in STEPS.values()
        if s.allowed_for(offer)
        and may_take(user, offer, s, waiting_groups=waiting_groups)
        and not (preparing is not None and s.name == "revise")
    ]
    forms = forms or {}
    decisions = [
        (s, forms.get(s.name) or DECISION_FORMS[s.name](prefix=s.name))
        for s in actions
        if s.decides
    ]
    may_change = user.has_perm("offers.change_offer")
    step_forms = {s.name: forms.get(s.name) or _step_form(s, offer) for s in actions if s.form}
    versions = list(
        visible_offers(user)
        .filter(application_id=offer.application_id)
        .exclude(pk=offer.pk)
        .order_by("version")
        .only("pk", "version", "status")
    )
    would_ask: list[tuple[int, str, str]] = []
    if offer.status == Offer.Status.DRAFT and valuation is not None:
        would_ask = [
            (rule.step, rule.group.name, reason if amounts else HIDDEN)
            for rule, reason in approvals_for(
                valuation, kind=offer.kind, currency=offer.currency_id
            )
        ]
    role = offer.application.role
    context = {
        "offer": offer,
        "candidate": offer.application.candidate,
        "role": role,
        "amounts": amounts,
        "reporting": REPORTING,
        "problem": valued.problem,
        "table": years_table(valuation.compensation) if amounts and valuation else None,
        "reporting_table": (
            years_table(valuation.reporting)
            if amounts and valuation and offer.currency_id != REPORTING
            else None
        ),
        "rate": exchange_rate(valuation.rate) if valuation else "",
        "rate_fixed": offer.sent_rate is not None,
        "rate_age": rate_age(
            valuation.rate_as_of if valuation else None,
            fixed=offer.sent_rate is not None,
            today=timezone.localdate(),
            stale_after=settings.RATE_STALE_AFTER_DAYS,
        ),
        "equity_price": equity_price_text(offer) if amounts else "",
        "scenarios": scenario_table(offer.to_package(), offer.equity_basis) if amounts else None,
        "chart": _chart(offer, valued, rivals) if amounts else None,
        "rivals": rivals,
        "measure": engine.Measure(settings.COMPETING_OFFER_MEASURE),
        "bonuses": payment_terms(offer) if amounts else [],
        "band": _band(offer, valued, market, amounts),
        "approvals": _approvals(offer, amounts),
        "would_ask": would_ask,
        "history": _history(offer, amounts),
        "component_history": component_history(offer.pk, amounts=amounts),
        "actions": actions,
        "steps": [s for s in actions if not s.decides and not s.form],
        "step_forms": step_forms,
        "with_candidate": with_candidate(offer, amounts=amounts),
        "decisions": decisions,
        "may_edit": amounts and may_change and offer.is_open and preparing is None,
        "preparing": preparing,
        "versions": versions,
        "sees_application": sees_every_application(user) or role.hiring_manager_id == user.pk,
    }
    response = render(request, "offers/offer_detail.html", context)
    record_pay_access(
        request, kind=PayAccess.Kind.OFFER_PAGE, obj=offer, label=offer_access_label(offer)
    )
    return response


@login_required
@require_GET
def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_offer_or_404(request.user, pk))


# --- Two versions side by side -----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    left: str
    right: str
    change: str = ""

    @property
    def differs(self) -> bool:
        return self.left != self.right


def _amount_row(label: str, left: Decimal, right: Decimal, same_currency: bool) -> Row:
    change = ""
    if same_currency and left != right:
        change = signed_money(right - left)
    return Row(label, money_in_table(left), money_in_table(right), change)


def _terms_rows(left: Offer, right: Offer) -> list[Row]:
    def when(moment: datetime) -> str:
        return f"{timezone.localtime(moment):%d %b %Y %H:%M}"

    return [
        Row("Status", left.get_status_display(), right.get_status_display()),
        Row("Kind", left.get_kind_display(), right.get_kind_display()),
        Row("Currency", left.currency_id, right.currency_id),
        Row("Start date", f"{left.start_date:%d %b %Y}", f"{right.start_date:%d %b %Y}"),
        Row("Expires", when(left.expires_at), when(right.expires_at)),
        Row("Drafted", when(left.drafted_at), when(right.drafted_at)),
    ]


def _component_rows(left: Offer, right: Offer, amounts: bool) -> list[Row]:
    """Every component of both versions; without view_compensation, only what names no
    amount (clawback periods, vesting schedules)."""
    same = left.currency_id == right.currency_id
    rows = []
    if amounts:
        rows += [
            _amount_row("Base salary", left.base_salary, right.base_salary, same),
            Row(
                "Target bonus (% of base)",
                percent(left.target_bonus_percent),
                percent(right.target_bonus_percent),
            ),
            _amount_row("Relocation", left.relocation, right.relocation, same),
        ]
    bonuses = [{b.label: b for b in payment_terms(o)} for o in (left, right)]
    for kind in OfferPayment.Kind:
        pair = [b.get(kind.label) for b in bonuses]
        if not any(pair):
            continue
        if amounts:
            paid = "; ".join
            rows.append(
                Row(
                    f"{kind.label}: instalments",
                    *(paid(f"{p.amount} {p.when}" for p in b.payments) if b else "—" for b in pair),
                )
            )
            totals = [
                sum((p.amount for p in o.payments.all() if p.kind == kind), Decimal(0))
                for o in (left, right)
            ]
            rows.append(_amount_row(f"{kind.label}: total", totals[0], totals[1], same))
        rows.append(
            Row(
                f"{kind.label}: clawback",
                *(
                    (
                        f"{b.clawback_months} months, {b.clawback_terms.label.lower()}"
                        if b.clawback_months
                        else "None"
                    )
                    if b
                    else "—"
                    for b in pair
                ),
            )
        )
    grants = [list(o.equity_grants.all()) for o in (left, right)]
    schedules = [grant_terms(o) for o in (left, right)]
    for number in range(max(len(g) for g in grants)):
        grant_pair = [s[number] if number < len(s) else None for s in schedules]
        label = f"Equity grant {number + 1}"
        if amounts:
            values = [g[number].value if number < len(g) else Decimal(0) for g in grants]
            rows.append(_amount_row(f"{label}: value at grant", values[0], values[1], same))
        rows.append(Row(f"{label}: kind", *(g.kind if g else "—" for g in grant_pair)))
        rows.append(Row(f"{label}: vesting", *(g.schedule if g else "—" for g in grant_pair)))
    others = [list(o.other_amounts.all()) for o in (left, right)]
    if amounts and any(others):
        rows.append(
            Row(
                "Other amounts",
                *(
                    "; ".join(f"{a.name}, year {a.year}: {money_in_table(a.amount)}" for a in group)
                    or "—"
                    for group in others
                ),
            )
        )
    return rows


def _year_rows(left: Offer, right: Offer) -> tuple[list[Row], list[object]]:
    """Both versions valued over the longer horizon, in their own currencies: each year's
    total, the year one, annual average and horizon totals, and both years tables."""
    packages = [left.to_package(), right.to_package()]
    years = max(p.horizon_years for p in packages)
    both = [engine.compute(p, years=years) for p in packages]
    same = left.currency_id == right.currency_id
    rows = [
        _amount_row(
            f"Year {year + 1}", both[0].yearly_totals[year], both[1].yearly_totals[year], same
        )
        for year in range(years)
    ]
    rows += [
        _amount_row("Year one", both[0].year_one, both[1].year_one, same),
        _amount_row("Annual average", both[0].annual_average, both[1].annual_average, same),
        _amount_row(f"Total over {years} years", both[0].total, both[1].total, same),
    ]
    return rows, [years_table(c) for c in both]


@login_required
@require_GET
def compare(request: AuthenticatedRequest, pk: int, other_pk: int) -> HttpResponse:
    user = request.user
    first, second = get_offer_or_404(user, pk), get_offer_or_404(user, other_pk)
    if first.application_id != second.application_id:
        raise Http404("Only versions of one offer are compared.")
    left, right = sorted((first, second), key=lambda o: o.version)
    load_components(left, right)
    amounts = can_see_compensation(user)
    sections = [("Terms", _terms_rows(left, right))]
    sections.append(("Components", _component_rows(left, right, amounts)))
    tables: list[object] = []
    problem = ""
    if amounts:
        try:
            year_rows, tables = _year_rows(left, right)
        except engine.CompensationError as error:
            problem = error.message
        else:
            sections.append(("Year by year", year_rows))
    context = {
        "left": left,
        "right": right,
        "candidate": left.application.candidate,
        "role": left.application.role,
        "amounts": amounts,
        "sections": sections,
        "tables": tables,
        "problem": problem,
        "same_currency": left.currency_id == right.currency_id,
        "differences": sum(row.differs for _, rows in sections for row in rows),
    }
    response = render(request, "offers/offer_compare.html", context)
    record_pay_access(
        request,
        kind=PayAccess.Kind.OFFER_COMPARE,
        obj=right,
        label=f"{offer_access_label(right)}, compared with v{left.version}",
    )
    return response


# --- The letter --------------------------------------------------------------------------------


@login_required
@require_GET
def letter(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    offer = get_offer_or_404(request.user, pk)
    if not can_see_compensation(request.user):
        raise Http404  # the letter is all amounts
    load_components(offer)
    try:
        pdf = render_offer_letter(offer)
    except engine.CompensationError as error:
        messages.error(request, f"No letter can be made: {error.message}")
        return redirect("offers:detail", offer.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=letter_filename(offer)
    )
    record_pay_access(
        request, kind=PayAccess.Kind.OFFER_LETTER, obj=offer, label=offer_access_label(offer)
    )
    return response


@login_required
@require_GET
def signed_letter(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The letter as the candidate signed it, with its signature certificate."""
    offer = get_offer_or_404(request.user, pk)
    if not can_see_compensation(request.user):
        raise Http404  # the letter is all amounts
    signature = OfferSignature.objects.filter(offer=offer).first()
    if signature is None:
        raise Http404
    response = HttpResponse(bytes(signature.signed_pdf), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=letter_filename(offer).replace(".pdf", "-signed.pdf")
    )
    record_pay_access(
        request, kind=PayAccess.Kind.SIGNED_LETTER, obj=offer, label=offer_access_label(offer)
    )
    return response
