"""The reports' benchmark data, on top of `seed_demo --candidates N` (bench/reports.py runs it).

The bench set (recruiting/pipeline/demo/bench.py) has candidates and applications, each with
one stage change (into its current stage) and no offers or outreach. The reports read
offers, competing offers, stage paths and outreach sends, so this adds, with bulk inserts,
once (each part is skipped when its rows exist):

- stage paths: each bench application's changes from Sourced up to its current stage, days
  apart (a lost application through the stage it was lost at: an offer declined or a rival's
  accepted at Offer, no response after Contacted...), in place of its single change;
- 20,000 offers: accepted for the hired applications, declined for those lost at the offer
  (with the decline and, when lost to a rival, the rival named), open ones (draft to sent) in
  Offer; a tenth revised once (the counter-offer: the first version superseded); approvals
  decided by a group of bench approvers, hours after they were asked; in USD in Silicon
  Valley and EUR in Europe, near the market's bands (some above);
- 10,000 competing offers, a rival per competitor with its own level of pay drifting quarter
  by quarter, recorded over the last year, every certainty (rumoured included): the winner's
  on the applications lost to a rival, others on hired and open applications, and outside
  offers to employees;
- outreach: a three-step sequence and an enrollment for every candidate's first application,
  its emails sent on the days of its stage path, replied, opted out, bounced, completed.

The report figures of every package are then written by offers.figures.refresh_missing, the
code the nightly job runs: each is valued by the engine from its components, as in use.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from candidates.models import Candidate, CandidateEmail, Company
from offers.demo import EUR_PER_USD, build_market
from offers.figures import refresh_missing
from offers.models import (
    Approval,
    CompetingOffer,
    EquityGrant,
    Offer,
    OfferDecline,
    OfferPayment,
    VestingYear,
)
from offers.permissions import APPROVER_GROUP
from recruiting.outreach.models import (
    AddressBounce,
    Enrollment,
    MessageTemplate,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.pipeline.demo.spec import BENCH_EMAIL_DOMAIN, BENCH_EMAIL_PREFIX
from recruiting.pipeline.models import Application, Role, Stage, StageChange

# The SQL that computed, for the history there was, what the pipeline keeps from it.
_KEPT = importlib.import_module("recruiting.pipeline.migrations.0010_stay_ends_and_furthest_stage")
STAY_ENDS, FURTHEST = _KEPT.STAY_ENDS, _KEPT.FURTHEST
_FIRSTS = importlib.import_module("recruiting.pipeline.migrations.0011_first_contact")
FIRST_ADVANCED, FIRST_EMAILED = _FIRSTS.FIRST_ADVANCED, _FIRSTS.FIRST_EMAILED
_LASTS = importlib.import_module("recruiting.outreach.migrations.0006_enrollment_last_email")
LAST_EMAILS = _LASTS.LAST_EMAILS

SEED = 2026
BATCH = 5000
PATH = ("sourced", "contacted", "replied", "screen", "interviews", "offer")
# Where an application lost for each reason left the pipeline.
LOST_AT: dict[str, tuple[str, ...]] = {
    "competing_offer": ("offer",),
    "declined": ("offer",),
    "no_response": ("contacted",),
    "not_interested": ("contacted", "replied"),
    "not_a_fit": ("screen", "interviews"),
    "withdrew": ("contacted", "replied", "screen", "interviews"),
}
# Total pay a year, in thousands of USD, by level (docs/market.md's ranges).
PAY_USD = {"senior": (900, 2000), "staff": (3000, 5000), "principal": (4000, 7000)}
EUROPE_SHARE = Decimal("0.65")
OPEN_OFFERS = {"draft": 20, "pending_approval": 20, "approved": 15, "sent": 45}
CONFIDENCE = {"rumoured": 15, "verbal": 35, "written": 35, "verified": 15}
# Each rival's pay against the market, and how much it rises a quarter.
RIVAL_LEVEL = (Decimal("1.25"), Decimal("1.05"), Decimal("1.10"), Decimal("0.95"), Decimal("0.90"))
RIVAL_DRIFT = (Decimal("0.04"), Decimal("0.00"), Decimal("0.02"), Decimal("-0.01"), Decimal("0.03"))
SEQUENCE = "Bench: first touch"
STEP_DAYS = (0, 4, 9)
BENCH_SOURCE = "bench"

M = TypeVar("M", bound=Model)


def _insert(model: type[M], rows: list[M]) -> list[M]:
    return model._default_manager.bulk_create(rows, batch_size=BATCH)


def _copy(model: type[Model], columns: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> int:
    """Rows into the model's table with PostgreSQL's COPY: a million stage changes through
    bulk_create took minutes of Python."""
    count = 0
    columns_sql = ", ".join(columns)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {model._meta.db_table} ({columns_sql}) FROM STDIN"  # our own names
        ) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def bench_applications() -> QuerySet[Application]:
    return Application.objects.filter(
        candidate__emails__email__startswith=BENCH_EMAIL_PREFIX,
        candidate__emails__email__endswith="@" + BENCH_EMAIL_DOMAIN,
    )


@dataclass
class App:
    """What the generator reads of one bench application, and the path it is given."""

    pk: int
    candidate_id: int
    role_id: int
    status: str
    lost_reason: str
    lost_to_id: int | None
    kind: str
    entered: datetime
    owner_id: int
    zone: str
    level: str
    path: list[tuple[str, datetime]] = field(default_factory=list)

    def reached(self, kind: str) -> datetime | None:
        return next((at for k, at in self.path if k == kind), None)


def _load(rng: random.Random) -> tuple[list[App], dict[int, dict[str, int]]]:
    """Every bench application (one query), and each bench role's stage of each kind."""
    stages: dict[int, dict[str, int]] = {}
    for role_id, kind, pk in (
        Stage.objects.filter(role__title__contains="(bench ")
        .order_by("-position")
        .values_list("role_id", "kind", "pk")
    ):
        stages.setdefault(role_id, {})[kind] = pk
    apps = []
    rows = (
        bench_applications()
        .order_by("pk")
        .values_list(
            "pk",
            "candidate_id",
            "role_id",
            "status",
            "lost_reason",
            "lost_to_id",
            "stage__kind",
            "stage_entered_at",
            "candidate__owner_id",
            "role__zone",
            "role__level",
        )
    )
    for row in rows.iterator(chunk_size=10_000):
        app = App(*row)
        app.path = _path(rng, app)
        apps.append(app)
    return apps, stages


