"""The demo's offers: one at each step, built through the services, the same on every run."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from offers.models import Approval, Offer

pytestmark = pytest.mark.django_db


def test_the_demo_has_offers_at_each_step_and_seeding_again_changes_nothing():
    call_command("seed_demo", verbosity=0)
    call_command("seed_market", verbosity=0)
    statuses = sorted(Offer.objects.values_list("status", flat=True))
    approvals = Approval.objects.count()

    call_command("seed_market", verbosity=0)

    assert statuses == ["draft", "pending_approval", "pending_approval", "sent"]
    assert sorted(Offer.objects.values_list("status", flat=True)) == statuses
    assert Approval.objects.count() == approvals
    sent = Offer.objects.get(status="sent")
    assert sent.sent_rate is not None
    assert sent.approvals.get().decided_by.username == "cora"
    retention = Offer.objects.get(kind=Offer.Kind.RETENTION)
    assert "a retention offer" in retention.approvals.get().reason
    # Fedele's €12M London package, about $32M over four years: Cora first, then the CFO.
    london = Offer.objects.get(application__candidate__name="Fedele Trupiano")
    chain = list(london.approvals.values_list("step", "group__name", "status"))
    assert chain == [
        (1, "Compensation approvers", "pending"),
        (2, "Finance leadership", "queued"),
    ]


def test_the_demo_has_competing_offers_one_ahead_with_a_deadline_this_week():
    from candidates.models import Candidate
    from offers.competition import standing
    from offers.models import CompetingOffer
    from recruiting.alerts.models import Alert

    call_command("seed_demo", verbosity=0)
    call_command("seed_market", verbosity=0)
    call_command("seed_market", verbosity=0)

    by_lab = {c.competitor.name: c for c in CompetingOffer.objects.select_related("competitor")}
    assert sorted(by_lab) == ["Helix Intelligence", "Meridian AI", "Polaris Research"]
    meridian = by_lab["Meridian AI"]
    assert meridian.ahead and meridian.compared_with.status == "sent"
    assert standing(meridian).fit is not None  # the roles and the lab are rated
    # Rita, who owns Richard, heard at once that Meridian beats our offer.
    assert Alert.objects.filter(kind="competitor_ahead", about_id=meridian.pk).exists()
    tina = Candidate.objects.get(name="Tina Garcia")
    assert by_lab["Polaris Research"].application is None
    assert tina.flight_risk


def test_the_demo_has_share_prices_for_our_lab_and_rivals_once():
    from datetime import date

    from offers.models import SharePrice
    from offers.prices import price_on

    call_command("seed_demo", verbosity=0)
    call_command("seed_market", verbosity=0)
    call_command("seed_market", verbosity=0)

    ours = SharePrice.objects.filter(company__name="Closer Labs")
    assert sorted(ours.values_list("basis", flat=True)) == ["common_fmv", "preferred", "tender"]
    assert SharePrice.objects.count() == 6
    cirrus = SharePrice.objects.get(company__name="Cirrus Cloud").company
    assert price_on(cirrus, "market", date(2026, 12, 6)).source == "NASDAQ close"
    # The Paris draft: 50,000 of our shares at the Series C's $142.50, in euros at 0.847.
    paris = Offer.objects.get(application__candidate__name="Adrien Guichard")
    assert (paris.equity_basis, paris.share_price) == ("preferred", Decimal("120.6975"))
    assert paris.equity_grants.get().value == Decimal("6034875.00")
