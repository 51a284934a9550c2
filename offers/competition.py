"""Competing offers: recording them, where each stands against our latest offer, and the
alerts they raise (a competitor ahead of us, an outside offer during a pause, a competitor's
decision deadline close while our offer is not accepted).

Who is ahead is kept on the competing offer (`ahead`, `lead_episode`), refreshed whenever
either side changes; an alert key holds the episode, so an edit that leaves the competitor
ahead alerts nobody again, and a competitor that falls behind and then goes ahead again does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from candidates.models import OFFERING_LABELS, OFFERINGS, Candidate, Company, CompanyPause
from recruiting.alerts import registry
from recruiting.alerts.models import Alert
from recruiting.alerts.services import raise_alert
from recruiting.lib.formats import exchange_rate, money_in_sentence, signed_money_in_sentence
from recruiting.pipeline.models import Application

from . import compensation as engine
from . import fit
from .models import CompetingOffer, Offer
from .permissions import APPROVER_GROUP
from .presentation import COMPONENT_NOUNS
from .selectors import Market, RateMissing
from .terms import OfferError, PackageTerms, check_package, write_package

COMPETITOR_AHEAD = registry.AlertKind(
    "competitor_ahead", "Competing offer ahead of ours", urgent=True
)
OUTSIDE_OFFER_IN_PAUSE = registry.AlertKind(
    "outside_offer_in_pause", "Outside offer during a pause"
)
COMPETITOR_DEADLINE = registry.AlertKind("competitor_deadline", "Competitor's deadline near")
COMPETITOR_DEADLINE_CLOSE = registry.AlertKind(
    "competitor_deadline_close", "Competitor's deadline within a day", urgent=True
)
URGENT_WITHIN_HOURS = 24


def measure() -> engine.Measure:
    try:
        return engine.Measure(settings.COMPETING_OFFER_MEASURE)
    except ValueError:
        raise ImproperlyConfigured(
            f"COMPETING_OFFER_MEASURE is {settings.COMPETING_OFFER_MEASURE!r}; use one of "
            f"{[m.value for m in engine.Measure]}."
        ) from None


def utc(moment: datetime) -> datetime:
    """Alerts give times in UTC, saying so, whatever zone a moment was given in."""
    return moment.astimezone(UTC)


# --- Where a competing offer stands -----------------------------------------------------------


def latest_offer_for(competing: CompetingOffer) -> Offer | None:
    """Our offer a competing offer is weighed against, on the application it threatens (for
    an outside offer with no application, an employee's, on any of the person's): the latest
    the candidate was sent, even when a revision is being drafted, since a draft they never
    saw does not put us ahead; before any was sent, the one being prepared. A rescinded offer
    does not count."""
    offers = Offer.objects.exclude(status=Offer.Status.RESCINDED).select_related(
        "application__role"
    )
    if competing.application_id:
        offers = offers.filter(application_id=competing.application_id)
    else:
        offers = offers.filter(application__candidate_id=competing.candidate_id)
    sent = offers.filter(sent_at__isnull=False).order_by("-sent_at", "-version").first()
    if sent is not None:
        return sent
    return (
        offers.exclude(status=Offer.Status.SUPERSEDED).order_by("-drafted_at", "-version").first()
    )


@dataclass(frozen=True)
class Standing:
    """A competing offer against our latest offer: the money, in the reporting currency over
    the horizon of both, and beyond money, the fit with what the candidate weighs."""

    competing: CompetingOffer
    ours: Offer | None
    money: engine.PackageComparison
    measure: engine.Measure
    fit: fit.FitComparison | None
    # How each side in another currency was converted: "1.180638 USD per EUR, the rate of
    # 1 Nov 2025".
    conversions: tuple[str, ...] = ()

    @property
    def gap(self) -> engine.Gap:
        return self.money.gap(self.measure)

    @property
    def converted_text(self) -> str:
        """How the amounts were converted, as a sentence ("" when nothing was)."""
        if not self.conversions:
            return ""
        return f"Converted to {self.money.ours.currency} at {'; '.join(self.conversions)}."

    @property
    def ahead(self) -> bool:
        """The competitor pays more than we do on the measure (or we have offered nothing)."""
        return self.gap.amount > 0

    def drivers(self) -> list[tuple[str, Decimal]]:
        return [
            (COMPONENT_NOUNS[engine.Component(name)], share)
            for name, share in self.money.drivers(self.measure)
        ]

    @property
    def summary(self) -> str:
        """In a line: "Helix pays 20.0% more in year one (1,200,000 USD); we win on
        publishing policy and team lead reputation"."""
        competitor, gap, currency = self.competing.competitor, self.gap, self.money.ours.currency
        if self.ours is None:
            theirs = money_in_sentence(gap.theirs, currency)
            text = f"We have made no offer yet; {competitor} offers {theirs}"
        elif gap.amount == 0:
            text = f"{competitor} pays the same as we do"
        else:
            # "X% more" is of what the other side pays: theirs over ours when they lead, ours
            # over theirs when we do.
            who = f"{competitor} pays" if gap.amount > 0 else "We pay"
            percent = f"{gap.more_percent}% more" if gap.more_percent is not None else "more"
            text = f"{who} {percent} ({money_in_sentence(abs(gap.amount), currency)})"
        text += f" in {self.measure.label}"
        if self.fit and self.fit.we_win_on:
            text += "; we win on " + " and ".join(
                OFFERING_LABELS[k].lower() for k in self.fit.we_win_on[:2]
            )
        if self.fit and self.fit.they_win_on:
            text += "; they win on " + " and ".join(
                OFFERING_LABELS[k].lower() for k in self.fit.they_win_on[:2]
            )
        return text + "."