def _path(rng: random.Random, app: App) -> list[tuple[str, datetime]]:
    """The stages the application went through, each with when it entered it: the last is
    its current stage at its stage_entered_at, the others 1 to 9 days apart before it."""
    if app.status == Application.Status.HIRED:
        kinds = [*PATH, "hired"]
    elif app.status == Application.Status.LOST:
        left_at = rng.choice(LOST_AT.get(app.lost_reason, PATH[1:]))
        kinds = [*PATH[: PATH.index(left_at) + 1], "lost"]
    else:
        kinds = list(PATH[: PATH.index(app.kind) + 1]) if app.kind in PATH else [app.kind]
    moments = [app.entered]
    for _ in kinds[:-1]:
        moments.append(moments[-1] - timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 23)))
    return list(zip(kinds, reversed(moments), strict=True))


# --- Stage paths ------------------------------------------------------------------------------


def ensure_stage_paths(apps: list[App], stages: dict[int, dict[str, int]]) -> int:
    """Replaces each bench application's single change by its whole path. Returns changes."""
    sample = bench_applications().values("pk")[:1000]
    if StageChange.objects.filter(application__in=sample, from_stage__isnull=False).exists():
        return 0
    with transaction.atomic():
        StageChange.objects.filter(application__in=bench_applications().values("pk")).delete()
        made = _copy(
            StageChange,
            ("application_id", "from_stage_id", "to_stage_id", "changed_at", "changed_by_id"),
            _changes(apps, stages),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE pipeline_application a SET created_at = s.first FROM (SELECT "
                "application_id, min(changed_at) AS first FROM pipeline_stagechange GROUP BY "
                "application_id) s WHERE s.application_id = a.id AND s.first < a.created_at"
            )
            # What the pipeline keeps from a history (recruiting/pipeline/history.py), as its
            # migration computed it: the end of each stay, the furthest stage reached.
            cursor.execute(STAY_ENDS)
            cursor.execute(FURTHEST)
            cursor.execute(FIRST_ADVANCED)
    return made


def _changes(
    apps: list[App], stages: dict[int, dict[str, int]]
) -> Iterator[tuple[int, int | None, int, datetime, int]]:
    for app in apps:
        by_kind = stages[app.role_id]
        previous = None
        for kind, at in app.path:
            yield app.pk, previous, by_kind[kind], at, app.owner_id
            previous = by_kind[kind]


# --- Offers -----------------------------------------------------------------------------------


def _pay(rng: random.Random, level: str, zone: str) -> tuple[str, Decimal]:
    """The currency of the role's zone and a total a year in it."""
    low, high = PAY_USD.get(level, PAY_USD["senior"])
    total = Decimal(rng.randrange(low, high + 1, 10)) * 1000
    if zone == Role.Zone.EUROPE:
        return "EUR", (total * EUROPE_SHARE * EUR_PER_USD).quantize(Decimal(1000))
    return "USD", total


@dataclass
class Terms:
    currency: str
    base: Decimal
    bonus_percent: Decimal
    grant: Decimal
    signing: Decimal


def _terms(rng: random.Random, currency: str, total: Decimal) -> Terms:
    """A package paying about `total` a year: base, target bonus, equity over four years and,
    for a third, a signing bonus."""
    base_share = Decimal(rng.randint(10, 30)) / 100
    base = (total * base_share).quantize(Decimal(1000))
    bonus = Decimal(rng.randint(10, 20))
    equity_a_year = max(total - base - base * bonus / 100, Decimal(0))
    signing = (
        (total * Decimal(rng.randint(10, 40)) / 100).quantize(Decimal(1000))
        if rng.random() < 0.33
        else Decimal(0)
    )
    return Terms(currency, base, bonus, (equity_a_year * 4).quantize(Decimal(1000)), signing)


def _components(packages: list[tuple[Any, Terms]], parent: str) -> None:
    """Each package's equity grant (25% a year, a 12-month cliff) and signing bonus."""
    grants = _insert(
        EquityGrant,
        [EquityGrant(**{parent: p}, value=t.grant) for p, t in packages if t.grant],
    )
    _insert(
        VestingYear,
        [
            VestingYear(grant=g, year=y, percentage=Decimal(25))
            for g in grants
            for y in (1, 2, 3, 4)
        ],
    )
    _insert(
        OfferPayment,
        [
            OfferPayment(**{parent: p}, kind=OfferPayment.Kind.SIGNING, amount=t.signing)
            for p, t in packages
            if t.signing
        ],
    )


def _bench_approvers() -> tuple[Group, list[int]]:
    group = Group.objects.get(name=APPROVER_GROUP)
    users = get_user_model().objects
    ids = []
    for n in range(1, 4):
        user, _ = users.get_or_create(
            username=f"bench-approver-{n}",
            defaults={"email": f"bench-approver-{n}@closer.example", "is_staff": True},
        )
        user.groups.add(group)
        ids.append(user.pk)
    return group, ids


def _offer(app: App, terms: Terms, status: str, times: dict[str, datetime | None]) -> Offer:
    made = times["drafted_at"] or timezone.now()
    return Offer(
        application_id=app.pk,
        currency_id=terms.currency,
        base_salary=terms.base,
        target_bonus_percent=terms.bonus_percent,
        start_date=made.date() + timedelta(days=60),
        status=status,
        drafted_by_id=app.owner_id,
        submitted_by_id=app.owner_id if times["submitted_at"] else None,
        sent_by_id=app.owner_id if times["sent_at"] else None,
        closed_by_id=app.owner_id if times["closed_at"] else None,
        **times,
    )


# How far each status took an offer: drafted, submitted, approved, sent.
STEPS = {"draft": 1, "pending_approval": 2, "approved": 3}


def _times(
    rng: random.Random, status: str, sent: datetime, closed: datetime | None
) -> dict[str, datetime | None]:
    """An offer's moments, back from when it was (or would be) sent, hours to days apart."""
    approved = sent - timedelta(hours=rng.randint(1, 48))
    submitted = approved - timedelta(hours=rng.randint(2, 72))
    steps = STEPS.get(status, 4)
    return {
        "drafted_at": submitted - timedelta(hours=rng.randint(1, 48)),
        "submitted_at": submitted if steps >= 2 else None,
        "approved_at": approved if steps >= 3 else None,
        "sent_at": sent if steps >= 4 else None,
        "expires_at": sent + timedelta(days=14),
        "closed_at": closed,
    }


@dataclass
class Planned:
    app: App
    terms: Terms
    status: str
    times: dict[str, datetime | None]
    first: Terms | None  # the first version's terms, when this one is its counter-offer


def _plan_offer(rng: random.Random, app: App, now: datetime) -> Planned:
    currency, pay = _pay(rng, app.level, app.zone)
    if app.status == Application.Status.OPEN:
        status = rng.choices(list(OPEN_OFFERS), list(OPEN_OFFERS.values()))[0]
        sent, closed = now - timedelta(hours=rng.randint(1, 240)), None
        sent = max(sent, app.entered + timedelta(hours=rng.randint(60, 120)))
        if status == "sent":
            sent = min(sent, now)
    else:
        status = "accepted" if app.status == Application.Status.HIRED else "declined"
        closed = app.entered
        sent = closed - timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 23))
    first = None
    if status in ("sent", "accepted", "declined") and rng.random() < 0.1:
        first = _terms(rng, currency, pay * Decimal("0.85"))
    return Planned(
        app, _terms(rng, currency, pay), status, _times(rng, status, sent, closed), first
    )


