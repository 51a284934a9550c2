"""The demo as data: who, where, what they earn and weigh, drawn from seeded generators.

Everything here is computed without the database, so the demo is the same on every run.
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from faker import Faker

from candidates.models import (
    MOTIVATORS,
    Candidate,
    Level,
)

from ..models import Activity, Application, Stage

SEED = 2025
# The rate docs/market.md's figures imply; demo pay in Europe is quoted in euros.
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
    # docs/market.md has Europe cheaper, which is how smaller companies compete.
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

# The lab whose quiet week is coming: poaching during it is the tactic docs/market.md describes.
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
# The hiring managers among them (the roles name them): the others are recruiters.
HIRING_MANAGERS = ("hana", "marc", "lena")

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


# Headcounts stay above the demo's hires, so every demo role is still open and hiring.
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
        "Senior Research Scientist, Pre-training", "Pre-training", Level.SENIOR, PARIS, "marc", 2
    ),
    RoleSpec("Senior Inference Engineer", "Inference", Level.SENIOR, BERLIN, "lena", 2),
    RoleSpec(
        "Staff Research Scientist, Interpretability",
        "Interpretability",
        Level.STAFF,
        ZURICH,
        "lena",
        2,
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
DISCIPLINE: dict[str, str] = {
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
LEVEL_PREFIX: dict[str, str] = {
    Level.MID: "",
    Level.SENIOR: "Senior ",
    Level.STAFF: "Staff ",
    Level.PRINCIPAL: "Principal ",
    Level.DISTINGUISHED: "Distinguished ",
}
ACADEMIC_TITLE: dict[str, str] = {
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

# Total pay a year for the level in San Francisco, USD (docs/market.md): mid-level to senior
# research scientists $500k-$2M, senior AI researchers $3M-$7M, the exceptional over $10M.
PAY_USD: dict[str, tuple[int, int]] = {
    Level.MID: (500_000, 900_000),
    Level.SENIOR: (800_000, 2_000_000),
    Level.STAFF: (3_000_000, 5_000_000),
    Level.PRINCIPAL: (4_500_000, 7_000_000),
    Level.DISTINGUISHED: (10_500_000, 14_000_000),
}

# What each kind of person weighs (pay, team lead, work quality, research freedom, publishing,
# ethics and impact, location): docs/market.md says money is not everything.
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


def weighted(rng: random.Random, weights: Mapping[K, int]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _round_thousand(amount: Decimal) -> Decimal:
    return (amount / 1000).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 1000


def estimate_pay(rng: random.Random, level: str, city: City) -> tuple[Decimal, Decimal, Decimal]:
    """Base, bonus and equity a year, in the city's currency, drawn from docs/market.md's ranges."""
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
        profile = weighted(rng, PROFILE_WEIGHTS)
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
        # The first San Francisco person is the exceptional one, paid over $10M (docs/market.md).
        level = Level.DISTINGUISHED if n == 0 else weighted(rng, LEVEL_WEIGHTS)
        specialty = weighted(rng, SPECIALTY_WEIGHTS)
        r = rng.random()
        if r < 0.5:
            company, kind = rng.choice(competitors), "competitor"
        elif r < 0.75:
            company, kind = rng.choice(big_tech), "big_tech"
        elif r < 0.9:
            company, kind = UNIVERSITIES[city.name][0], "university"
        else:
            company, kind = None, "none"
        profile = "pay_first" if n == 0 else weighted(rng, PROFILE_WEIGHTS)
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

        source = weighted(
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
            target = weighted(rng, open_weights)
            app.path = list(OPEN_KINDS[: OPEN_KINDS.index(target) + 1])
            limit = TIME_LIMITS[target]
            # About three in ten sit past their stage's time limit: the stale ones to chase.
            days = limit + rng.randint(2, 20) if rng.random() < 0.3 else rng.randint(0, limit - 1)
            app.ago = _timeline(rng, len(app.path), last_ago_days=days)

    # Someone we hired, in Paris where we win on cost.
    hired = next(a for a in apps[1:] if a.role.city is PARIS)
    hired.outcome, hired.lost_reason, hired.path = Application.Status.HIRED, "", list(OPEN_KINDS)
    hired.ago = _timeline(rng, len(hired.path) + 1, last_ago_days=25)

    # The story docs/market.md tells: someone we wanted took a competitor's offer.
    lost = apps[0]
    lost.lost_reason = Application.LostReason.COMPETING_OFFER
    lost.lost_to = QUIET_LAB
    lost.path = list(OPEN_KINDS)
    lost.ago = _timeline(rng, len(lost.path) + 1, last_ago_days=12)
    lost.lost_note = (
        # No amounts in a note: whoever may not see compensation still reads notes.
        f"Accepted a competing offer from {QUIET_LAB}, with a signing bonus we could not match."
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
    # 1 to 7 days away: within the pause-risk warning, so the demo shows that alert at once.
    upcoming = _monday_on_or_after(today + timedelta(days=1))
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