def weights_of(candidate: Candidate) -> dict[str, int]:
    return {key: getattr(candidate, f"motivator_{key}") for key, _ in OFFERINGS}


def standing(
    competing: CompetingOffer,
    *,
    ours: Offer | None | Literal[True] = True,
    market: Market | None = None,
    on: date | None = None,
) -> Standing:
    """Where `competing` stands against our latest offer (or against `ours`, when given).
    Raises RateMissing when a currency has no rate."""
    market = market or Market(on or timezone.localdate())
    if ours is True:
        ours = latest_offer_for(competing)
    reporting = settings.REPORTING_CURRENCY
    theirs = competing.to_package()
    conversions: dict[str, str] = {}

    def converted(package: Offer | CompetingOffer) -> Decimal:
        rate, as_of = market.reporting_quote(package)
        if package.currency_id != reporting:
            when = f", the rate of {as_of:%-d %b %Y}" if as_of else ""
            conversions.setdefault(
                package.currency_id,
                f"{exchange_rate(rate)} {reporting} per {package.currency_id}{when}",
            )
        return rate

    if ours is None:
        mine, rate_ours = engine.Package(currency=reporting), Decimal(1)
    else:
        mine, rate_ours = ours.to_package(), converted(ours)
    comparison = engine.compare(
        mine,
        theirs,
        currency=reporting,
        rate_ours=rate_ours,
        rate_theirs=converted(competing),
    )
    role = (
        competing.application.role
        if competing.application is not None
        else ours.application.role
        if ours is not None
        else None
    )
    fitted = (
        fit.compare_fit(
            weights_of(competing.candidate), role.offerings, competing.competitor.offerings
        )
        if role is not None
        else None
    )
    return Standing(competing, ours, comparison, measure(), fitted, tuple(conversions.values()))


def refresh_standing(
    competing: CompetingOffer, *, alert: bool, now: datetime | None = None
) -> Standing:
    """Works out again whether the competing offer is ahead of our latest offer and keeps it
    on the row. With `alert` (the competing offer was recorded or changed), going ahead, or
    being ahead when first recorded, alerts the recruiter and the hiring manager at once."""
    now = now or timezone.now()
    result = standing(competing)
    went_ahead = result.ahead and not competing.ahead
    competing.ahead = result.ahead
    competing.compared_with = result.ours
    if went_ahead:
        competing.lead_episode += 1
    CompetingOffer.objects.filter(pk=competing.pk).update(
        ahead=competing.ahead,
        compared_with=competing.compared_with,
        lead_episode=competing.lead_episode,
    )
    if alert and went_ahead:  # a competitor that stays ahead through an edit alerts nobody
        _alert_ahead(result, now)
    return result


def refresh_for_application(application: Application) -> None:
    """After our offer on `application` changed: the competing offers it answers stand anew
    (no alert: the change is ours)."""
    competing = CompetingOffer.objects.filter(
        Q(application=application)
        | Q(application__isnull=True, candidate_id=application.candidate_id)
    ).select_related("candidate", "competitor", "application__role")
    for row in competing:
        try:
            refresh_standing(row, alert=False)
        except RateMissing:
            continue  # a currency with no rate today: it keeps where it stood