def ensure_offers(rng: random.Random, apps: list[App], total: int, now: datetime) -> int:
    """About `total` offers, revisions included: accepted for hired applications, declined for
    those lost at the offer, open ones in Offer. Skipped when the bench has offers."""
    if Offer.objects.filter(application__in=bench_applications().values("pk")).exists():
        return 0
    closed = [
        a
        for a in apps
        if a.status == Application.Status.HIRED or a.lost_reason in ("competing_offer", "declined")
    ]
    in_offer = [a for a in apps if a.status == Application.Status.OPEN and a.kind == "offer"]
    chosen = closed[: int(total * 0.75)]
    chosen += in_offer[: int((total - len(chosen)) / 1.08)]
    planned = [_plan_offer(rng, app, now) for app in chosen]
    group, approvers = _bench_approvers()
    with transaction.atomic():
        firsts = []
        for plan in planned:
            if plan.first is not None and plan.times["sent_at"] is not None:
                earlier = plan.times["sent_at"] - timedelta(days=rng.randint(3, 10))
                times = _times(rng, "superseded", earlier, None)
                firsts.append((_offer(plan.app, plan.first, "superseded", times), plan.first))
        _insert(Offer, [o for o, _ in firsts])
        revised = {o.application_id: o for o, _ in firsts}
        finals = []
        for plan in planned:
            offer = _offer(plan.app, plan.terms, plan.status, plan.times)
            if plan.app.pk in revised:
                offer.version, offer.revises = 2, revised[plan.app.pk]
            finals.append((offer, plan.terms))
        _insert(Offer, [o for o, _ in finals])
        _components(firsts + finals, "offer")
        _approvals(rng, [o for o, _ in firsts + finals], group, approvers)
        _declines(rng, apps, [o for o, _ in finals if o.status == "declined"])
    return len(firsts) + len(finals)


