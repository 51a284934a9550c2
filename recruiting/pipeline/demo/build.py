"""Writing the demo into the database, idempotently, and summarising what exists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from candidates.models import (
    Candidate,
    CandidateEmail,
    Company,
    CompanyPause,
)
from candidates.services import find_or_create_tags

from .. import history
from ..models import Activity, Application, Role, Stage, StageChange
from ..permissions import HIRING_MANAGER_GROUP, RECRUITER_GROUP
from ..services import add_to_pipeline, log_activity, mark_hired, mark_lost, move_stage, open_role
from .spec import (
    BENCH_EMAIL_DOMAIN,
    BIG_TECH,
    COMPETITORS,
    HIRING_MANAGERS,
    OUR_COMPANY,
    ROLES,
    TAGS,
    UNIVERSITIES,
    USERS,
    ActivitySpec,
    ApplicationSpec,
    CandidateSpec,
    RoleSpec,
    demo_pauses,
    demo_spec,
)

# --- Writing the demo ----------------------------------------------------------------------


def ensure_company(name: str, kind: str, website: str = "") -> Company:
    company = Company.objects.filter(name__iexact=name).first()
    return company or Company.objects.create(name=name, kind=kind, website=website)


def ensure_users() -> dict[str, User]:
    """The demo's recruiters and hiring managers (ensure_demo_login gives the ones who play a
    part in the demo a password)."""
    recruiters, _ = Group.objects.get_or_create(name=RECRUITER_GROUP)
    managers, _ = Group.objects.get_or_create(name=HIRING_MANAGER_GROUP)
    user_model = get_user_model()
    users = {}
    for username, first, last in USERS:
        manager = username in HIRING_MANAGERS
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@closer.example",
                "is_staff": not manager,  # the admin is the recruiters' candidate list
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(managers if manager else recruiters)
        users[username] = user
    return users


def ensure_companies(today: date) -> dict[str, Company]:
    ours = Company.objects.filter(kind=Company.Kind.OURS).first() or ensure_company(
        OUR_COMPANY, Company.Kind.OURS, "https://closer-labs.example"
    )
    companies = {OUR_COMPANY: ours}
    for name, website in COMPETITORS:
        companies[name] = ensure_company(name, Company.Kind.COMPETITOR, website)
    for name, website in (*BIG_TECH, *UNIVERSITIES.values()):
        companies[name] = ensure_company(name, Company.Kind.EMPLOYER, website)
    for name, starts_on, ends_on, reason in demo_pauses(today):
        # Matched on company and reason, not dates: the dates move with the day of the run.
        CompanyPause.objects.get_or_create(
            company=companies[name],
            reason=reason,
            defaults={"starts_on": starts_on, "ends_on": ends_on},
        )
    return companies


def role_family(title: str) -> str:
    if "Scientist" in title:
        return Role.Family.RESEARCH_SCIENTIST
    if "Research Engineer" in title:
        return Role.Family.RESEARCH_ENGINEER
    return Role.Family.ML_ENGINEER


def ensure_roles(users: dict[str, User], specs: Iterable[RoleSpec]) -> dict[tuple[str, str], Role]:
    specs = list(specs)
    existing = {
        (r.title, r.city): r for r in Role.objects.filter(title__in={s.title for s in specs})
    }
    roles = {}
    for spec in specs:
        role = existing.get(spec.key)
        if role is None:
            role = open_role(
                title=spec.title,
                team=spec.team,
                level=spec.level,
                city=spec.city.name,
                country=spec.city.country,
                hiring_manager=users.get(spec.hiring_manager),
                headcount=spec.headcount,
                remote_ok=spec.remote_ok,
                family=role_family(spec.title),
                zone=Role.Zone.SILICON_VALLEY if spec.city.country == "US" else Role.Zone.EUROPE,
            )
        roles[spec.key] = role
    return roles


def _existing_by_email(emails: Iterable[str]) -> dict[str, Candidate]:
    rows = (
        CandidateEmail.objects.annotate(lower=Lower("email"))
        .filter(lower__in=[e.lower() for e in emails])
        .select_related("candidate")
    )
    return {row.email.lower(): row.candidate for row in rows}


def _ensure_candidates(
    specs: list[CandidateSpec],
    users: dict[str, User],
    companies: dict[str, Company],
    today: date,
) -> dict[str, Candidate]:
    found = _existing_by_email(s.email for s in specs)
    tags = {t.name: t for t in find_or_create_tags(TAGS)}
    for spec in specs:
        if spec.email in found:
            continue
        base, bonus, equity = spec.pay
        candidate = Candidate(
            name=spec.name,
            phone=spec.phone,
            city=spec.city.name,
            country=spec.city.country,
            timezone=spec.city.timezone,
            current_company=companies[spec.company] if spec.company else None,
            current_title=spec.title,
            specialty=spec.specialty,
            level=spec.level,
            linkedin_url=spec.linkedin_url,
            github_url=spec.github_url,
            scholar_url=spec.scholar_url,
            source=spec.source,
            referrer=spec.referrer,
            owner=users.get(spec.owner),
            relationship=spec.relationship,
            consent_basis=spec.consent_basis,
            consent_date=(
                today - timedelta(days=spec.consent_days_ago) if spec.consent_days_ago else None
            ),
            current_base=base,
            current_bonus=bonus,
            current_equity_per_year=equity,
            current_pay_currency_id=spec.city.currency,
            flight_risk=bool(spec.flight_risk_reason),
            flight_risk_reason=spec.flight_risk_reason,
            **spec.motivators,
        )
        candidate.full_clean()
        candidate.save()
        email = CandidateEmail(candidate=candidate, email=spec.email, is_primary=True)
        email.full_clean()
        email.save()
        candidate.tags.set([tags[name] for name in spec.tags])
        found[spec.email] = candidate
    return found


def _backdate(application: Application, ago: list[timedelta], now: datetime) -> None:
    """Moves a just-built application's history into the past. Demo data only: the services
    stamp every change with the current time, and a demo needs stale applications."""
    changes = list(application.stage_changes.order_by("id"))
    for change, delta in zip(changes, ago, strict=True):
        change.changed_at = now - delta
    history.restamp(changes)
    entered = now - ago[-1]
    Application.objects.filter(pk=application.pk).update(
        created_at=now - ago[0],
        stage_entered_at=entered,
        closed_at=entered if application.is_closed else None,
    )


def _ensure_applications(
    specs: list[ApplicationSpec],
    candidates: dict[str, Candidate],
    roles: dict[tuple[str, str], Role],
    users: dict[str, User],
    companies: dict[str, Company],
    now: datetime,
) -> dict[tuple[int, int], Application]:
    found = {
        (a.candidate_id, a.role_id): a
        for a in Application.objects.filter(
            candidate__in=list(candidates.values()), role__in=list(roles.values())
        )
    }
    stages: dict[int, dict[str, Stage]] = {}
    # Hires go last: the hire that reaches a role's headcount fills it, and a filled role
    # takes no new candidates.
    for spec in sorted(specs, key=lambda s: s.outcome == Application.Status.HIRED):
        candidate, role = candidates[spec.email], roles[spec.role.key]
        if (candidate.pk, role.pk) in found:
            continue
        if role.pk not in stages:
            stages[role.pk] = {s.kind: s for s in role.stages.order_by("-position")}
        by = users.get(spec.by)
        application = add_to_pipeline(candidate, role, by=by)
        for kind in spec.path[1:]:
            application = move_stage(application, stages[role.pk][kind], by=by)
        if spec.outcome == Application.Status.HIRED:
            application = mark_hired(application, by=by)
        elif spec.outcome == Application.Status.LOST:
            application = mark_lost(
                application,
                reason=spec.lost_reason,
                lost_to=companies[spec.lost_to] if spec.lost_to else None,
                note=spec.lost_note,
                by=by,
            )
        _backdate(application, spec.ago, now)
        found[(candidate.pk, role.pk)] = application
    return found


def _ensure_activities(
    specs: list[ActivitySpec],
    candidates: dict[str, Candidate],
    roles: dict[tuple[str, str], Role],
    applications: dict[tuple[int, int], Application],
    users: dict[str, User],
    now: datetime,
) -> None:
    existing = set(
        Activity.objects.filter(candidate__in=list(candidates.values())).values_list(
            "candidate_id", "kind", "summary"
        )
    )
    for spec in specs:
        candidate = candidates[spec.email]
        if (candidate.pk, spec.kind, spec.summary) in existing:
            continue
        application = None
        if spec.role is not None:
            application = applications.get((candidate.pk, roles[spec.role.key].pk))
        log_activity(
            candidate,
            kind=spec.kind,
            summary=spec.summary,
            body=spec.body,
            by=users.get(spec.by),
            application=application,
            occurred_at=now - spec.ago,
        )
        existing.add((candidate.pk, spec.kind, spec.summary))


@transaction.atomic
def build_demo(*, today: date | None = None) -> None:
    """Creates whatever part of the demo is missing; all of it or, on an error, none."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    spec = demo_spec(today)
    users = ensure_users()
    companies = ensure_companies(today)
    roles = ensure_roles(users, ROLES)
    candidates = _ensure_candidates(spec.candidates, users, companies, today)
    applications = _ensure_applications(spec.applications, candidates, roles, users, companies, now)
    _ensure_activities(spec.activities, candidates, roles, applications, users, now)


# --- Reporting -----------------------------------------------------------------------------


def summarize() -> str:
    """One line saying what exists, for the command's output."""
    companies = Company.objects.count()
    competitors = Company.objects.filter(kind=Company.Kind.COMPETITOR).count()
    pauses = CompanyPause.objects.count()
    candidates = Candidate.objects.count()
    bench = CandidateEmail.objects.filter(email__iendswith="@" + BENCH_EMAIL_DOMAIN).count()
    at_risk = Candidate.objects.filter(
        relationship=Candidate.Relationship.EMPLOYEE, flight_risk=True
    ).count()
    return (
        f"Closer demo: {companies} companies ({competitors} competitors, {pauses} pauses), "
        f"{Role.objects.count()} roles, {candidates} candidates ({bench} bench, "
        f"{at_risk} employees at risk), {Application.objects.count()} applications, "
        f"{StageChange.objects.count()} stage changes, {Activity.objects.count()} activities."
    )
