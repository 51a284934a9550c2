"""Demo data for Closer, and the builders that put it in the database.

`build_demo()` makes the small, hand-shaped demo set in the market of DESIGN.md: a competitor
about to go quiet for a week, our own people at risk of being poached, a candidate lost to a
competing offer, stale applications. `build_bench(n)` adds a large synthetic data set for
benchmarks, written with bulk inserts.

Both are idempotent. Rows are matched on natural keys (company name, username, role title and
city, candidate email) and only what is missing is created, so a second run changes nothing.
Everything is drawn from generators seeded with SEED, and the whole demo is computed before the
database is looked at, so what already exists never shifts what is generated next: the demo is
the same on every run and on every machine. Dates are relative to the day of the run.
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from faker import Faker
from tqdm import tqdm

from candidates.models import (
    MOTIVATORS,
    Candidate,
    CandidateEmail,
    Company,
    CompanyPause,
    Level,
)
from candidates.services import find_or_create_tags

from .apps import RECRUITER_GROUP
from .models import Activity, Application, Role, Stage, StageChange
from .services import add_to_pipeline, log_activity, mark_hired, mark_lost, move_stage, open_role

SEED = 2025
# The rate DESIGN.md's figures imply; demo pay in Europe is quoted in euros.
EUR_PER_USD = Decimal("0.847")
OUR_COMPANY = "Closer Labs"

BENCH_EMAIL_PREFIX = "bench-"
BENCH_EMAIL_DOMAIN = "bench.example"
BENCH_ROLE_COUNT = 100

Kind = Stage.Kind
Specialty = Candidate.Specialty
OPEN_KINDS = (Kind.SOURCED, Kind.CONTACTED, Kind.REPLIED, Kind.SCREEN, Kind.INTERVIEWS, Kind.OFFER)
TIME_LIMITS = {  # days, as in DEFAULT_PIPELINE
    Kind.SOURCED: 14,
    Kind.CONTACTED: 7,
    Kind.REPLIED: 5,
    Kind.SCREEN: 10,
    Kind.INTERVIEWS: 21,
    Kind.OFFER: 10,
}


# --- The world -----------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    country: str
    timezone: str
    locale: str
    currency: str
    # Pay for the same person relative to San Francisco, in percent, before conversion:
    # DESIGN.md has Europe cheaper, which is how smaller companies compete.
    pay_factor: tuple[int, int]
    # Numbers reserved for drama and fiction, so no real person is ever dialled.
    phone_prefix: str
    phone_digits: int


SAN_FRANCISCO = City(
    "San Francisco", "US", "America/Los_Angeles", "en_US", "USD", (100, 100), "+1 415 555 01", 2
)
LONDON = City("London", "GB", "Europe/London", "en_GB", "EUR", (50, 70), "+44 20 7946 0", 3)
PARIS = City("Paris", "FR", "Europe/Paris", "fr_FR", "EUR", (40, 55), "+33 1 99 00 ", 4)
BERLIN = City("Berlin", "DE", "Europe/Berlin", "de_DE", "EUR", (40, 55), "+49 30 23125 ", 3)
ZURICH = City("Zurich", "CH", "Europe/Zurich", "de_CH", "EUR", (50, 70), "", 0)
CITIES = (SAN_FRANCISCO, LONDON, PARIS, BERLIN, ZURICH)

# Researchers move: a share of each city's people have names from elsewhere.
OTHER_LOCALES = ("en_IN", "it_IT", "es_ES", "pl_PL", "nl_NL", "pt_BR")

COMPETITORS = (
    ("Meridian AI", "https://www.meridian-ai.example"),
    ("Polaris Research", "https://polaris-research.example"),
    ("Helix Intelligence", "https://helix-intelligence.example"),
    ("Aurora Labs", "https://auroralabs.example"),
    ("Northwind Compute", "https://northwind-compute.example"),
    ("Tessellate", "https://tessellate.example"),
)
BIG_TECH = (
    ("Cirrus Cloud", "https://cirrus-cloud.example"),
    ("Quantica Devices", "https://quantica.example"),
    ("Vastline Search", "https://vastline.example"),
)
UNIVERSITIES = {
    "San Francisco": ("Stanford University", "https://www.stanford.edu"),
    "London": ("University College London", "https://www.ucl.ac.uk"),
    "Paris": ("Inria", "https://www.inria.fr"),
    "Berlin": ("Technische Universität Berlin", "https://www.tu.berlin"),
    "Zurich": ("ETH Zurich", "https://ethz.ch"),
}

# The lab whose quiet week is coming: poaching during it is the tactic DESIGN.md describes.
QUIET_LAB = "Meridian AI"

RECRUITERS = ("rita", "sam")
HIRING_MANAGERS = ("hana", "marc", "lena")
USERS = (
    ("rita", "Rita", "Alvarez"),
    ("sam", "Sam", "Okafor"),
    ("hana", "Hana", "Kobayashi"),
    ("marc", "Marc", "Duval"),
    ("lena", "Lena", "Vogel"),
)

TAGS = ("top-50", "publishes", "ex-frontier-lab", "open-source", "phd", "relocation-ok")


@dataclass(frozen=True)
class RoleSpec:
    title: str
    team: str
    level: str
    city: City
    hiring_manager: str
    headcount: int
    remote_ok: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.title, self.city.name)


ROLES = (
    RoleSpec(
        "Staff Research Scientist, Pre-training",
        "Pre-training",
        Level.STAFF,
        SAN_FRANCISCO,
        "hana",
        2,
    ),
    RoleSpec("Senior Inference Engineer", "Inference", Level.SENIOR, SAN_FRANCISCO, "hana", 3),
    RoleSpec("Principal Research Scientist, Safety", "Safety", Level.PRINCIPAL, LONDON, "hana", 1),
    RoleSpec(
        "Senior Research Engineer, Interpretability",
        "Interpretability",
        Level.SENIOR,
        LONDON,
        "lena",
        2,
        remote_ok=True,
    ),
    RoleSpec(
        "Staff Research Scientist, Post-training", "Post-training", Level.STAFF, PARIS, "marc", 2
    ),
    RoleSpec(
        "Senior Research Scientist, Pre-training", "Pre-training", Level.SENIOR, PARIS, "marc", 1
    ),
    RoleSpec("Senior Inference Engineer", "Inference", Level.SENIOR, BERLIN, "lena", 2),
    RoleSpec(
        "Staff Research Scientist, Interpretability",
        "Interpretability",
        Level.STAFF,
        ZURICH,
        "lena",
        1,
    ),
)
TEAM_SPECIALTIES = {
    "Pre-training": (Specialty.PRETRAINING, Specialty.MULTIMODAL),
    "Post-training": (Specialty.POSTTRAINING,),
    "Inference": (Specialty.INFERENCE, Specialty.INFRASTRUCTURE),
    "Safety": (Specialty.SAFETY,),
    "Interpretability": (Specialty.INTERPRETABILITY,),
}
TEAM_DISCIPLINE = {
    "Pre-training": "Research Scientist, Pre-training",
    "Post-training": "Research Scientist, Post-training",
    "Inference": "Inference Engineer",
    "Safety": "Research Scientist, Safety",
    "Interpretability": "Research Engineer, Interpretability",
}

SPECIALTY_WEIGHTS = {
    Specialty.PRETRAINING: 4,
    Specialty.POSTTRAINING: 3,
    Specialty.INFERENCE: 3,
    Specialty.INFRASTRUCTURE: 2,
    Specialty.SAFETY: 3,
    Specialty.INTERPRETABILITY: 3,
    Specialty.MULTIMODAL: 1,
    Specialty.ROBOTICS: 1,
    Specialty.RESEARCH_ENGINEERING: 2,
}
DISCIPLINE = {
    Specialty.PRETRAINING: "Research Scientist, Pre-training",
    Specialty.POSTTRAINING: "Research Scientist, RLHF",
    Specialty.INFERENCE: "Inference Engineer",
    Specialty.INFRASTRUCTURE: "ML Infrastructure Engineer",
    Specialty.SAFETY: "Research Scientist, Alignment",
    Specialty.INTERPRETABILITY: "Research Scientist, Interpretability",
    Specialty.MULTIMODAL: "Research Scientist, Multimodal",
    Specialty.ROBOTICS: "Research Engineer, Robotics",
    Specialty.RESEARCH_ENGINEERING: "Research Engineer",
}
LEVEL_PREFIX = {
    Level.MID: "",
    Level.SENIOR: "Senior ",
    Level.STAFF: "Staff ",
    Level.PRINCIPAL: "Principal ",
    Level.DISTINGUISHED: "Distinguished ",
}
ACADEMIC_TITLE = {
    Level.MID: "Postdoctoral Researcher",
    Level.SENIOR: "Postdoctoral Researcher",
    Level.STAFF: "Assistant Professor",
    Level.PRINCIPAL: "Professor",
    Level.DISTINGUISHED: "Professor",
}
LEVEL_WEIGHTS = {
    Level.MID: 3,
    Level.SENIOR: 8,
    Level.STAFF: 5,
    Level.PRINCIPAL: 3,
    Level.DISTINGUISHED: 1,
}

# Total pay a year for the level in San Francisco, USD (DESIGN.md): mid-level to senior
# research scientists $500k-$2M, senior AI researchers $3M-$7M, the exceptional over $10M.
PAY_USD = {
    Level.MID: (500_000, 900_000),
    Level.SENIOR: (800_000, 2_000_000),
    Level.STAFF: (3_000_000, 5_000_000),
    Level.PRINCIPAL: (4_500_000, 7_000_000),
    Level.DISTINGUISHED: (10_500_000, 14_000_000),
}

# What each kind of person weighs (pay, team lead, work quality, research freedom, publishing,
# ethics and impact, location): DESIGN.md says money is not everything.
MOTIVATOR_PROFILES = {
    "publisher": (2, 5, 4, 5, 5, 3, 2),
    "pay_first": (5, 3, 3, 2, 1, 2, 3),
    "mission": (3, 3, 4, 3, 2, 5, 2),
    "team": (3, 5, 5, 3, 3, 3, 2),
    "rooted": (3, 3, 3, 3, 3, 3, 5),
}
PROFILE_WEIGHTS = {"publisher": 3, "pay_first": 3, "mission": 2, "team": 2, "rooted": 1}


# --- Specs: the demo as plain data ---------------------------------------------------------


@dataclass
class CandidateSpec:
    name: str
    email: str
    city: City
    company: str | None
    title: str
    specialty: str
    level: str
    owner: str
    motivators: dict[str, int]
    pay: tuple[Decimal, Decimal, Decimal]
    tags: list[str] = field(default_factory=list)
    linkedin_url: str = ""
    github_url: str = ""
    scholar_url: str = ""
    phone: str = ""
    source: str = Candidate.Source.SOURCED
    referrer: str = ""
    consent_basis: str = Candidate.ConsentBasis.NONE
    consent_days_ago: int | None = None
    relationship: str = Candidate.Relationship.PROSPECT
    flight_risk_reason: str = ""


@dataclass
class ApplicationSpec:
    email: str
    role: RoleSpec
    by: str
    # The open stages it went through, in order; it sits in the last unless it was closed.
    path: list[str]
    outcome: str = Application.Status.OPEN
    lost_reason: str = ""
    lost_to: str | None = None
    lost_note: str = ""
    # How long ago each stage change happened, oldest first; one per change.
    ago: list[timedelta] = field(default_factory=list)


@dataclass
class ActivitySpec:
    email: str
    role: RoleSpec | None
    kind: str
    summary: str
    by: str
    ago: timedelta
    body: str = ""


@dataclass
class DemoSpec:
    candidates: list[CandidateSpec]
    applications: list[ApplicationSpec]
    activities: list[ActivitySpec]


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


K = TypeVar("K")


def _weighted(rng: random.Random, weights: Mapping[K, int]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _round_thousand(amount: Decimal) -> Decimal:
    return (amount / 1000).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 1000


def estimate_pay(rng: random.Random, level: str, city: City) -> tuple[Decimal, Decimal, Decimal]:
    """Base, bonus and equity a year, in the city's currency, drawn from DESIGN.md's ranges."""
    low, high = PAY_USD[level]
    total = Decimal(rng.randrange(low, high + 1, 10_000))
    if city.currency != "USD":
        total = total * Decimal(rng.randint(*city.pay_factor)) / 100 * EUR_PER_USD
    # The higher the pay, the more of it is equity: a $5M package is mostly stock.
    if total >= 2_000_000:
        base_share = rng.randint(8, 14)
    elif total >= 800_000:
        base_share = rng.randint(20, 32)
    else:
        base_share = rng.randint(38, 55)
    base = _round_thousand(total * base_share / 100)
    bonus = _round_thousand(base * rng.randint(10, 20) / 100)
    equity = _round_thousand(total) - base - bonus
    return base, bonus, equity


def draw_motivators(rng: random.Random, profile: str) -> dict[str, int]:
    weights = MOTIVATOR_PROFILES[profile]
    return {
        name: min(5, max(0, weight + rng.choice((-1, 0, 0, 1))))
        for (name, _), weight in zip(MOTIVATORS, weights, strict=True)
    }


def job_title(specialty: str, level: str, company_kind: str) -> str:
    if company_kind == "university":
        return f"{ACADEMIC_TITLE[level]}, Machine Learning"
    return LEVEL_PREFIX[level] + DISCIPLINE[specialty]


def _phone(rng: random.Random, city: City) -> str:
    if not city.phone_digits:
        return ""
    return city.phone_prefix + "".join(rng.choices(string.digits, k=city.phone_digits))


def _links(
    rng: random.Random, first: str, last: str, *, github: bool, scholar: bool
) -> tuple[str, str, str]:
    slug = f"{_ascii(first)}-{_ascii(last)}"
    linkedin = f"https://www.linkedin.com/in/{slug}-{rng.randrange(16**4):04x}"
    gh = f"https://github.com/{_ascii(first)[:1]}{_ascii(last)}" if github else ""
    alphabet = string.ascii_letters + string.digits
    sc = (
        "https://scholar.google.com/citations?user=" + "".join(rng.choices(alphabet, k=12))
        if scholar
        else ""
    )
    return linkedin, gh, sc


class _Names:
    """Seeded person names, with an email address each that no other demo person has."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.faker = Faker([c.locale for c in CITIES] + list(OTHER_LOCALES))
        self.faker.seed_instance(SEED)
        self.used: set[str] = set()

    def person(self, city: City, domains: Sequence[str]) -> tuple[str, str, str]:
        locale = city.locale if self.rng.random() < 0.7 else self.rng.choice(OTHER_LOCALES)
        fake = self.faker[locale]
        first, last = fake.first_name(), fake.last_name()
        local = f"{_ascii(first)}.{_ascii(last)}"
        domain = self.rng.choice(domains)
        email, n = f"{local}@{domain}", 1
        while email in self.used:
            n += 1
            email = f"{local}{n}@{domain}"
        self.used.add(email)
        return first, last, email


