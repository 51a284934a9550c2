"""The pipeline's reminder rules: follow-ups due, stale applications, pause risk.

PipelineConfig.ready() registers them with the alerts app. Each rule reads the database as of
`now` with a fixed number of set-based queries, whatever the number of candidates, and leaves
out in SQL what it has raised before (recruiting.alerts.keys), so a rerun reads nothing and
raises nothing. Alerts go to the candidate's owner; with no owner, or one no longer active,
nobody is told.

Rows are read whole, not through iterator(): on PostgreSQL that is a server-side cursor, which
is planned for its first rows (nested loops instead of the hash anti-join): at 300,000
applications the stale query took twice as long, and a scan that finds nothing new 1.5 times.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from candidates.models import Candidate, Company, CompanyPause
from recruiting.alerts import registry
from recruiting.alerts.keys import Stamp, unraised
from recruiting.alerts.models import Alert
from recruiting.alerts.services import raise_alert

from .models import Application, Role
from .selectors import follow_ups_due_applications, stale_applications

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# None of these is urgent: each is about days of neglect or a pause a week away, so holding it
# until the owner's quiet hours end loses nothing, and waking someone for it would teach them
# to mute Closer.
FOLLOW_UP_DUE = registry.AlertKind("follow_up_due", "Follow-up due")
APPLICATION_STALE = registry.AlertKind("application_stale", "Stale application")
PAUSE_RISK = registry.AlertKind("pause_risk", "Pause risk")

PAUSE_WARNING_DAYS = 7


class _AtRisk(TypedDict):
    """What pause_risks annotates each person with (alert_key by unraised)."""

    in_pipeline: bool
    alert_key: str


class _AtRiskInPause(_AtRisk):
    """A person at risk from their own company's pause: which pause."""

    pause_id: int


def _where(role: Role) -> str:
    return f"{role.title}, {role.city}"


# --- Follow-up due ---------------------------------------------------------------------------


def follow_ups_due(now: datetime) -> list[Alert]:
    """Open applications in a stage marked for follow-ups (Contacted by default) with nothing
    logged for the stage's follow_up_days.

    The clock starts at the later of the stage entry and the latest activity with the
    candidate about this application or about no application in particular (the candidate
    page logs those): a note from before the candidate was contacted is no follow-up.
    Candidates who asked not to be contacted are left out. Each silence alerts once; a new
    activity starts a new one.
    """
    applications = follow_ups_due_applications(now).filter(
        candidate__do_not_contact=False, candidate__owner__is_active=True
    )
    rows = unraised(
        applications, "follow-up-due:", F("pk"), ":", Stamp("last_touch")
    ).select_related("candidate__owner", "role", "stage")
    raised = []
    for application in rows:
        candidate, role, stage = application.candidate, application.role, application.stage
        silent = (now - application.last_touch).days
        raised.append(
            raise_alert(
                kind=FOLLOW_UP_DUE.name,
                recipient=candidate.owner,
                key=application.alert_key,
                subject=f"Follow up with {candidate.name}: no activity for {silent} days "
                f"({_where(role)})",
                about=application,
                context={
                    "message": f"{candidate.name} is in {stage.name} for {_where(role)}, and "
                    f"nothing was logged since {application.last_touch:%d %b %Y}. This stage "
                    f"asks for a follow-up after {stage.follow_up_days} days without activity."
                },
                link=application.get_absolute_url(),
                now=now,
            )
        )
    return [alert for alert in raised if alert is not None]


# --- Stale application -----------------------------------------------------------------------


def stale(now: datetime) -> list[Alert]:
    """Open applications over their stage's time limit: once per stay in a stage (the key
    holds the stage and when it was entered, so coming back to a stage can alert again)."""
    rows = unraised(
        stale_applications(now).filter(candidate__owner__is_active=True),
        "application-stale:",
        F("pk"),
        ":",
        F("stage_id"),
        ":",
        Stamp("stage_entered_at"),
    ).select_related("candidate__owner", "role", "stage")
    raised = []
    for application in rows:
        candidate, role, stage = application.candidate, application.role, application.stage
        days = (now - application.stage_entered_at).days
        raised.append(
            raise_alert(
                kind=APPLICATION_STALE.name,
                recipient=candidate.owner,
                key=application.alert_key,
                subject=f"{candidate.name} has been in {stage.name} for {days} days "
                f"({_where(role)})",
                about=application,
                context={
                    "message": f"{stage.name} allows {stage.time_limit_days} days; "
                    f"{candidate.name} entered it on {application.stage_entered_at:%d %b %Y}. "
                    "Move the application on, or mark it lost."
                },
                link=application.get_absolute_url(),
                now=now,
            )
        )
    return [alert for alert in raised if alert is not None]