def _approvals(rng: random.Random, offers: list[Offer], group: Group, approvers: list[int]) -> None:
    """Half the submitted offers needed an approval: decided (hours after it was asked) once
    the offer was approved, pending while it waits."""
    rows = []
    for offer in offers:
        if offer.submitted_at is None or rng.random() < 0.5:
            continue
        decided = offer.approved_at
        rows.append(
            Approval(
                offer=offer,
                group=group,
                reason="bench: above the band",
                status=Approval.Status.APPROVED if decided else Approval.Status.PENDING,
                requested_at=offer.submitted_at,
                decided_by_id=rng.choice(approvers) if decided else None,
                decided_at=decided,
            )
        )
    _insert(Approval, rows)


def _declines(rng: random.Random, apps: list[App], declined: list[Offer]) -> None:
    by_pk = {a.pk: a for a in apps}
    reasons = ("compensation", "role", "location", "timing", "other")
    rows = []
    for offer in declined:
        app = by_pk[offer.application_id]
        rival = app.lost_to_id if app.lost_reason == "competing_offer" else None
        rows.append(
            OfferDecline(
                offer=offer,
                reason="other_offer" if rival else rng.choice(reasons),
                competitor_id=rival,
                declined_at=offer.closed_at or timezone.now(),
                recorded_by_id=app.owner_id,
            )
        )
    _insert(OfferDecline, rows)


# --- Competing offers -------------------------------------------------------------------------