def _employees(rng: random.Random, names: _Names) -> list[CandidateSpec]:
    """Our own people that competitors are after: the retention cases."""
    people = (
        (
            SAN_FRANCISCO,
            Specialty.PRETRAINING,
            Level.STAFF,
            "Member of Technical Staff, Pre-training",
            "approached_during_pause",
        ),
        (SAN_FRANCISCO, Specialty.INFERENCE, Level.SENIOR, "Senior Inference Engineer", "manual"),
        (
            LONDON,
            Specialty.SAFETY,
            Level.STAFF,
            "Staff Research Scientist, Safety",
            "approached_during_pause",
        ),
        (
            PARIS,
            Specialty.POSTTRAINING,
            Level.SENIOR,
            "Senior Research Scientist, Post-training",
            "manual",
        ),
        (
            ZURICH,
            Specialty.INTERPRETABILITY,
            Level.PRINCIPAL,
            "Principal Research Scientist, Interpretability",
            "manual",
        ),
    )
    specs = []
    for city, specialty, level, title, reason in people:
        first, last, email = names.person(city, ("example.com",))
        profile = _weighted(rng, PROFILE_WEIGHTS)
        linkedin, github, scholar = _links(rng, first, last, github=True, scholar=True)
        tags = ["publishes"] + (["top-50"] if level in (Level.STAFF, Level.PRINCIPAL) else [])
        specs.append(
            CandidateSpec(
                name=f"{first} {last}",
                email=email,
                city=city,
                company=OUR_COMPANY,
                title=title,
                specialty=specialty,
                level=level,
                owner="rita",
                motivators=draw_motivators(rng, profile),
                pay=estimate_pay(rng, level, city),
                tags=tags,
                linkedin_url=linkedin,
                github_url=github,
                scholar_url=scholar,
                phone=_phone(rng, city),
                consent_basis=Candidate.ConsentBasis.CONTRACT,
                consent_days_ago=rng.randint(200, 900),
                relationship=Candidate.Relationship.EMPLOYEE,
                flight_risk_reason=reason,
            )
        )
    return specs