def _team(competing: CompetingOffer) -> list[User]:
    """The recruiter (the candidate's owner) and the hiring manager of the role it threatens:
    the active ones, each once. The deadline rule tells the same people."""
    people = [competing.candidate.owner]
    if competing.application is not None:
        people.append(competing.application.role.hiring_manager)
    seen, team = set(), []
    for person in people:
        if person is not None and person.is_active and person.pk not in seen:
            seen.add(person.pk)
            team.append(person)
    return team


def _alert_ahead(result: Standing, now: datetime) -> None:
    competing, gap = result.competing, result.gap
    candidate, currency = competing.candidate, result.money.ours.currency
    if result.ours is None and candidate.relationship == Candidate.Relationship.EMPLOYEE:
        subject = (
            f"{candidate.name}, one of our people, has an offer from {competing.competitor}; "
            "we have made no retention offer"
        )
    elif result.ours is None:
        subject = f"{competing.competitor} made {candidate.name} an offer; we have none yet"
    else:
        percent = f" ({gap.percent}%)" if gap.percent is not None else ""
        subject = (
            f"{competing.competitor} beats our offer to {candidate.name} by "
            f"{money_in_sentence(gap.amount, currency)}{percent} in {result.measure.label}"
        )
    drivers = ", ".join(
        f"{label} {signed_money_in_sentence(share, currency)}"
        for label, share in result.drivers()[:3]
    )
    message = (
        f"{result.summary} Their decision deadline is "
        f"{utc(competing.deadline):%a %d %b %Y at %H:%M} UTC"
        f" ({competing.get_confidence_display().lower()}, recorded by "
        f"{competing.recorded_by}). What makes the gap: {drivers or 'nothing'}."
    )
    if result.converted_text:
        message += f" {result.converted_text}"
    # Someone who may not see compensation (a hiring manager, often) hears who is ahead and by
    # when, without a figure.
    discreet_subject = (
        subject
        if result.ours is None
        else f"{competing.competitor} beats our offer to {candidate.name} in {result.measure.label}"
    )
    discreet_message = (
        f"{competing.competitor}'s offer to {candidate.name} pays more than ours in "
        f"{result.measure.label}. Their decision deadline is "
        f"{utc(competing.deadline):%a %d %b %Y at %H:%M} UTC"
        f" ({competing.get_confidence_display().lower()}). The recruiter sees the figures."
    )
    for person in _team(competing):
        sees_amounts = person.has_perm("offers.view_compensation")
        raise_alert(
            kind=COMPETITOR_AHEAD.name,
            recipient=person,
            key=f"competitor-ahead:{competing.pk}:{competing.lead_episode}:{person.pk}",
            subject=subject if sees_amounts else discreet_subject,
            about=competing,
            context={"message": message if sees_amounts else discreet_message},
            link=competing.get_absolute_url(),
            now=now,
        )


# --- Recording -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CompetingTerms(PackageTerms):
    """Everything a recruiter types into a competing offer."""

    competitor: Company
    deadline: datetime
    application: Application | None = None
    confidence: str = CompetingOffer.Confidence.VERBAL
    source: str = ""
    notes: str = ""

    def price_company(self) -> Company | None:
        """Their grants are the competitor's shares."""
        return self.competitor


def check_competing_terms(
    candidate: Candidate, terms: CompetingTerms, *, deadline_changed: bool = True
) -> None:
    """The rules for a competing offer, each refusal naming the field to fix."""
    if terms.competitor.kind == Company.Kind.OURS:
        raise OfferError(
            {"competitor": f"{terms.competitor} is our own company, not a competitor."}
        )
    if terms.application is not None and terms.application.candidate_id != candidate.pk:
        raise OfferError(
            {"application": f"This application is not {candidate.name}'s; pick one of theirs."}
        )
    if terms.confidence not in CompetingOffer.Confidence.values:
        raise OfferError(
            {"confidence": "Pick how sure we are: rumoured, verbal, written or verified."}
        )
    if deadline_changed and terms.deadline <= timezone.now():
        raise OfferError({"deadline": "The decision deadline must be in the future."})
    check_package(terms)


