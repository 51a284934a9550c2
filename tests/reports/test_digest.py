"""The weekly digest to the head of recruiting: its figures against a small week computed by
hand, delivered by the real worker over real SMTP, once a week, and without amounts to a
recipient who may not see pay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from candidates.models import Company, Currency
from offers.demo import build_market
from offers.models import Offer, OfferDecline
from recruiting.alerts.models import Alert
from recruiting.tasks import ping
from recruiting.web.reports import digest
from recruiting.web.tasks import send_weekly_digest
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
    competing_offer,
)

pytestmark = pytest.mark.django_db(transaction=True)

# A Monday morning: the digest is about Monday 30 November to Sunday 6 December 2026.
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
IN_THE_WEEK = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
WEEK_BEFORE = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
# Every amount the week's figures hold: none of them may reach a recipient without pay.
AMOUNTS = ("400,000", "500,000", "600,000", "650,000", "USD", "%")


@pytest.fixture
def market(db):
    # A transactional test's flush empties every table, the currencies a migration added too.
    Currency.objects.get_or_create(code="USD", defaults={"name": "US dollar"})
    Currency.objects.get_or_create(code="EUR", defaults={"name": "Euro"})
    build_market()


@pytest.fixture
def head_group(db):
    return Group.objects.get_or_create(name=settings.REPORTS_DIGEST_GROUP)[0]


@pytest.fixture
def helen(head_group):
    """The head of recruiting: a recruiter (sees every application and pay)."""
    user = UserFactory(username="helen", first_name="Helen", email="helen@closer.example")
    user.groups.add(Group.objects.get(name="Recruiters"), head_group)
    return user


@pytest.fixture
def nico(head_group):
    """In the group, sees every application, may not see pay."""
    user = UserFactory(username="nico", first_name="Nico", email="nico@closer.example")
    user.user_permissions.add(
        Permission.objects.get(codename="view_application", content_type__app_label="pipeline")
    )
    user.groups.add(head_group)
    return user


def closed(offer, status, at):
    Offer.objects.filter(pk=offer.pk).update(status=status, closed_at=at)
    offer.refresh_from_db()
    return offer


def competing(competitor, year_one, at, *, confidence="verbal", **kwargs):
    """A competing offer of `year_one` USD of base (its year one: no other pay), recorded at
    `at`, through the service."""
    candidate = kwargs.pop("candidate", None) or CandidateFactory()
    return competing_offer(
        candidate,
        competitor,
        UserFactory(),
        base_salary=Decimal(year_one),
        deadline=NOW + timedelta(days=30),
        confidence=confidence,
        recorded_at=at,
        **kwargs,
    )


@pytest.fixture
def week(market):
    """The week's data, each figure's answer in the comments."""
    recruiter = UserFactory()
    meridian = CompanyFactory(name="Meridian AI", kind=Company.Kind.COMPETITOR)
    helix = CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)
    role = RoleFactory(title="Senior Research Scientist")
    # Wins: Ada's offer (400,000 USD base: year one 400,000) accepted in the week; Bob's the
    # week before, not this week's.
    ada = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"), role=role)
    closed(OfferFactory(application=ada, drafted_by=recruiter), "accepted", IN_THE_WEEK)
    bob = ApplicationFactory(candidate=CandidateFactory(name="Bob Early"), role=role)
    closed(OfferFactory(application=bob, drafted_by=recruiter), "accepted", WEEK_BEFORE)
    # A loss: Carl declined ours (500,000) for Meridian's (600,000 on his application).
    carl = ApplicationFactory(candidate=CandidateFactory(name="Carl Gauss"), role=role)
    lost = OfferFactory(application=carl, drafted_by=recruiter, base_salary=Decimal(500_000))
    competing(meridian, 600_000, IN_THE_WEEK, candidate=carl.candidate, application=carl)
    closed(lost, "declined", IN_THE_WEEK)
    OfferDecline.objects.create(offer=lost, reason="other_offer", competitor=meridian)
    # Meridian this week: 600,000 (Carl's) and 700,000: median 650,000. A rumoured 2,000,000
    # is left out (with it the median would be 700,000).
    competing(meridian, 700_000, IN_THE_WEEK)
    competing(meridian, 2_000_000, IN_THE_WEEK, confidence="rumoured")
    # Meridian in the 12 weeks before (from 9 September): 500,000, 600,000, 700,000: median
    # 600,000. 13 weeks before, 100,000 is left out. 650,000 / 600,000 = +8.3%: moved (> 5%).
    competing(meridian, 500_000, WEEK_BEFORE)
    competing(meridian, 600_000, WEEK_BEFORE - timedelta(weeks=5))
    competing(meridian, 700_000, WEEK_BEFORE - timedelta(weeks=11))
    competing(meridian, 100_000, WEEK_BEFORE - timedelta(weeks=12, days=1))
    # Helix: 800,000 this week against 780,000 before: +2.6%, not a move.
    competing(helix, 800_000, IN_THE_WEEK)
    competing(helix, 780_000, WEEK_BEFORE)
    return {"meridian": meridian, "helix": helix}


def test_the_week_is_monday_to_sunday_before_the_run():
    week = digest.week_before(datetime(2026, 12, 9, 18, 0, tzinfo=UTC))  # a Wednesday
    assert (week.first_day.isoformat(), week.last_day.isoformat()) == ("2026-11-30", "2026-12-06")
    assert week.starts == datetime(2026, 11, 30, tzinfo=UTC)
    assert week.ends == datetime(2026, 12, 7, tzinfo=UTC)


def test_the_figures_against_the_hand_computed_week(week, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        figures = digest.figures_of(digest.week_before(NOW))
    won, won_rows = figures.wins
    assert won == 1
    assert won_rows == [
        {
            "candidate": "Ada Lovelace",
            "role": "Senior Research Scientist",
            "year_one": Decimal("400000.00"),
        }
    ]
    lost, [loss] = figures.losses
    assert lost == 1
    assert loss == {
        "candidate": "Carl Gauss",
        "role": "Senior Research Scientist",
        "competitor": "Meridian AI",
        "year_one": Decimal("500000.00"),
        "rival_year_one": Decimal("600000.00"),
    }
    rivals = {r["name"]: r for r in figures.rivals}
    assert rivals["Meridian AI"] == {
        "name": "Meridian AI",
        "week_count": 2,
        "before_count": 3,
        "week_median": Decimal("650000.00"),
        "before_median": Decimal("600000.00"),
        "change": Decimal("8.3"),
        "moved": True,
    }
    assert rivals["Helix Intelligence"]["change"] == Decimal("2.6")  # 20,000 / 780,000
    assert rivals["Helix Intelligence"]["moved"] is False


def test_the_digest_is_emailed_by_the_worker_once_a_week(
    week, helen, nico, celery_worker, smtp_server
):
    smtp_server.clear()
    manager = UserFactory(username="hank", email="hank@closer.example")
    RoleFactory(hiring_manager=manager)
    manager.groups.add(Group.objects.get(name=settings.REPORTS_DIGEST_GROUP))

    with transaction.atomic():
        assert digest.send_weekly_digest(NOW) == 2  # Helen and Nico; not the hiring manager
    messages = smtp_server.wait_for(2)
    assert ping.delay().get(timeout=30) == "pong"
    by_address = {m["To"]: m for m in messages}
    assert set(by_address) == {"helen@closer.example", "nico@closer.example"}

    to_helen = by_address["helen@closer.example"]
    assert to_helen["Subject"] == "[Closer] Weekly digest, 30 Nov to 6 Dec 2026: 1 won, 1 lost"
    text = to_helen.get_body(("plain",)).get_content()
    assert "Wins: 1 offer accepted." in text
    assert "- Ada Lovelace, Senior Research Scientist: 400,000 USD in year one" in text
    assert "Bob Early" not in text
    assert (
        "- Carl Gauss, Senior Research Scientist: chose Meridian AI "
        "(ours 500,000 USD, theirs 600,000 USD in year one)" in text
    )
    assert (
        "- Meridian AI: 650,000 USD against 600,000 USD (+8.3%; 2 offers this week, 3 before)"
        in text
    )
    assert "Helix" not in text  # +2.6%: did not move
    assert f"{settings.SITE_URL.rstrip('/')}/reports/" in text
    assert "650,000 USD against 600,000 USD" in to_helen.get_body(("html",)).get_content()

    to_nico = by_address["nico@closer.example"]
    for part in (to_nico.get_body(("plain",)), to_nico.get_body(("html",))):
        content = part.get_content()
        assert "Ada Lovelace" in content
        assert "chose Meridian AI" in content
        assert not [amount for amount in AMOUNTS if amount in content], content
    text = to_nico.get_body(("plain",)).get_content()
    assert "- Meridian AI: 2 (before: 3)" in text
    assert "- Helix Intelligence: 1 (before: 1)" in text
    # Nor does his alert's row keep any amount.
    row = Alert.objects.get(recipient=nico, kind=digest.KIND)
    assert not [amount for amount in AMOUNTS[:-2] if amount in str(row.context)]
    assert row.status == Alert.Status.SENT

    # Run again the same week (the scheduler's retry, a second beat): nothing new is sent.
    assert digest.send_weekly_digest(NOW + timedelta(days=2)) == 0
    assert ping.delay().get(timeout=30) == "pong"
    assert len(smtp_server.messages) == 2


def test_the_scheduled_task_runs_in_the_worker_and_sends_once(helen, celery_worker, smtp_server):
    smtp_server.clear()
    entry = settings.CELERY_BEAT_SCHEDULE["reports-weekly-digest"]
    assert entry["task"] == "reports.send_weekly_digest"
    # Minute 0, hour 7, any day of the month and month, on Mondays.
    assert str(entry["schedule"]).startswith("<crontab: 0 7 * * mon ")

    send_weekly_digest.delay()
    send_weekly_digest.delay()
    # The worker runs one task at a time, in order: after this ping both runs and the
    # delivery they queued have run.
    assert ping.delay().get(timeout=30) == "pong"
    assert ping.delay().get(timeout=30) == "pong"
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "helen@closer.example"
    assert "Wins: 0 offers accepted." in message.get_body(("plain",)).get_content()
    assert Alert.objects.filter(kind=digest.KIND).count() == 1