def _prospects(
    rng: random.Random, names: _Names, employees: list[CandidateSpec]
) -> list[CandidateSpec]:
    cities = [SAN_FRANCISCO] * 12 + [LONDON] * 9 + [PARIS] * 8 + [BERLIN] * 8 + [ZURICH] * 8
    competitors = [name for name, _ in COMPETITORS]
    big_tech = [name for name, _ in BIG_TECH]
    specs = []
    for n, city in enumerate(cities):
        first, last, email = names.person(city, ("example.org", "example.com", "example.net"))
        # The first San Francisco person is the exceptional one, paid over $10M (DESIGN.md).
        level = Level.DISTINGUISHED if n == 0 else _weighted(rng, LEVEL_WEIGHTS)
        specialty = _weighted(rng, SPECIALTY_WEIGHTS)
        r = rng.random()
        if r < 0.5:
            company, kind = rng.choice(competitors), "competitor"
        elif r < 0.75:
            company, kind = rng.choice(big_tech), "big_tech"
        elif r < 0.9:
            company, kind = UNIVERSITIES[city.name][0], "university"
        else:
            company, kind = None, "none"
        profile = "pay_first" if n == 0 else _weighted(rng, PROFILE_WEIGHTS)
        motivators = draw_motivators(rng, profile)
        publishes = kind == "university" or motivators["motivator_publishing"] >= 4
        github = (
            specialty
            in (Specialty.INFERENCE, Specialty.INFRASTRUCTURE, Specialty.RESEARCH_ENGINEERING)
            or rng.random() < 0.5
        )
        linkedin, github_url, scholar = _links(rng, first, last, github=github, scholar=publishes)

        tags = []
        if level in (Level.STAFF, Level.PRINCIPAL, Level.DISTINGUISHED) and rng.random() < 0.5:
            tags.append("top-50")
        if publishes:
            tags.append("publishes")
        if kind == "competitor":
            tags.append("ex-frontier-lab")
        if github and rng.random() < 0.4:
            tags.append("open-source")
        if kind == "university" or rng.random() < 0.3:
            tags.append("phd")
        if motivators["motivator_location"] <= 2 and rng.random() < 0.5:
            tags.append("relocation-ok")

        source = _weighted(
            rng, {"sourced": 45, "referral": 20, "inbound": 15, "agency": 10, "event": 10}
        )
        referrer = ""
        if source == Candidate.Source.REFERRAL:
            referrer = rng.choice(employees).name if rng.random() < 0.5 else names.faker.name()
        if source in (Candidate.Source.INBOUND, Candidate.Source.REFERRAL):
            consent = Candidate.ConsentBasis.CONSENT
        elif rng.random() < 0.85:
            consent = Candidate.ConsentBasis.LEGITIMATE_INTEREST
        else:
            consent = Candidate.ConsentBasis.NONE

        specs.append(
            CandidateSpec(
                name=f"{first} {last}",
                email=email,
                city=city,
                company=company,
                title=job_title(specialty, level, kind),
                specialty=specialty,
                level=level,
                owner=rng.choice(RECRUITERS),
                motivators=motivators,
                pay=estimate_pay(rng, level, city),
                tags=tags,
                linkedin_url=linkedin,
                github_url=github_url,
                scholar_url=scholar,
                phone=_phone(rng, city) if rng.random() < 0.5 else "",
                source=source,
                referrer=referrer,
                consent_basis=consent,
                consent_days_ago=rng.randint(5, 400) if consent else None,
            )
        )
    return specs