def _write(competing: CompetingOffer, terms: CompetingTerms, *, by: User) -> None:
    competing.competitor = terms.competitor
    competing.application = terms.application
    competing.deadline = terms.deadline
    competing.confidence = terms.confidence
    competing.source = terms.source
    competing.notes = terms.notes
    write_package(competing, terms, by=by)


@transaction.atomic
def record_competing_offer(
    candidate: Candidate, terms: CompetingTerms, *, by: User
) -> CompetingOffer:
    """Records what a competitor offers; alerts the team at once when it beats our latest
    offer; flags an employee as a flight risk; flags and alerts an outside offer made during
    the person's company's pause."""
    check_competing_terms(candidate, terms)
    now = timezone.now()
    competing = CompetingOffer(candidate=candidate, recorded_by=by, recorded_at=now)
    _write(competing, terms, by=by)
    _flag_flight_risk(competing, now)
    refresh_standing(competing, alert=True, now=now)
    return competing


@transaction.atomic
def update_competing_offer(
    competing: CompetingOffer, terms: CompetingTerms, *, by: User
) -> CompetingOffer:
    """Changes a competing offer (its history keeps every version). If it now beats our
    offer and did not before, the team is alerted; if it stays ahead, nobody is again."""
    competing = CompetingOffer.objects.select_for_update().get(pk=competing.pk)
    check_competing_terms(
        competing.candidate, terms, deadline_changed=terms.deadline != competing.deadline
    )
    _write(competing, terms, by=by)
    refresh_standing(competing, alert=True)
    return competing


def _pause_on(candidate: Candidate, day: date) -> CompanyPause | None:
    if candidate.current_company_id is None:
        return None
    return CompanyPause.objects.filter(
        company_id=candidate.current_company_id, starts_on__lte=day, ends_on__gte=day
    ).first()


def _flag_flight_risk(competing: CompetingOffer, now: datetime) -> None:
    """An employee with an outside offer is a retention case at risk. A person in our
    pipeline (or an employee) approached while their company pauses is flagged for that,
    and the team is told."""
    candidate = Candidate.objects.select_for_update().get(pk=competing.candidate_id)
    is_employee = candidate.relationship == Candidate.Relationship.EMPLOYEE
    in_pipeline = candidate.applications.filter(status=Application.Status.OPEN).exists()
    pause = _pause_on(candidate, timezone.localdate(now))
    Reason = Candidate.FlightRiskReason
    reason = None
    if pause is not None and (is_employee or in_pipeline):
        reason = Reason.APPROACHED_DURING_PAUSE
    elif is_employee and not candidate.flight_risk:
        reason = Reason.OUTSIDE_OFFER
    if reason is not None:
        candidate.flight_risk, candidate.flight_risk_reason = True, reason
        candidate.save(update_fields=["flight_risk", "flight_risk_reason", "updated_at"])
    competing.candidate = candidate
    if pause is None or reason is None:
        return
    message = (
        f"{candidate.name} recorded an offer from {competing.competitor} on "
        f"{now:%a %d %b %Y}, while {pause.company} pauses "
        f"({pause.starts_on:%d %b}–{pause.ends_on:%d %b %Y}). Competitors approach people "
        f"during a pause, when they are meant to decide calmly: {candidate.name} is now "
        "flagged as a flight risk. Talk to them before their deadline, "
        f"{utc(competing.deadline):%a %d %b at %H:%M} UTC."
    )
    for person in _team(competing):
        raise_alert(
            kind=OUTSIDE_OFFER_IN_PAUSE.name,
            recipient=person,
            key=f"outside-offer-in-pause:{competing.pk}:{person.pk}",
            subject=f"{candidate.name} has an offer from {competing.competitor} during "
            f"{pause.company}'s pause",
            about=competing,
            context={"message": message},
            link=competing.get_absolute_url(),
            now=now,
        )


# --- The deadline rule -----------------------------------------------------------------------

AUDIENCES = ("recruiter", "hiring_manager", "approvers")


def deadline_ladder() -> list[tuple[int, list[str]]]:
    """settings.COMPETITOR_DEADLINE_LADDER, furthest step first, checked."""
    ladder = sorted(settings.COMPETITOR_DEADLINE_LADDER, key=lambda step: step[0], reverse=True)
    for hours, audiences in ladder:
        if hours <= 0 or set(audiences) - set(AUDIENCES):
            raise ImproperlyConfigured(
                f"COMPETITOR_DEADLINE_LADDER: ({hours}, {audiences}) needs hours above 0 and "
                f"audiences among {list(AUDIENCES)}."
            )
    return ladder


