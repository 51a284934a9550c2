"""The large synthetic data set for benchmarks, written with bulk inserts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from faker import Faker
from tqdm import tqdm

from candidates.models import (
    Candidate,
    CandidateEmail,
    Company,
    Level,
)
from candidates.services import find_or_create_tags

from ..models import Application, Stage, StageChange
from .build import ensure_company, ensure_roles, ensure_users
from .spec import (
    BENCH_EMAIL_DOMAIN,
    BENCH_EMAIL_PREFIX,
    BENCH_ROLE_COUNT,
    CITIES,
    COMPETITORS,
    HIRING_MANAGERS,
    LEVEL_PREFIX,
    LEVEL_WEIGHTS,
    PROFILE_WEIGHTS,
    RECRUITERS,
    SEED,
    SPECIALTY_WEIGHTS,
    TAGS,
    TEAM_DISCIPLINE,
    Kind,
    RoleSpec,
    draw_motivators,
    estimate_pay,
    job_title,
    weighted,
)

# --- The benchmark data set ----------------------------------------------------------------


def bench_email(number: int) -> str:
    return f"{BENCH_EMAIL_PREFIX}{number:06d}@{BENCH_EMAIL_DOMAIN}"


def bench_candidates() -> Iterator[int]:
    """The numbers of the bench candidates already in the database."""
    emails = CandidateEmail.objects.filter(
        email__istartswith=BENCH_EMAIL_PREFIX, email__iendswith="@" + BENCH_EMAIL_DOMAIN
    ).values_list("email", flat=True)
    for email in emails.iterator(chunk_size=10_000):
        number = email[len(BENCH_EMAIL_PREFIX) : email.index("@")]
        if number.isdigit():
            yield int(number)


BENCH_COMPANY_WORDS = (
    "Latent",
    "Vector",
    "Gradient",
    "Sparse",
    "Tensor",
    "Kernel",
    "Signal",
    "Lattice",
    "Photon",
    "Cobalt",
    "Ember",
    "Granite",
    "Harbor",
    "Juniper",
    "Lumen",
    "Mosaic",
    "Nimbus",
    "Orchid",
    "Prism",
    "Basalt",
)
BENCH_COMPANY_SUFFIXES = (
    "Labs",
    "AI",
    "Systems",
    "Research",
    "Robotics",
    "Analytics",
    "Compute",
    "Dynamics",
    "Cloud",
    "Networks",
)


def bench_role_specs() -> list[RoleSpec]:
    teams = list(TEAM_DISCIPLINE)
    levels = (Level.SENIOR, Level.STAFF, Level.PRINCIPAL)
    specs = []
    for n in range(BENCH_ROLE_COUNT):
        team, level = teams[(n // len(CITIES)) % len(teams)], levels[n % len(levels)]
        specs.append(
            RoleSpec(
                title=f"{LEVEL_PREFIX[level]}{TEAM_DISCIPLINE[team]} (bench {n + 1:03d})",
                team=team,
                level=level,
                city=CITIES[n % len(CITIES)],
                hiring_manager=HIRING_MANAGERS[n % len(HIRING_MANAGERS)],
                headcount=1 + n % 3,
            )
        )
    return specs


def _ensure_bench_companies() -> list[int]:
    names = [f"{w} {s}" for w in BENCH_COMPANY_WORDS for s in BENCH_COMPANY_SUFFIXES]
    Company.objects.bulk_create(
        [Company(name=name, kind=Company.Kind.EMPLOYER) for name in names], ignore_conflicts=True
    )
    lowered = [n.lower() for n in names]
    return list(
        Company.objects.annotate(lower=Lower("name"))
        .filter(lower__in=lowered)
        .order_by("name")
        .values_list("pk", flat=True)
    )


class _BenchPools:
    """Everything a bench candidate is drawn from, loaded once."""

    def __init__(self) -> None:
        users = ensure_users()
        self.owner_ids = [users[name].pk for name in RECRUITERS]
        roles = ensure_roles(users, bench_role_specs())
        self.role_ids = [role.pk for role in roles.values()]
        self.stages: dict[int, dict[str, int]] = {}
        # The first stage of each kind, as _stage_of_kind picks it.
        for role_id, kind, stage_id in (
            Stage.objects.filter(role_id__in=self.role_ids)
            .order_by("-position")
            .values_list("role_id", "kind", "pk")
        ):
            self.stages.setdefault(role_id, {})[kind] = stage_id
        self.company_ids = _ensure_bench_companies()
        self.competitor_ids = [
            ensure_company(name, Company.Kind.COMPETITOR, website).pk
            for name, website in COMPETITORS
        ]
        self.tag_ids = [t.pk for t in find_or_create_tags(TAGS)]
        faker = Faker([c.locale for c in CITIES])
        faker.seed_instance(SEED)
        self.first_names = {
            c.locale: [faker[c.locale].first_name() for _ in range(300)] for c in CITIES
        }
        self.last_names = {
            c.locale: [faker[c.locale].last_name() for _ in range(600)] for c in CITIES
        }


_BENCH_CITY_WEIGHTS = (40, 15, 15, 15, 15)
_BENCH_APPS_PER_CANDIDATE = {1: 15, 2: 25, 3: 25, 4: 20, 5: 15}  # 2.95 on average
_BENCH_LOST_REASONS = {
    "competing_offer": 15,
    "declined": 10,
    "not_interested": 25,
    "no_response": 30,
    "not_a_fit": 15,
    "withdrew": 5,
}
_BENCH_OPEN_STAGES = {
    Kind.SOURCED: 30,
    Kind.CONTACTED: 22,
    Kind.REPLIED: 12,
    Kind.SCREEN: 14,
    Kind.INTERVIEWS: 14,
    Kind.OFFER: 8,
}


def _bench_candidate(
    number: int, pools: _BenchPools, today: date, now: datetime
) -> tuple[Candidate, list[int], list[Application]]:
    # One generator per candidate: the same number always gives the same person, however
    # many runs it took to get there.
    rng = random.Random(SEED * 1_000_003 + number)
    city = rng.choices(CITIES, weights=_BENCH_CITY_WEIGHTS)[0]
    first = rng.choice(pools.first_names[city.locale])
    last = rng.choice(pools.last_names[city.locale])
    level = weighted(rng, LEVEL_WEIGHTS)
    specialty = weighted(rng, SPECIALTY_WEIGHTS)
    source = weighted(rng, {"sourced": 55, "referral": 15, "inbound": 15, "agency": 10, "event": 5})
    consent = (
        Candidate.ConsentBasis.CONSENT
        if source in (Candidate.Source.INBOUND, Candidate.Source.REFERRAL)
        else Candidate.ConsentBasis.LEGITIMATE_INTEREST
    )
    base, bonus, equity = estimate_pay(rng, level, city)
    motivators = draw_motivators(rng, weighted(rng, PROFILE_WEIGHTS))
    owner_id = rng.choice(pools.owner_ids)

    applications = []
    hired = False
    count = weighted(rng, _BENCH_APPS_PER_CANDIDATE)
    for role_id in rng.sample(pools.role_ids, count):
        stages = pools.stages[role_id]
        entered = now - timedelta(minutes=rng.randint(0, 90 * 24 * 60))
        status, reason, lost_to = Application.Status.OPEN, "", None
        r = rng.random()
        if r < 0.02 and not hired:
            status, stage_id, hired = Application.Status.HIRED, stages[Kind.HIRED], True
        elif r < 0.2:
            status, stage_id = Application.Status.LOST, stages[Kind.LOST]
            reason = weighted(rng, _BENCH_LOST_REASONS)
            if reason == Application.LostReason.COMPETING_OFFER:
                lost_to = rng.choice(pools.competitor_ids)
        else:
            stage_id = stages[weighted(rng, _BENCH_OPEN_STAGES)]
        applications.append(
            Application(
                role_id=role_id,
                stage_id=stage_id,
                # Its one change (below) is its whole history: the stage is its furthest.
                furthest_stage_id=None if status == Application.Status.LOST else stage_id,
                status=status,
                lost_reason=reason,
                lost_to_id=lost_to,
                stage_entered_at=entered,
                closed_at=entered if status != Application.Status.OPEN else None,
            )
        )

    candidate = Candidate(
        name=f"{first} {last}",
        city=city.name,
        country=city.country,
        timezone=city.timezone,
        current_company_id=rng.choice(pools.company_ids),
        current_title=job_title(specialty, level, "company"),
        specialty=specialty,
        level=level,
        linkedin_url=f"https://www.linkedin.com/in/{BENCH_EMAIL_PREFIX}{number:06d}",
        source=source,
        referrer=(
            f"{rng.choice(pools.first_names[city.locale])} {last}"
            if source == Candidate.Source.REFERRAL
            else ""
        ),
        owner_id=owner_id,
        relationship=(
            Candidate.Relationship.EMPLOYEE if hired else Candidate.Relationship.CANDIDATE
        ),
        consent_basis=consent,
        consent_date=today - timedelta(days=rng.randint(1, 700)),
        current_base=base,
        current_bonus=bonus,
        current_equity_per_year=equity,
        current_pay_currency_id=city.currency,
        **motivators,
    )
    tag_ids = rng.sample(pools.tag_ids, rng.choice((0, 0, 1, 1, 2, 3)))
    return candidate, tag_ids, applications


def build_bench(total: int, *, batch_size: int = 2000, progress: bool = True) -> int:
    """Makes bench candidates 0..total-1 exist, with their applications; returns how many it
    created. Bulk inserts, one transaction per batch: an interrupted run loses one batch at
    most, and the next run picks up the numbers still missing."""
    existing = set(bench_candidates())
    missing = [n for n in range(total) if n not in existing]
    if not missing:
        return 0
    pools = _BenchPools()
    through = Candidate.tags.through
    today, now = timezone.localdate(), timezone.now()
    with tqdm(total=len(missing), unit="candidate", desc="bench", disable=not progress) as bar:
        for start in range(0, len(missing), batch_size):
            numbers = missing[start : start + batch_size]
            rows = [_bench_candidate(n, pools, today, now) for n in numbers]
            with transaction.atomic():
                candidates = Candidate.objects.bulk_create([c for c, _, _ in rows])
                CandidateEmail.objects.bulk_create(
                    CandidateEmail(candidate_id=c.pk, email=bench_email(n), is_primary=True)
                    for n, c in zip(numbers, candidates, strict=True)
                )
                through.objects.bulk_create(
                    through(candidate_id=c.pk, tag_id=tag_id)
                    for c, tag_ids, _ in rows
                    for tag_id in tag_ids
                )
                applications = []
                for candidate, _, apps in rows:
                    for app in apps:
                        app.candidate_id = candidate.pk
                        applications.append((app, candidate.owner_id))
                Application.objects.bulk_create(
                    [app for app, _ in applications], batch_size=batch_size * 2
                )
                StageChange.objects.bulk_create(
                    (
                        StageChange(
                            application_id=app.pk,
                            from_stage=None,
                            to_stage_id=app.stage_id,
                            changed_at=app.stage_entered_at,
                            changed_by_id=owner_id,
                        )
                        for app, owner_id in applications
                    ),
                    batch_size=batch_size * 2,
                )
            bar.update(len(numbers))
    return len(missing)