def _timeline(rng: random.Random, steps: int, *, last_ago_days: int) -> list[timedelta]:
    """When each of `steps` stage changes happened, oldest first; the last one
    `last_ago_days` ago, the earlier ones a few days apart."""
    ago = [timedelta(days=last_ago_days, hours=rng.randint(1, 9))]
    for _ in range(steps - 1):
        ago.append(ago[-1] + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8)))
    return ago[::-1]


def _applications(rng: random.Random, prospects: list[CandidateSpec]) -> list[ApplicationSpec]:
    roles_by_city: dict[str, list[RoleSpec]] = {}
    for role in ROLES:
        roles_by_city.setdefault(role.city.name, []).append(role)

    apps = []
    for spec in prospects:
        if rng.random() < 0.12:
            continue  # sourced into no pipeline yet: a prospect
        local = roles_by_city[spec.city.name]
        fitting = [r for r in local if spec.specialty in TEAM_SPECIALTIES[r.team]]
        chosen = [rng.choice(fitting or local)]
        if rng.random() < 0.25:
            other = rng.choice(ROLES)  # a second role, perhaps in another city
            if other not in chosen:
                chosen.append(other)
        for role in chosen:
            apps.append(ApplicationSpec(email=spec.email, role=role, by=spec.owner, path=[]))

    open_weights = {
        Kind.SOURCED: 6,
        Kind.CONTACTED: 6,
        Kind.REPLIED: 4,
        Kind.SCREEN: 4,
        Kind.INTERVIEWS: 4,
        Kind.OFFER: 2,
    }
    for n, app in enumerate(apps):
        r = rng.random()
        if n == 0 or r < 0.12:
            app.outcome = Application.Status.LOST
            # Most are lost early, to silence or disinterest; few after an offer.
            reached = rng.choices(range(1, 7), weights=(4, 4, 2, 2, 2, 1))[0]
            app.path = list(OPEN_KINDS[:reached])
            last = app.path[-1]
            if last in (Kind.SOURCED, Kind.CONTACTED):
                app.lost_reason = rng.choice(("no_response", "not_interested"))
            elif last == Kind.OFFER:
                app.lost_reason = "declined"
            else:
                app.lost_reason = rng.choice(("not_a_fit", "withdrew", "not_interested"))
            app.ago = _timeline(rng, len(app.path) + 1, last_ago_days=rng.randint(3, 60))
        elif r < 0.16:
            app.outcome = Application.Status.HIRED
            app.path = list(OPEN_KINDS)
            app.ago = _timeline(rng, len(app.path) + 1, last_ago_days=rng.randint(10, 90))
        else:
            target = _weighted(rng, open_weights)
            app.path = list(OPEN_KINDS[: OPEN_KINDS.index(target) + 1])
            limit = TIME_LIMITS[target]
            # About three in ten sit past their stage's time limit: the stale ones to chase.
            days = limit + rng.randint(2, 20) if rng.random() < 0.3 else rng.randint(0, limit - 1)
            app.ago = _timeline(rng, len(app.path), last_ago_days=days)

    # Someone we hired, in Paris where we win on cost.
    hired = next(a for a in apps[1:] if a.role.city is PARIS)
    hired.outcome, hired.lost_reason, hired.path = Application.Status.HIRED, "", list(OPEN_KINDS)
    hired.ago = _timeline(rng, len(hired.path) + 1, last_ago_days=25)

    # The story DESIGN.md tells: someone we wanted took a competitor's offer.
    lost = apps[0]
    lost.lost_reason = Application.LostReason.COMPETING_OFFER
    lost.lost_to = QUIET_LAB
    lost.path = list(OPEN_KINDS)
    lost.ago = _timeline(rng, len(lost.path) + 1, last_ago_days=12)
    lost.lost_note = (
        f"Accepted a competing offer from {QUIET_LAB}: about $6M a year and a signing bonus "
        "we could not match."
    )
    return apps