def ensure_competing(rng: random.Random, apps: list[App], total: int, now: datetime) -> int:
    """`total` competing offers: the winner's on each application lost to a rival at the
    offer, a third of the other applications with an offer, a few in Interviews, and outside
    offers to employees. Skipped when the bench's exist."""
    if CompetingOffer.objects.filter(source=BENCH_SOURCE).exists():
        return 0
    rivals = list(
        Company.objects.filter(kind=Company.Kind.COMPETITOR)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    offered = set(
        Offer.objects.filter(application__in=bench_applications().values("pk")).values_list(
            "application_id", flat=True
        )
    )
    rows: list[tuple[CompetingOffer, Terms]] = []
    for app in apps:
        if len(rows) >= total * 0.9:
            break
        if app.lost_reason == "competing_offer" and app.lost_to_id and app.pk in offered:
            # The offer that won, above the market.
            factor, rival, at = rng.uniform(1.05, 1.5), app.lost_to_id, app.entered
        elif (app.pk in offered and rng.random() < 0.33) or (
            app.kind == "interviews" and rng.random() < 0.1
        ):
            factor, rival = rng.uniform(0.8, 1.15), rng.choice(rivals)
            at = app.entered - timedelta(days=rng.randint(1, 20))
        else:
            continue
        at -= timedelta(days=rng.randint(1, 5))
        rows.append(
            _competing(
                rng, rivals, rival, app, app.candidate_id, Decimal(factor), at, now, app.owner_id
            )
        )
    employees = (
        Candidate.objects.filter(
            relationship=Candidate.Relationship.EMPLOYEE,
            emails__email__endswith="@" + BENCH_EMAIL_DOMAIN,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    recorder = apps[0].owner_id
    for candidate_id in employees[: max(total - len(rows), 0)]:
        at = now - timedelta(days=rng.randint(0, 365))
        rows.append(
            _competing(
                rng, rivals, rng.choice(rivals), None, candidate_id, Decimal(1), at, now, recorder
            )
        )
    with transaction.atomic():
        _insert(CompetingOffer, [c for c, _ in rows])
        _components(rows, "competing_offer")
    return len(rows)


def _competing(
    rng: random.Random,
    rivals: list[int],
    rival: int,
    app: App | None,
    candidate_id: int,
    factor: Decimal,
    at: datetime,
    now: datetime,
    recorder: int,
) -> tuple[CompetingOffer, Terms]:
    """A rival's offer: its market pay for the level, times the rival's own level, which
    drifts by RIVAL_DRIFT a quarter (so an offer a year old pays less than today's)."""
    n = rivals.index(rival) % len(RIVAL_LEVEL)
    quarters_ago = Decimal((now - at).days // 91)
    currency, pay = _pay(rng, app.level if app else "senior", app.zone if app else "")
    level = RIVAL_LEVEL[n] * (1 - RIVAL_DRIFT[n] * quarters_ago) * factor
    terms = _terms(rng, currency, (pay * level).quantize(Decimal(1000)))
    competing = CompetingOffer(
        candidate_id=candidate_id,
        application_id=app.pk if app else None,
        competitor_id=rival,
        currency_id=currency,
        base_salary=terms.base,
        target_bonus_percent=terms.bonus_percent,
        deadline=at + timedelta(days=rng.randint(5, 21)),
        confidence=rng.choices(list(CONFIDENCE), list(CONFIDENCE.values()))[0],
        source=BENCH_SOURCE,
        recorded_by_id=app.owner_id if app else recorder,
        recorded_at=at,
    )
    return competing, terms


# --- Outreach ---------------------------------------------------------------------------------


def _bench_sequence() -> list[SequenceStep]:
    sequence, _ = Sequence.objects.get_or_create(name=SEQUENCE)
    steps = []
    for position, days in enumerate(STEP_DAYS, start=1):
        template, _ = MessageTemplate.objects.get_or_create(
            name=f"{SEQUENCE}, step {position}",
            defaults={
                "subject": f"Step {position}",
                "body_text": "Hello {{ candidate.first_name }}",
            },
        )
        step, _ = SequenceStep.objects.get_or_create(
            sequence=sequence,
            position=position,
            defaults={"template": template, "delay_business_days": days},
        )
        steps.append(step)
    return steps


def _enrollment_of(rng: random.Random, app: App, now: datetime) -> tuple[str, datetime | None, int]:
    """(status, stopped at, emails sent) from the application's path: a reply is the move to
    Replied; no response after Contacted completes the sequence; a few opted out or bounced."""
    replied = app.reached("replied")
    if replied is not None:
        return Enrollment.Status.REPLIED, replied, 1 + rng.randint(0, 2)
    contacted = app.reached("contacted")
    if contacted is None:
        return Enrollment.Status.ACTIVE, None, 0
    draw = rng.random()
    if draw < 0.04:
        return Enrollment.Status.BOUNCED, contacted + timedelta(hours=1), 1
    if draw < 0.12:
        return Enrollment.Status.OPTED_OUT, contacted + timedelta(days=rng.randint(0, 8)), 1
    if contacted + timedelta(days=STEP_DAYS[-1]) < now:
        return Enrollment.Status.COMPLETED, None, 3
    return Enrollment.Status.ACTIVE, None, 1


def ensure_outreach(rng: random.Random, apps: list[App], now: datetime) -> int:
    """An enrollment for each bench candidate's first application, its sends on its path's
    days. Skipped when the bench sequence has enrollments. Returns the emails sent."""
    steps = _bench_sequence()
    if Enrollment.objects.filter(sequence=steps[0].sequence_id).exists():
        return 0
    firsts: dict[int, App] = {}
    for app in apps:
        firsts.setdefault(app.candidate_id, app)
    planned = []
    for app in firsts.values():
        status, stopped, sent = _enrollment_of(rng, app, now)
        start = app.reached("contacted") or app.entered
        planned.append((app, status, stopped, sent, start))
    emails = dict(
        CandidateEmail.objects.filter(candidate_id__in=list(firsts), is_primary=True).values_list(
            "candidate_id", "pk"
        )
    )
    with transaction.atomic():
        enrollments = _insert(
            Enrollment,
            [
                Enrollment(
                    candidate_id=app.candidate_id,
                    sequence_id=steps[0].sequence_id,
                    application_id=app.pk,
                    enrolled_by_id=app.owner_id,
                    enrolled_at=start - timedelta(hours=2),
                    status=status,
                    next_position=min(sent + 1, len(steps)),
                    next_send_at=start if status == Enrollment.Status.ACTIVE else None,
                    stopped_at=stopped,
                )
                for app, status, stopped, sent, start in planned
            ],
        )
        sent_messages = _copy(
            SentMessage,
            (
                "enrollment_id",
                "step_id",
                "sender_id",
                "status",
                "attempts",
                "claimed_at",
                "sent_at",
                "to_email",
                "subject",
                "message_id",
                "last_error",
            ),
            (
                (
                    enrollment.pk,
                    steps[n].pk,
                    app.owner_id,
                    SentMessage.Status.SENT,
                    1,
                    start + timedelta(days=STEP_DAYS[n]),
                    start + timedelta(days=STEP_DAYS[n], seconds=2),
                    "",
                    f"Step {n + 1}",
                    f"<bench-{enrollment.pk}-{n + 1}@closer.example>",
                    "",
                )
                for enrollment, (app, _, _, sent, start) in zip(enrollments, planned, strict=True)
                for n in range(sent)
            ),
        )
        _insert(
            AddressBounce,
            [
                AddressBounce(
                    address_id=emails[app.candidate_id],
                    status=AddressBounce.Status.HARD,
                    first_bounced_at=stopped,
                    last_bounced_at=stopped,
                )
                for app, status, stopped, _, _ in planned
                if status == Enrollment.Status.BOUNCED and app.candidate_id in emails and stopped
            ],
        )
        with connection.cursor() as cursor:
            # When each application's first email was sent, and each enrollment's last email,
            # kept on them as the sender does.
            cursor.execute(FIRST_EMAILED)
            cursor.execute(LAST_EMAILS)
    return sent_messages


# --- All of it --------------------------------------------------------------------------------


def ensure_report_data(
    *, offers: int = 20_000, competing: int = 10_000, say: Callable[[str], None] = print
) -> dict[str, float]:
    """Adds what is missing, part by part, saying how long each took; returns the seconds."""
    rng = random.Random(SEED)
    now = timezone.now()
    seconds: dict[str, float] = {}

    def timed(name: str, step: Callable[[], object]) -> None:
        start = time.perf_counter()
        made = step()
        seconds[name] = time.perf_counter() - start
        say(f"{name}: {made} in {seconds[name]:.1f} s")

    build_market()
    state: dict[str, Any] = {}
    timed("read applications", lambda: len(state.setdefault("apps", _load(rng))[0]))
    apps, stages = state["apps"]
    timed("stage changes", lambda: ensure_stage_paths(apps, stages))
    timed("offers", lambda: ensure_offers(rng, apps, offers, now))
    timed("competing offers", lambda: ensure_competing(rng, apps, competing, now))
    timed("outreach emails", lambda: ensure_outreach(rng, apps, now))
    # One transaction: a commit per package's UPDATE was most of the 7 minutes this took.
    timed("report figures", transaction.atomic(refresh_missing))
    return seconds
