"""The market of docs/market.md as reference data: the USD/EUR rate and compensation bands.

Silicon Valley bands, in USD per year, from the reported figures: mid-level to senior research
scientists $500k–$2M total now against $400k–$900k in 2022; senior AI researchers (staff and
principal here) $3M–$7M, up about 50% on 2022; exceptional people (distinguished) over $10M.
Research engineers sit at 90% of scientists and ML engineers at 80%. Europe's bands are in EUR
at 65% of the Silicon Valley amounts, converted at 0.847 EUR per USD: experienced engineers
cost less there, which is how smaller labs compete.

The other zones where AI labs hire are the demo's own assumptions (docs/market.md), each a
share of Silicon Valley in its own currency: New York 95% and Seattle 90% (USD), Toronto 60%
(CAD), London 70% (GBP), Paris 65% (EUR), Zurich 80% (CHF).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from candidates.models import Company, Currency
from recruiting.pipeline.models import Application, Role

from .answers import Visitor, record_view
from .links import live_link
from .models import ApprovalRule, CompensationBand, ExchangeRate, Offer, SharePrice
from .permissions import APPROVER_GROUP, FINANCE_GROUP
from .services import approve_offer, draft_offer, send_offer, submit_for_approval
from .terms import EquityTerms, OfferTerms

# The browser the demo's candidate opened his offer with.
DEMO_PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"

if TYPE_CHECKING:
    from candidates.models import RatedOfferings

EUR_PER_USD = Decimal("0.847")
# The demo's rates for the other currencies a zone pays in, per USD (docs/market.md).
PER_USD = {
    "EUR": EUR_PER_USD,
    "GBP": Decimal("0.76"),
    "CHF": Decimal("0.80"),
    "CAD": Decimal("1.40"),
}
CURRENCY_NAMES = {
    "USD": "US dollar",
    "EUR": "Euro",
    "GBP": "Pound sterling",
    "CHF": "Swiss franc",
    "CAD": "Canadian dollar",
}
# zone: (currency, share of the Silicon Valley amounts)
ZONES = {
    Role.Zone.SILICON_VALLEY: ("USD", Decimal(1)),
    Role.Zone.NEW_YORK: ("USD", Decimal("0.95")),
    Role.Zone.SEATTLE: ("USD", Decimal("0.90")),
    Role.Zone.TORONTO: ("CAD", Decimal("0.60")),
    Role.Zone.LONDON: ("GBP", Decimal("0.70")),
    Role.Zone.PARIS: ("EUR", Decimal("0.65")),
    Role.Zone.ZURICH: ("CHF", Decimal("0.80")),
    Role.Zone.EUROPE: ("EUR", Decimal("0.65")),
}
RATE_DATE = date(2025, 11, 1)
CURRENT = date(2025, 10, 1)
BEFORE = date(2022, 1, 1)

# level: (base min, target, max), (total min, target, max), in thousands of USD, now.
SILICON_VALLEY_NOW = {
    "mid": ((250, 300, 350), (500, 800, 1200)),
    "senior": ((300, 375, 450), (900, 1400, 2000)),
    "staff": ((450, 550, 700), (3000, 4000, 5000)),
    "principal": ((550, 700, 900), (4000, 5500, 7000)),
    "distinguished": ((700, 1000, 2000), (7000, 10000, 15000)),
}
# 2022: mid and senior as reported ($400k–$900k); the others about a third lower (up ~50% since).
SILICON_VALLEY_2022 = {
    "mid": ((220, 260, 300), (400, 550, 700)),
    "senior": ((260, 320, 380), (600, 750, 900)),
    **{
        level: (
            tuple(round(v / 1.5) for v in base),
            tuple(round(v / 1.5) for v in total),
        )
        for level, (base, total) in SILICON_VALLEY_NOW.items()
        if level in ("staff", "principal", "distinguished")
    },
}
FAMILY_FACTOR = {
    Role.Family.RESEARCH_SCIENTIST: Decimal(1),
    Role.Family.RESEARCH_ENGINEER: Decimal("0.9"),
    Role.Family.ML_ENGINEER: Decimal("0.8"),
}


def _thousands(value: Decimal) -> Decimal:
    return (value / 1000).quantize(Decimal(1)) * 1000


@transaction.atomic
def build_market() -> tuple[int, int]:
    """Creates what is missing; a second run changes nothing. Returns (rates, bands) created."""
    # The currencies it quotes (a fresh database has them from the migrations; a test's
    # emptied one may not).
    for code, name in CURRENCY_NAMES.items():
        Currency.objects.get_or_create(code=code, defaults={"name": name})
    rates_created = 0
    for quote, rate in PER_USD.items():
        _, new_rate = ExchangeRate.objects.get_or_create(
            base_id="USD", quote_id=quote, as_of=RATE_DATE, defaults={"rate": rate}
        )
        rates_created += new_rate
    created = 0
    for effective_on, table in ((BEFORE, SILICON_VALLEY_2022), (CURRENT, SILICON_VALLEY_NOW)):
        for family, factor in FAMILY_FACTOR.items():
            for level, (base, total) in table.items():
                for zone, (currency, share) in ZONES.items():
                    scale = factor * share * (PER_USD[currency] if currency != "USD" else 1)
                    amounts = [_thousands(Decimal(v) * 1000 * scale) for v in (*base, *total)]
                    _, new = CompensationBand.objects.get_or_create(
                        family=family,
                        level=level,
                        zone=zone,
                        effective_on=effective_on,
                        defaults=dict(
                            currency_id=currency,
                            **dict(
                                zip(
                                    (
                                        "base_min",
                                        "base_target",
                                        "base_max",
                                        "total_min",
                                        "total_target",
                                        "total_max",
                                    ),
                                    amounts,
                                    strict=True,
                                )
                            ),
                        ),
                    )
                    created += new
    return rates_created, created


# --- Demo approval rules and offers --------------------------------------------------------

DEMO_APPROVER = "cora"
RULES = (
    ("Total compensation above the band", "total_above_band_max", None, None),
    ("Signing bonus of $10M or more", "signing_at_or_above", Decimal(10_000_000), None),
    ("Equity of $20M or more", "equity_at_or_above", Decimal(20_000_000), None),
    ("Every retention offer", "retention_offer", None, None),
)
# The chain's second step: the CFO signs off packages of $25M or more over four years, once
# the compensation approvers have.
CFO_RULE = ("CFO: four-year total of $25M or more", "total_at_or_above", Decimal(25_000_000))
DEMO_CFO = "fiona"


def _terms(currency: str, today: date, **amounts: Any) -> OfferTerms:
    return OfferTerms(
        currency=currency,
        start_date=today + timedelta(days=45),
        expires_at=timezone.now() + timedelta(days=amounts.pop("days", 7)),
        **amounts,
    )


def _four_years(value: int) -> tuple[EquityTerms, ...]:
    return (EquityTerms(Decimal(value), [Decimal(25)] * 4),)


@transaction.atomic
def build_demo_offers() -> int:
    """Approval rules, an approver, and offers at each step for candidates of the demo.
    Applications that already have an offer are left alone. Returns the offers created."""
    from django.contrib.auth.models import Group

    approvers = Group.objects.get(name=APPROVER_GROUP)
    finance = Group.objects.get(name=FINANCE_GROUP)
    for name, condition, amount, currency in RULES:
        ApprovalRule.objects.get_or_create(
            name=name,
            defaults=dict(
                condition=condition, amount=amount, currency_id=currency, group=approvers
            ),
        )
    name, condition, amount = CFO_RULE
    ApprovalRule.objects.get_or_create(
        name=name, defaults=dict(condition=condition, amount=amount, group=finance, step=2)
    )
    users = get_user_model().objects
    fiona, new = users.get_or_create(
        username=DEMO_CFO,
        defaults=dict(
            first_name="Fiona", last_name="CFO", email="fiona@closer.example", is_staff=True
        ),
    )
    if new:
        fiona.set_unusable_password()
        fiona.save()
    fiona.groups.add(finance)
    cora, new = users.get_or_create(
        username=DEMO_APPROVER,
        defaults=dict(
            first_name="Cora", last_name="Approver", email="cora@closer.example", is_staff=True
        ),
    )
    if new:
        cora.set_unusable_password()
        cora.save()
    cora.groups.add(approvers)
    rita = users.get(username="rita")
    today = timezone.localdate()

    def application(name: str) -> Application | None:
        found = (
            Application.objects.filter(candidate__name=name, status=Application.Status.OPEN)
            .select_related("candidate", "role")
            .first()
        )
        return found if found is not None and not found.offers.exists() else None

    created = 0
    # Sent: a San Francisco senior engineer, above the band, approved by Cora.
    if app := application("Richard Williams"):
        offer = draft_offer(
            app,
            _terms(
                "USD",
                today,
                days=2,  # expiring within 72 hours: the demo shows that alert at once
                base_salary=Decimal(450_000),
                target_bonus_percent=Decimal(20),
                equity=_four_years(8_000_000),
                signing_payments=[(0, Decimal(1_000_000))],
                signing_clawback_months=12,
            ),
            by=rita,
        )
        submit_for_approval(offer, by=rita)
        approve_offer(offer, by=cora, comment="Worth it: Meridian is circling.")
        send_offer(offer, by=rita)
        # He has opened it once, on his phone: the offer's page shows it.
        link = live_link(offer)
        if link is not None:
            record_view(link, Visitor(ip_address="203.0.113.10", user_agent=DEMO_PHONE))
        created += 1
    # Waiting for approval: a €12M signing bonus for a London principal. About $32M over four
    # years: after Cora, the CFO signs it off (step 2 of its chain).
    if app := application("Fedele Trupiano"):
        offer = draft_offer(
            app,
            _terms(
                "EUR",
                today,
                base_salary=Decimal(600_000),
                target_bonus_percent=Decimal(25),
                equity=_four_years(12_000_000),
                signing_payments=[(0, Decimal(6_000_000)), (12, Decimal(6_000_000))],
                signing_clawback_months=24,
            ),
            by=rita,
        )
        submit_for_approval(offer, by=rita)
        # Submitted and asked yesterday morning: the demo's approvers are reminded at once.
        asked = timezone.now() - timedelta(hours=30)
        offer.approvals.update(requested_at=asked)
        Offer.objects.filter(pk=offer.pk).update(submitted_at=asked)
        created += 1
    # A retention offer for one of our own people, waiting for approval.
    if app := application("Tina Garcia"):
        offer = draft_offer(
            app,
            _terms(
                "EUR",
                today,
                base_salary=Decimal(520_000),
                retention_payments=[(0, Decimal(1_500_000)), (12, Decimal(1_500_000))],
                retention_clawback_months=12,
                equity=_four_years(6_000_000),
            ),
            by=rita,
            kind=Offer.Kind.RETENTION,
        )
        submit_for_approval(offer, by=rita)
        created += 1
    # A draft in Paris, its equity 50,000 of our shares at our last preferred price (the
    # Series C's $142.50, about €6M), shown with the share-price scenarios.
    if app := application("Adrien Guichard"):
        draft_offer(
            app,
            _terms(
                "EUR",
                today,
                base_salary=Decimal(300_000),
                target_bonus_percent=Decimal(15),
                equity_basis="preferred",
                equity=(EquityTerms(None, [Decimal(25)] * 4, shares=Decimal(50_000)),),
            ),
            by=rita,
        )
        created += 1
    return created


# --- Demo competing offers -----------------------------------------------------------------

# What each demo lab offers beyond pay, as our recruiters rate it (team lead, work quality,
# research freedom, publishing, ethics and impact, location): Meridian pays and ships but
# publishes little; Helix gives freedom; Polaris publishes.
LAB_RATINGS = {
    "Meridian AI": (4, 4, 2, 1, 2, 4),
    "Helix Intelligence": (3, 4, 5, 3, 3, 3),
    "Polaris Research": (4, 3, 4, 5, 4, 2),
}
ROLE_RATINGS = (5, 5, 3, 4, 5, 3)


def _rate_offerings(target: RatedOfferings, ratings: Sequence[int]) -> None:
    from candidates.models import OFFERINGS

    if all(value is None for value in target.offerings.values()):
        for (key, _), value in zip(OFFERINGS, ratings, strict=True):
            setattr(target, f"rating_{key}", value)
        target.save()


@transaction.atomic
def build_demo_competition() -> int:
    """Ratings of the demo roles and labs, and competing offers against three demo offers:
    Meridian ahead of our sent offer with a deadline in 60 hours, a verbal Helix offer in
    euros, and an outside offer to one of our employees (a retention case). People who
    already have a competing offer are left alone. Returns the competing offers created."""
    from candidates.models import Candidate, Company
    from recruiting.pipeline.models import Role

    from .competition import CompetingTerms, record_competing_offer

    for role in Role.objects.all():
        _rate_offerings(role, ROLE_RATINGS)
    labs = {c.name: c for c in Company.objects.filter(name__in=LAB_RATINGS)}
    for name, ratings in LAB_RATINGS.items():
        if name in labs:
            _rate_offerings(labs[name], ratings)
    rita = get_user_model().objects.get(username="rita")
    now = timezone.now()
    demo: tuple[tuple[str, str, dict[str, Any], bool], ...] = (
        (
            "Richard Williams",
            "Meridian AI",
            dict(
                currency="USD",
                deadline=now + timedelta(hours=60),
                confidence="written",
                source="Richard forwarded the letter",
                base_salary=Decimal(500_000),
                equity=_four_years(12_000_000),
                signing_payments=[(0, Decimal(2_000_000))],
            ),
            True,
        ),
        (
            "Fedele Trupiano",
            "Helix Intelligence",
            dict(
                currency="EUR",
                deadline=now + timedelta(days=6),
                confidence="verbal",
                source="A former colleague of his",
                base_salary=Decimal(550_000),
                signing_payments=[(0, Decimal(4_000_000)), (12, Decimal(4_000_000))],
                equity=_four_years(10_000_000),
            ),
            True,
        ),
        (
            "Tina Garcia",
            "Polaris Research",
            dict(
                currency="USD",
                deadline=now + timedelta(days=4),
                confidence="rumoured",
                source="Her manager heard it at NeurIPS",
                base_salary=Decimal(650_000),
                equity=_four_years(9_000_000),
            ),
            False,  # an outside offer to an employee: on no application
        ),
    )
    created = 0
    for person, lab, terms, on_application in demo:
        candidate = Candidate.objects.filter(name=person).first()
        if candidate is None or lab not in labs or candidate.competing_offers.exists():
            continue
        application = (
            candidate.applications.filter(status=Application.Status.OPEN).first()
            if on_application
            else None
        )
        record_competing_offer(
            candidate,
            CompetingTerms(competitor=labs[lab], application=application, **terms),
            by=rita,
        )
        created += 1
    return created


# The demo's share prices (invented, like the companies): our private lab on each private
# basis, a private competitor, and a public big-tech company at its market price.
DEMO_SHARE_PRICES = (
    ("Closer Labs", "preferred", "142.50", date(2026, 6, 1), "Series C, June 2026"),
    ("Closer Labs", "common_fmv", "41.20", date(2026, 7, 15), "409A valuation, July 2026"),
    ("Closer Labs", "tender", "120.00", date(2026, 9, 30), "Employee tender, September 2026"),
    ("Meridian AI", "preferred", "310.00", date(2026, 4, 1), "Reported Series E price"),
    ("Meridian AI", "tender", "260.00", date(2026, 10, 1), "Reported secondary sale"),
    ("Cirrus Cloud", "market", "188.40", date(2026, 12, 1), "NASDAQ close"),
)


@transaction.atomic
def build_share_prices() -> int:
    """The demo's share prices, for the companies the demo has; a second run changes nothing.
    Returns how many it created."""
    companies = {
        c.name: c for c in Company.objects.filter(name__in={p[0] for p in DEMO_SHARE_PRICES})
    }
    created = 0
    for name, basis, price, as_of, source in DEMO_SHARE_PRICES:
        if name not in companies:
            continue
        _, new = SharePrice.objects.get_or_create(
            company=companies[name],
            basis=basis,
            as_of=as_of,
            defaults={"price": Decimal(price), "currency_id": "USD", "source": source},
        )
        created += new
    return created