def _activities(
    rng: random.Random,
    candidates: dict[str, CandidateSpec],
    applications: list[ApplicationSpec],
    employees: list[CandidateSpec],
    approached: timedelta,
) -> list[ActivitySpec]:
    labels = dict(MOTIVATORS)
    activities = []
    for app in applications:
        person = candidates[app.email]
        first = person.name.split()[0]
        role = app.role

        def at(kind: str, app: ApplicationSpec = app) -> timedelta | None:
            # Shortly after the application entered that stage, and never in the future.
            if kind not in app.path:
                return None
            return max(app.ago[app.path.index(kind)] - timedelta(hours=2), timedelta(minutes=20))

        when = at(Kind.CONTACTED)
        if when and rng.random() < 0.25:
            activities.append(
                ActivitySpec(
                    app.email,
                    role,
                    Activity.Kind.EMAIL,
                    f"Intro email about {role.title} in {role.city.name}",
                    app.by,
                    when,
                    body=f"Hi {first}, I lead hiring for our {role.team} team…",
                )
            )
        when = at(Kind.REPLIED)
        if when and rng.random() < 0.3:
            top = sorted(person.motivators.items(), key=lambda kv: -kv[1])[:2]
            cares = " and ".join(labels[name].lower() for name, _ in top)
            activities.append(
                ActivitySpec(
                    app.email,
                    role,
                    Activity.Kind.CALL,
                    f"Intro call about {role.title} in {role.city.name}",
                    app.by,
                    when,
                    body=f"{first} cares most about {cares}.",
                )
            )
        when = at(Kind.INTERVIEWS)
        if when and rng.random() < 0.35:
            activities.append(
                ActivitySpec(
                    app.email,
                    role,
                    Activity.Kind.MEETING,
                    f"Onsite loop with the {role.team} team in {role.city.name}",
                    role.hiring_manager,
                    max(when - timedelta(days=1), timedelta(minutes=20)),
                )
            )
        if app.lost_reason == Application.LostReason.COMPETING_OFFER:
            activities.append(
                ActivitySpec(
                    app.email,
                    role,
                    Activity.Kind.NOTE,
                    f"Lost to {app.lost_to}",
                    app.by,
                    app.ago[-1],
                    body=app.lost_note,
                )
            )
        elif app.outcome == Application.Status.HIRED:
            activities.append(
                ActivitySpec(
                    app.email,
                    role,
                    Activity.Kind.NOTE,
                    f"Signed for {role.title} in {role.city.name}",
                    app.by,
                    app.ago[-1],
                    body="Start date agreed; relocation package confirmed.",
                )
            )

    for person in employees:
        if person.flight_risk_reason == "approached_during_pause":
            activities.append(
                ActivitySpec(
                    person.email,
                    None,
                    Activity.Kind.NOTE,
                    f"Approached by {QUIET_LAB} during our quiet week",
                    "rita",
                    approached - timedelta(hours=rng.randint(9, 17)),
                    body="Recruiter reached out while the whole company was offline.",
                )
            )
        else:
            activities.append(
                ActivitySpec(
                    person.email,
                    None,
                    Activity.Kind.NOTE,
                    "Flagged as a flight risk",
                    "rita",
                    timedelta(days=rng.randint(5, 30)),
                    body="Manager hears they are talking to other labs.",
                )
            )
        activities.append(
            ActivitySpec(
                person.email,
                None,
                Activity.Kind.MEETING,
                "Retention conversation",
                rng.choice(HIRING_MANAGERS),
                timedelta(days=rng.randint(1, 4)),
            )
        )
    return activities