def deadlines_near(now: datetime) -> list[Alert]:
    """Competing offers whose decision deadline is near while our offer is not accepted and
    the application (if any) is open: at each step of the ladder (72, 24 and 6 hours before),
    the recruiter and the hiring manager, and from 24 hours the compensation approvers when the
    competing offer is ahead of ours (the money is theirs to approve). An
    offer is in the step of the nearest threshold it has crossed. Once per step, competing
    offer, deadline and person (a moved deadline alerts again). One query per step, one more
    for a step with offers in it, and one for the approvers when a step tells them."""
    ladder = deadline_ladder()
    accepted = Offer.objects.filter(status=Offer.Status.ACCEPTED).filter(
        Q(application_id=OuterRef("application_id"))
        | Q(
            application__candidate_id=OuterRef("candidate_id"),
            drafted_at__gte=OuterRef("recorded_at"),
        )
    )
    live = CompetingOffer.objects.filter(
        Q(application__isnull=True) | Q(application__status=Application.Status.OPEN)
    ).filter(~Exists(accepted))
    approvers: list[User] | None = None  # read once, when a step needs them
    raised = []
    for index, (hours, audiences) in enumerate(ladder):
        inner = ladder[index + 1][0] if index + 1 < len(ladder) else 0
        rows = list(
            live.filter(
                deadline__gt=now + timedelta(hours=inner),
                deadline__lte=now + timedelta(hours=hours),
            ).select_related("candidate__owner", "competitor", "application__role__hiring_manager")
        )
        wanted = {}
        for competing in rows:
            people = []
            if "recruiter" in audiences:
                people.append(competing.candidate.owner)
            if "hiring_manager" in audiences and competing.application is not None:
                people.append(competing.application.role.hiring_manager)
            # The approvers decide money: they are told only when the competitor pays more.
            if "approvers" in audiences and competing.ahead:
                if approvers is None:
                    approvers = list(
                        get_user_model().objects.filter(groups__name=APPROVER_GROUP, is_active=True)
                    )
                people += approvers
            for person in people:
                if person is None or not person.is_active:
                    continue
                key = (
                    f"competitor-deadline-{hours}h:{competing.pk}:"
                    f"{competing.deadline.timestamp():.0f}:{person.pk}"
                )
                wanted[key] = (competing, person)
        done = set(Alert.objects.filter(key__in=list(wanted)).values_list("key", flat=True))
        for key, (competing, person) in wanted.items():
            if key not in done:
                raised.append(_raise_deadline(competing, person, key, hours, now))
    return [alert for alert in raised if alert is not None]


def _raise_deadline(
    competing: CompetingOffer, person: User, key: str, hours: int, now: datetime
) -> Alert | None:
    candidate = competing.candidate
    left = competing.deadline - now
    hours_left = int(left.total_seconds() // 3600)
    left_text = (
        f"{hours_left} hour{'' if hours_left == 1 else 's'}"
        if hours_left >= 1
        else "less than an hour"
    )
    where = (
        f" ({competing.application.role.title}, {competing.application.role.city})"
        if competing.application is not None
        else ""
    )
    kind = COMPETITOR_DEADLINE_CLOSE if hours <= URGENT_WITHIN_HOURS else COMPETITOR_DEADLINE
    return raise_alert(
        kind=kind.name,
        recipient=person,
        key=key,
        subject=f"{candidate.name} must answer {competing.competitor} within {hours} hours{where}",
        about=competing,
        context={
            "message": f"{competing.competitor}'s offer to {candidate.name} "
            f"({competing.get_confidence_display().lower()}) must be answered by "
            f"{utc(competing.deadline):%a %d %b %Y at %H:%M} UTC, in {left_text}, and our offer is "
            "not accepted. Look at the comparison and the counter-offer suggestion on the "
            "competing offer."
        },
        link=competing.get_absolute_url(),
        now=now,
    )


def register() -> None:
    for kind in (
        COMPETITOR_AHEAD,
        OUTSIDE_OFFER_IN_PAUSE,
        COMPETITOR_DEADLINE,
        COMPETITOR_DEADLINE_CLOSE,
    ):
        registry.register_kind(kind)
    registry.register_rule("offers.competitor_deadline", deadlines_near)
