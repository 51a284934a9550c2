"""The demo's past year of offers, for the reports to show something true: offers accepted
(some signed by the candidate) and declined (some for a rival, whose offer we had recorded),
a counter-offer that won and one that lost, offers above the band, approvals decided hours
after they were asked, competing offers of every certainty from all six rivals over four
quarters, in five zones and three levels, and outside offers to two of our employees.

Each story is played with the real services (drafting, approvals, sending, the rival's offer,
the revision, the candidate's signature or decline), and then moved into the past: the
services stamp everything with the current time, and a report needs a year. Two stories close
exactly a week ago, inside the week the Monday digest describes. The alerts the stories raised
are marked sent at their story's end: they happened long ago. Idempotent: a story whose
candidate exists is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from candidates.models import Candidate, CandidateEmail, Company
from recruiting.alerts.models import Alert
from recruiting.pipeline import history
from recruiting.pipeline.models import Application, Role, Stage
from recruiting.pipeline.permissions import RECRUITER_GROUP
from recruiting.pipeline.services import add_to_pipeline, move_stage, open_role

from .answers import DeclineAnswer, Visitor, decline, record_view, sign_offer
from .competition import CompetingTerms, record_competing_offer
from .links import current_letter, live_link
from .models import Approval, CompetingOffer, Offer, OfferDecline, OfferLink, OfferSignature
from .services import (
    accept_offer,
    approve_offer,
    draft_offer,
    revise_offer,
    send_offer,
    submit_for_approval,
)
from .terms import EquityTerms, OfferTerms

DOMAIN = "history.example"
LAPTOP = "Mozilla/5.0 (Macintosh; Intel Mac OS X 15_1) AppleWebKit/605.1.15 Safari/605.1.15"

# Past roles: title, city, country, zone, level, family, hiring manager.
ROLES = {
    "reasoning": (
        "Senior Research Scientist, Reasoning",
        "San Francisco",
        "US",
        Role.Zone.SILICON_VALLEY,
        "senior",
        Role.Family.RESEARCH_SCIENTIST,
    ),
    "infra": (
        "Staff Research Engineer, Infrastructure",
        "London",
        "GB",
        Role.Zone.LONDON,
        "staff",
        Role.Family.RESEARCH_ENGINEER,
    ),
    "alignment": (
        "Principal Research Scientist, Alignment",
        "Paris",
        "FR",
        Role.Zone.PARIS,
        "principal",
        Role.Family.RESEARCH_SCIENTIST,
    ),
    "serving": (
        "Senior ML Engineer, Serving",
        "New York",
        "US",
        Role.Zone.NEW_YORK,
        "senior",
        Role.Family.ML_ENGINEER,
    ),
    "multimodal": (
        "Staff Research Scientist, Multimodal",
        "Zurich",
        "CH",
        Role.Zone.ZURICH,
        "staff",
        Role.Family.RESEARCH_SCIENTIST,
    ),
}
CURRENCY = {"reasoning": "USD", "infra": "GBP", "alignment": "EUR", "serving": "USD"}
TIMEZONES = {
    "San Francisco": "America/Los_Angeles",
    "London": "Europe/London",
    "Paris": "Europe/Paris",
    "New York": "America/New_York",
    "Zurich": "Europe/Zurich",
}


@dataclass(frozen=True)
class Rival:
    lab: str
    confidence: str
    base: int
    equity: int  # over four years
    signing: int = 0
    day: float = 2  # recorded this many days after the first offer was drafted


@dataclass(frozen=True)
class Story:
    name: str
    role: str
    days_ago: float  # when the first offer was drafted
    base: int
    equity: int  # over four years
    signing: int = 0
    bonus: int = 15
    rivals: tuple[Rival, ...] = ()
    # The counter-offer: a second version, with this much more signing bonus and equity.
    counter: tuple[int, int] | None = None
    outcome: str = "signed"  # signed, accepted (recorded by the recruiter), declined
    decline_reason: str = "other_offer"  # and then the first rival named
    decided_after: float = 9  # days from the first draft to the candidate's answer
    approval_hours: int = 20
    motivators: dict[str, int] = field(default_factory=dict)


PAY_FIRST = {"pay": 5, "team_lead": 3, "work_quality": 3, "research_freedom": 2, "publishing": 1}
PUBLISHER = {"pay": 2, "team_lead": 4, "work_quality": 4, "research_freedom": 5, "publishing": 5}
MISSION = {"pay": 3, "team_lead": 3, "work_quality": 4, "ethics_impact": 5, "location": 2}

STORIES = (
    # A counter-offer that won: Helix's verbal offer answered with more signing and equity.
    Story(
        "Ingrid Holm",
        "reasoning",
        320,
        400_000,
        3_600_000,
        rivals=(Rival("Helix Intelligence", "verbal", 450_000, 4_400_000, 300_000),),
        counter=(500_000, 800_000),
        motivators=PUBLISHER,
    ),
    # Lost to Meridian's written offer, well above ours.
    Story(
        "Marcus Webb",
        "reasoning",
        250,
        380_000,
        3_200_000,
        rivals=(
            Rival("Meridian AI", "written", 480_000, 6_000_000, 1_000_000),
            Rival("Helix Intelligence", "rumoured", 420_000, 4_000_000, day=4),
        ),
        outcome="declined",
        motivators=PAY_FIRST,
    ),
    # Accepted in London, a rumoured rival on the side.
    Story(
        "Sofia Brandt",
        "infra",
        200,
        420_000,
        9_000_000,
        rivals=(Rival("Aurora Labs", "rumoured", 400_000, 8_000_000),),
        outcome="accepted",
        approval_hours=6,
        motivators=MISSION,
    ),
    # A counter-offer that lost: above the band, and Polaris won all the same.
    Story(
        "Julien Marchand",
        "alignment",
        150,
        520_000,
        12_000_000,
        rivals=(Rival("Polaris Research", "written", 560_000, 16_000_000, 2_000_000),),
        counter=(1_500_000, 4_000_000),
        outcome="declined",
        approval_hours=30,
        motivators=PUBLISHER,
    ),
    # Above the band in New York, signed; Northwind's verified offer was lower.
    Story(
        "Priya Natarajan",
        "serving",
        110,
        420_000,
        4_800_000,
        signing=1_200_000,
        rivals=(Rival("Northwind Compute", "verified", 380_000, 3_000_000),),
        approval_hours=40,
        motivators=PAY_FIRST,
    ),
    # Declined in Zurich for the timing: no rival.
    Story(
        "Lukas Meier",
        "multimodal",
        75,
        480_000,
        10_000_000,
        outcome="declined",
        decline_reason="timing",
        motivators=MISSION,
    ),
    # Lost to Meridian again, verified this time.
    Story(
        "Hannah Okafor",
        "reasoning",
        40,
        390_000,
        3_400_000,
        rivals=(Rival("Meridian AI", "verified", 500_000, 6_400_000, 1_000_000),),
        outcome="declined",
        approval_hours=12,
        motivators=PAY_FIRST,
    ),
    # Won against Tessellate, recorded by the recruiter.
    Story(
        "Tomás Rivera",
        "serving",
        20,
        400_000,
        4_000_000,
        rivals=(Rival("Tessellate", "verbal", 380_000, 3_600_000),),
        outcome="accepted",
        motivators=MISSION,
    ),
    # Last week's win and loss (the Monday digest's week): both answered exactly 7 days ago.
    Story(
        "Elena Petrova",
        "infra",
        15,
        430_000,
        9_400_000,
        rivals=(Rival("Helix Intelligence", "rumoured", 420_000, 9_000_000),),
        decided_after=8,
        motivators=PUBLISHER,
    ),
    Story(
        "Kwame Mensah",
        "reasoning",
        16,
        400_000,
        3_600_000,
        rivals=(Rival("Meridian AI", "written", 520_000, 7_200_000, 1_200_000, day=9),),
        outcome="declined",
        decided_after=9,
        motivators=PAY_FIRST,
    ),
)
# Outside offers to our own people (on no application): person, lab, certainty, days ago,
# currency, base, equity over four years.
OUTSIDE_OFFERS = (
    ("Gary Cooper", "Helix Intelligence", "written", 180, "EUR", 480_000, 7_000_000),
    ("Celestina Blanch", "Aurora Labs", "verbal", 60, "GBP", 400_000, 6_000_000),
)


# The head of recruiting: a recruiter (every application, and pay) in the group the weekly
# reports digest goes to (settings.REPORTS_DIGEST_GROUP).
HEAD_OF_RECRUITING = ("helen", "Helen", "Head of Recruiting")


def ensure_head_of_recruiting() -> User:
    username, first, last = HEAD_OF_RECRUITING
    helen, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@closer.example",
            "is_staff": True,
        },
    )
    if created:
        helen.set_unusable_password()
        helen.save(update_fields=["password"])
    helen.groups.add(
        Group.objects.get_or_create(name=RECRUITER_GROUP)[0],
        Group.objects.get_or_create(name=settings.REPORTS_DIGEST_GROUP)[0],
    )
    return helen


def _user(username: str) -> User:
    return get_user_model().objects.get(username=username)


def _roles() -> dict[str, Role]:
    hana = get_user_model().objects.filter(username="hana").first()
    roles = {}
    for key, (title, city, country, zone, level, family) in ROLES.items():
        role = Role.objects.filter(title=title, city=city).first()
        roles[key] = role or open_role(
            title=title,
            team=title.split(", ")[-1] if ", " in title else "Serving",
            level=level,
            city=city,
            country=country,
            zone=zone,
            family=family,
            hiring_manager=hana,
            headcount=4,
        )
    return roles


def _candidate(story: Story, role: Role, rita: User) -> Candidate:
    candidate = Candidate(
        name=story.name,
        city=role.city,
        country=role.country,
        timezone=TIMEZONES[role.city],
        current_title=role.title.replace("Principal ", "Staff ").replace("Staff ", "Senior "),
        specialty=Candidate.Specialty.OTHER,
        level=role.level,
        source=Candidate.Source.SOURCED,
        owner=rita,
        consent_basis=Candidate.ConsentBasis.LEGITIMATE_INTEREST,
        consent_date=timezone.localdate() - timedelta(days=int(story.days_ago) + 30),
        **{f"motivator_{name}": weight for name, weight in story.motivators.items()},
    )
    candidate.full_clean()
    candidate.save()
    slug = story.name.lower().replace(" ", ".").replace("á", "a")
    CandidateEmail.objects.create(candidate=candidate, email=f"{slug}@{DOMAIN}", is_primary=True)
    return candidate


def _terms(story: Story, currency: str, *, signing: int, equity: int) -> OfferTerms:
    return OfferTerms(
        currency=currency,
        start_date=timezone.localdate() + timedelta(days=45),
        expires_at=timezone.now() + timedelta(days=14),
        base_salary=Decimal(story.base),
        target_bonus_percent=Decimal(story.bonus),
        signing_payments=[(0, Decimal(signing))] if signing else [],
        signing_clawback_months=12 if signing else 0,
        equity=(EquityTerms(Decimal(equity), [Decimal(25)] * 4),),
    )


def _approve_and_send(offer: Offer, rita: User) -> Offer:
    offer = submit_for_approval(offer, by=rita)
    for approver in ("cora", "fiona"):
        offer.refresh_from_db()
        if offer.status == Offer.Status.PENDING_APPROVAL:
            offer = approve_offer(offer, by=_user(approver), comment="The market moved; agreed.")
    offer.refresh_from_db()
    return send_offer(offer, by=rita, confirm_stale_rate=True)


def _play(story: Story, role: Role, labs: dict[str, Company], rita: User) -> Application:
    """The story through the services, at the current time."""
    candidate = _candidate(story, role, rita)
    application = add_to_pipeline(candidate, role, by=rita)
    stages = {s.kind: s for s in role.stages.all()}
    for kind in (Stage.Kind.CONTACTED, Stage.Kind.REPLIED, Stage.Kind.SCREEN):
        application = move_stage(application, stages[kind], by=rita)
    application = move_stage(application, stages[Stage.Kind.INTERVIEWS], by=rita)
    currency = CURRENCY.get(story.role, "CHF")
    offer = draft_offer(
        application,
        _terms(story, currency, signing=story.signing, equity=story.equity),
        by=rita,
    )
    offer = _approve_and_send(offer, rita)
    for rival in story.rivals:
        record_competing_offer(
            candidate,
            CompetingTerms(
                currency=currency,
                base_salary=Decimal(rival.base),
                target_bonus_percent=Decimal(15),
                signing_payments=[(0, Decimal(rival.signing))] if rival.signing else [],
                equity=(EquityTerms(Decimal(rival.equity), [Decimal(25)] * 4),),
                competitor=labs[rival.lab],
                application=application,
                deadline=timezone.now() + timedelta(days=10),
                confidence=rival.confidence,
                source="The candidate told us",
            ),
            by=rita,
        )
    if story.counter is not None:
        more_signing, more_equity = story.counter
        terms = _terms(
            story,
            currency,
            signing=story.signing + more_signing,
            equity=story.equity + more_equity,
        )
        offer = _approve_and_send(revise_offer(offer, by=rita, terms=terms), rita)
    if story.outcome == "declined":
        rival_lab = story.rivals[0].lab if story.rivals else None
        decline(
            offer,
            DeclineAnswer(
                reason=story.decline_reason,
                competitor=labs[rival_lab]
                if rival_lab and story.decline_reason == "other_offer"
                else None,
            ),
            by=rita,
        )
    elif story.outcome == "accepted":
        accept_offer(offer, by=rita)
    else:
        link = live_link(offer)
        assert link is not None
        visitor = Visitor(ip_address="198.51.100.7", user_agent=LAPTOP)
        record_view(link, visitor)
        sign_offer(
            link,
            typed_name=story.name,
            consented=True,
            letter_sha256=current_letter(offer).sha256,
            visitor=visitor,
        )
    return application


def _backdate(story: Story, application: Application, started: datetime, now: datetime) -> None:
    """Moves the story into the past: its first draft `story.days_ago` days before `now`,
    each step hours to days after the one before, the answer `decided_after` days later
    (for the last two stories: exactly a week before `now`)."""
    start = now - timedelta(days=story.days_ago)
    answered = start + timedelta(days=story.decided_after)
    if story.days_ago - story.decided_after < 7.5 and story.days_ago > 7:
        answered = now - timedelta(days=7)
    offers = list(application.offers.order_by("version"))
    first_sent = start
    for n, offer in enumerate(offers):
        drafted = start if n == 0 else start + timedelta(days=max(r.day for r in story.rivals) + 1)
        submitted = drafted + timedelta(hours=3)
        approvals = list(offer.approvals.order_by("step", "pk"))
        decided = submitted
        for approval in approvals:
            requested = decided
            decided = requested + timedelta(hours=story.approval_hours)
            Approval.objects.filter(pk=approval.pk).update(
                requested_at=requested,
                decided_at=decided if approval.decided_at else None,
            )
        sent = decided + timedelta(hours=2)
        Offer.objects.filter(pk=offer.pk).update(
            drafted_at=drafted,
            submitted_at=submitted,
            approved_at=decided,
            sent_at=sent,
            expires_at=sent + timedelta(days=14),
            closed_at=answered if offer.closed_at else None,
        )
        OfferLink.objects.filter(offer=offer).update(created_at=sent)
        OfferLink.objects.filter(offer=offer, first_opened_at__isnull=False).update(
            first_opened_at=sent + timedelta(hours=5), last_opened_at=answered
        )
        if n == 0:
            first_sent = sent
    OfferSignature.objects.filter(offer__in=offers).update(signed_at=answered)
    OfferDecline.objects.filter(offer__in=offers).update(declined_at=answered)
    for rival, competing in zip(
        story.rivals, application.competing_offers.order_by("pk"), strict=True
    ):
        recorded = start + timedelta(days=rival.day)
        if answered - recorded < timedelta(hours=2):
            recorded = answered - timedelta(hours=2)
        CompetingOffer.objects.filter(pk=competing.pk).update(
            recorded_at=recorded, deadline=recorded + timedelta(days=10)
        )
    _backdate_stages(application, start - timedelta(days=24), first_sent, answered)
    Alert.objects.filter(created_at__gte=started).update(
        status=Alert.Status.SENT, created_at=answered, sent_at=answered, next_attempt_at=answered
    )


def _backdate_stages(
    application: Application, first: datetime, sent: datetime, answered: datetime
) -> None:
    """The moves before the offer stage spread over the three weeks before the first draft;
    the move to Offer when it was sent, and the close when the candidate answered."""
    changes = list(application.stage_changes.order_by("pk").select_related("to_stage"))
    before = [c for c in changes if c.to_stage.kind not in ("offer", "hired", "lost")]
    for n, change in enumerate(before):
        change.changed_at = first + timedelta(days=5 * n, hours=3 * n)
    for change in changes[len(before) :]:
        change.changed_at = sent if change.to_stage.kind == "offer" else answered
    history.restamp(changes)
    application.refresh_from_db()
    Application.objects.filter(pk=application.pk).update(
        created_at=first,
        stage_entered_at=changes[-1].changed_at,
        closed_at=answered if application.is_closed else None,
    )


def _outside_offers(labs: dict[str, Company], rita: User, now: datetime) -> int:
    made = 0
    for person, lab, confidence, days_ago, currency, base, equity in OUTSIDE_OFFERS:
        employee = Candidate.objects.filter(
            name=person, relationship=Candidate.Relationship.EMPLOYEE
        ).first()
        if employee is None or employee.competing_offers.filter(competitor=labs[lab]).exists():
            continue
        started = timezone.now()
        competing = record_competing_offer(
            employee,
            CompetingTerms(
                currency=currency,
                base_salary=Decimal(base),
                equity=(EquityTerms(Decimal(equity), [Decimal(25)] * 4),),
                competitor=labs[lab],
                deadline=now + timedelta(days=10),
                confidence=confidence,
                source="Their manager heard it",
            ),
            by=rita,
        )
        recorded = now - timedelta(days=days_ago)
        CompetingOffer.objects.filter(pk=competing.pk).update(
            recorded_at=recorded, deadline=recorded + timedelta(days=10)
        )
        Alert.objects.filter(created_at__gte=started).update(
            status=Alert.Status.SENT, created_at=recorded, sent_at=recorded
        )
        made += 1
    return made


@transaction.atomic
def build_demo_history() -> tuple[int, int]:
    """Plays the stories not played yet, and the outside offers; returns how many of each."""
    labs = {c.name: c for c in Company.objects.filter(kind=Company.Kind.COMPETITOR)}
    if not labs or not get_user_model().objects.filter(username="rita").exists():
        return 0, 0  # the pipeline demo (seed_demo) first
    ensure_head_of_recruiting()
    rita = _user("rita")
    roles = _roles()
    now = timezone.now()
    played = 0
    done = set(
        CandidateEmail.objects.filter(email__endswith="@" + DOMAIN).values_list(
            "candidate__name", flat=True
        )
    )
    for story in STORIES:
        if story.name in done:
            continue
        started = timezone.now()
        application = _play(story, roles[story.role], labs, rita)
        _backdate(story, application, started, now)
        played += 1
    return played, _outside_offers(labs, rita, now)
