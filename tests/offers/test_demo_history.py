"""The demo's past year (seed_history): what the reports need to show something true."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from offers.models import Approval, CompetingOffer, Offer, OfferDecline, OfferSignature
from recruiting.alerts.models import Alert
from recruiting.lib.access import can_see_compensation
from recruiting.pipeline.access import sees_every_application

pytestmark = pytest.mark.django_db


def test_the_history_has_a_year_of_outcomes_and_rivals_and_seeding_again_changes_nothing():
    call_command("seed_demo", verbosity=0)
    call_command("seed_market", verbosity=0)
    call_command("seed_history", verbosity=0)
    offers, rivals = Offer.objects.count(), CompetingOffer.objects.count()
    call_command("seed_history", verbosity=0)
    assert (Offer.objects.count(), CompetingOffer.objects.count()) == (offers, rivals)

    now = timezone.now()
    # Wins and losses, some lost to a rival whose offer we had recorded on the application.
    assert Offer.objects.filter(status="accepted").count() == 5
    assert OfferSignature.objects.count() == 3
    declined = OfferDecline.objects.select_related("offer__application")
    for_a_rival = [d for d in declined if d.competitor_id]
    assert len(declined) == 5 and len(for_a_rival) == 4
    for answer in for_a_rival:
        assert answer.offer.application.competing_offers.filter(
            competitor=answer.competitor
        ).exists()
        assert answer.offer.application.lost_to_id == answer.competitor_id
    # A counter-offer (a second version) that won, and one that lost.
    counters = Offer.objects.filter(version=2).values_list("status", flat=True)
    assert sorted(counters) == ["accepted", "declined"]
    # Above the band, and approvals decided hours after they were asked.
    assert Offer.objects.filter(report_above_band__gt=0, closed_at__isnull=False).exists()
    decided = Approval.objects.filter(decided_at__lt=now - timedelta(days=7))
    assert decided.count() >= 3
    assert all(a.decided_at - a.requested_at >= timedelta(hours=6) for a in decided)
    # Rivals: all six competitors, every certainty, four quarters back, several zones, and
    # outside offers to employees.
    history = CompetingOffer.objects.filter(recorded_at__lt=now - timedelta(days=1))
    assert history.order_by().values("competitor").distinct().count() == 6
    assert set(history.values_list("confidence", flat=True)) == {
        "rumoured",
        "verbal",
        "written",
        "verified",
    }
    assert history.filter(recorded_at__lt=now - timedelta(days=270)).exists()
    zones = set(history.values_list("application__role__zone", flat=True))
    assert len(zones - {None}) >= 4
    assert history.filter(application__isnull=True).count() == 2
    # Every package valued for the reports.
    assert not Offer.objects.filter(report_year_one__isnull=True).exists()
    assert not CompetingOffer.objects.filter(report_year_one__isnull=True).exists()
    # What happened long ago is not emailed now.
    assert not Alert.objects.filter(created_at__lt=now - timedelta(days=1), status="pending")
    # A win and a loss a week ago: the Monday digest's week.
    week_ago = Offer.objects.filter(closed_at__date=(now - timedelta(days=7)).date())
    assert sorted(week_ago.values_list("status", flat=True)) == ["accepted", "declined"]


def test_the_head_of_recruiting_gets_the_digest_and_sees_pay():
    from django.contrib.auth import get_user_model

    call_command("seed_demo", verbosity=0)
    call_command("seed_market", verbosity=0)
    call_command("seed_history", verbosity=0)
    helen = get_user_model().objects.get(username="helen")
    assert helen.groups.filter(name=settings.REPORTS_DIGEST_GROUP).exists()
    assert can_see_compensation(helen) and sees_every_application(helen)