def demo_spec(today: date) -> DemoSpec:
    """The whole demo as data: the same on every call, with dates relative to `today`."""
    rng = random.Random(SEED)
    names = _Names(rng)
    employees = _employees(rng, names)
    prospects = _prospects(rng, names, employees)
    applications = _applications(rng, prospects)
    in_pipeline = {a.email for a in applications}
    for spec in prospects:
        if spec.email in in_pipeline:
            spec.relationship = Candidate.Relationship.CANDIDATE
    candidates = employees + prospects
    by_email = {c.email: c for c in candidates}
    # Our own people were approached on the Wednesday of our last quiet week.
    ours = next(p for p in demo_pauses(today) if p[0] == OUR_COMPANY)
    approached = today - (ours[1] + timedelta(days=2))
    activities = _activities(rng, by_email, applications, employees, approached)
    return DemoSpec(candidates, applications, activities)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def demo_pauses(today: date) -> list[tuple[str, date, date, str]]:
    """(company, starts_on, ends_on, reason): quiet weeks, Monday to Friday, around today."""
    upcoming = _monday_on_or_after(today + timedelta(days=7))  # 7 to 13 days away
    first_of_month = today.replace(day=1)
    last_month = _monday_on_or_after((first_of_month - timedelta(days=1)).replace(day=8))
    quarter_month = (today.month - 1) // 3 * 3 + 4
    year = today.year + (quarter_month > 12)
    next_quarter = _monday_on_or_after(date(year, (quarter_month - 1) % 12 + 1, 8))
    ours = _monday_on_or_after(today - timedelta(days=26))  # ended a fortnight or so ago
    week = timedelta(days=4)
    return [
        (QUIET_LAB, upcoming, upcoming + week, "Company-wide quiet week"),
        ("Polaris Research", last_month, last_month + week, "Recharge week"),
        ("Helix Intelligence", next_quarter, next_quarter + week, "Quarterly quiet week"),
        (OUR_COMPANY, ours, ours + week, f"{OUR_COMPANY} quiet week"),
    ]