# --- Pause risk ------------------------------------------------------------------------------


def pause_risks(now: datetime) -> list[Alert]:
    """A company pause starting within 7 days (not yet started), for the people it puts at
    risk: candidates with an open application and employees flagged as a flight risk, when
    the pause is their current company's or our own (during our quiet week competitors keep
    calling). Once per person and pause.

    Queries: the upcoming pauses; the people of the pausing companies; one more per upcoming
    pause of our own company (there is one company of ours, so in practice one or none).
    """
    today = timezone.localdate(now)
    pauses = {
        pause.pk: pause
        for pause in CompanyPause.objects.filter(
            starts_on__gt=today, starts_on__lte=today + timedelta(days=PAUSE_WARNING_DAYS)
        ).select_related("company")
    }
    if not pauses:
        return []
    people = (
        Candidate.objects.filter(owner__is_active=True)
        .annotate(
            in_pipeline=Exists(
                Application.objects.filter(
                    candidate_id=OuterRef("pk"), status=Application.Status.OPEN
                )
            )
        )
        .filter(
            Q(in_pipeline=True) | Q(relationship=Candidate.Relationship.EMPLOYEE, flight_risk=True)
        )
        .select_related("owner")
    )
    # The pauses of the company each person works at (a join: one row per person and pause).
    theirs: QuerySet[WithAnnotations[Candidate, _AtRiskInPause]] = unraised(
        people.filter(current_company__pauses__in=list(pauses)).annotate(
            pause_id=F("current_company__pauses")
        ),
        "pause-risk:",
        F("pk"),
        ":",
        F("current_company__pauses"),
    )
    raised = [_raise_pause_risk(person, pauses[person.pause_id], now) for person in theirs]
    for pause in pauses.values():
        if pause.company.kind == Company.Kind.OURS:
            ours = unraised(people, "pause-risk:", F("pk"), f":{pause.pk}")
            raised += [_raise_pause_risk(person, pause, now) for person in ours]
    return [alert for alert in raised if alert is not None]


def _raise_pause_risk(
    person: WithAnnotations[Candidate, _AtRisk], pause: CompanyPause, now: datetime
) -> Alert | None:
    company = pause.company
    who = "in our pipeline" if person.in_pipeline else "one of our employees, flagged at risk"
    dates = (
        f"on {pause.starts_on:%a %d %b %Y}"
        if pause.starts_on == pause.ends_on
        else f"from {pause.starts_on:%a %d %b} to {pause.ends_on:%a %d %b %Y}"
    )
    reason = f" ({pause.reason})" if pause.reason else ""
    if company.kind == Company.Kind.OURS:
        subject = f"{person.name}: our pause starts {pause.starts_on:%a %d %b}"
        message = (
            f"{company} pauses {dates}{reason}. While we are quiet, competitors are not: "
            f"make sure {person.name} ({who}) hears from us before it starts."
        )
    else:
        subject = f"{person.name}: {company}'s pause starts {pause.starts_on:%a %d %b}"
        message = (
            f"{company} pauses {dates}{reason}. {person.name} works there and is {who}. "
            "Competitors approach people during a pause, when they are meant to decide "
            "calmly: talk to them before it starts."
        )
    owner = person.owner
    assert owner is not None  # pause_risks reads only people whose owner is active
    return raise_alert(
        kind=PAUSE_RISK.name,
        recipient=owner,
        key=person.alert_key,
        subject=subject,
        about=person,
        context={"message": message},
        link=person.get_absolute_url(),
        now=now,
    )


def register() -> None:
    for kind in (FOLLOW_UP_DUE, APPLICATION_STALE, PAUSE_RISK):
        registry.register_kind(kind)
    registry.register_rule("pipeline.follow_up_due", follow_ups_due)
    registry.register_rule("pipeline.application_stale", stale)
    registry.register_rule("pipeline.pause_risk", pause_risks)