# --- Writing the demo ----------------------------------------------------------------------


def _company(name: str, kind: str, website: str = "") -> Company:
    company = Company.objects.filter(name__iexact=name).first()
    return company or Company.objects.create(name=name, kind=kind, website=website)


def ensure_users() -> dict[str, AbstractBaseUser]:
    """The demo's recruiters and hiring managers: owners of rows, not logins."""
    group, _ = Group.objects.get_or_create(name=RECRUITER_GROUP)
    user_model = get_user_model()
    users = {}
    for username, first, last in USERS:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@closer.example",
                "is_staff": True,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(group)
        users[username] = user
    return users


def ensure_companies(today: date) -> dict[str, Company]:
    ours = Company.objects.filter(kind=Company.Kind.OURS).first() or _company(
        OUR_COMPANY, Company.Kind.OURS, "https://closer-labs.example"
    )
    companies = {OUR_COMPANY: ours}
    for name, website in COMPETITORS:
        companies[name] = _company(name, Company.Kind.COMPETITOR, website)
    for name, website in (*BIG_TECH, *UNIVERSITIES.values()):
        companies[name] = _company(name, Company.Kind.EMPLOYER, website)
    for name, starts_on, ends_on, reason in demo_pauses(today):
        # Matched on company and reason, not dates: the dates move with the day of the run.
        CompanyPause.objects.get_or_create(
            company=companies[name],
            reason=reason,
            defaults={"starts_on": starts_on, "ends_on": ends_on},
        )
    return companies


def ensure_roles(
    users: dict[str, AbstractBaseUser], specs: Iterable[RoleSpec]
) -> dict[tuple[str, str], Role]:
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
    users: dict[str, AbstractBaseUser],
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
    StageChange.objects.bulk_update(changes, ["changed_at"])
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
    users: dict[str, AbstractBaseUser],
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
    for spec in specs:
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
    users: dict[str, AbstractBaseUser],
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
            _company(name, Company.Kind.COMPETITOR, website).pk for name, website in COMPETITORS
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
    level = _weighted(rng, LEVEL_WEIGHTS)
    specialty = _weighted(rng, SPECIALTY_WEIGHTS)
    source = _weighted(
        rng, {"sourced": 55, "referral": 15, "inbound": 15, "agency": 10, "event": 5}
    )
    consent = (
        Candidate.ConsentBasis.CONSENT
        if source in (Candidate.Source.INBOUND, Candidate.Source.REFERRAL)
        else Candidate.ConsentBasis.LEGITIMATE_INTEREST
    )
    base, bonus, equity = estimate_pay(rng, level, city)
    motivators = draw_motivators(rng, _weighted(rng, PROFILE_WEIGHTS))
    owner_id = rng.choice(pools.owner_ids)

    applications = []
    hired = False
    count = _weighted(rng, _BENCH_APPS_PER_CANDIDATE)
    for role_id in rng.sample(pools.role_ids, count):
        stages = pools.stages[role_id]
        entered = now - timedelta(minutes=rng.randint(0, 90 * 24 * 60))
        status, reason, lost_to = Application.Status.OPEN, "", None
        r = rng.random()
        if r < 0.02 and not hired:
            status, stage_id, hired = Application.Status.HIRED, stages[Kind.HIRED], True
        elif r < 0.2:
            status, stage_id = Application.Status.LOST, stages[Kind.LOST]
            reason = _weighted(rng, _BENCH_LOST_REASONS)
            if reason == Application.LostReason.COMPETING_OFFER:
                lost_to = rng.choice(pools.competitor_ids)
        else:
            stage_id = stages[_weighted(rng, _BENCH_OPEN_STAGES)]
        applications.append(
            Application(
                role_id=role_id,
                stage_id=stage_id,
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
