"""The wins and losses report against a small world whose every figure is worked out by hand
below: nine answered offers in three roles (one out of the default dates), two competitors,
two counter-offers.

All amounts are USD, the reporting currency (1 USD = 1 USD), year one:

    role       level   candidate  our last offer           answer      competitor's offer
    Scientist  senior  Ada        400k base                accepted    Helix 480k (written)
    Scientist  senior  Bo         400k + 10% + 50k signing declined → Helix
                                  = 490k                               420k + 10% + 78k = 540k
    Scientist  senior  Ed         v1 400k, v2 420k         accepted    Orbit 430k (verbal)
    Engineer   staff   Cy         500k base                declined → Helix
                                                                       550k + 400k RSUs over
                                                                       4 years (100k in year
                                                                       one) = 650k, verified;
                                                                       and a rumoured 900k
    Engineer   staff   Di         500k base                declined (compensation, no rival)
    Engineer   staff   Fay        v1 500k, v2 560k         declined → Orbit 600k (written)
    Designer   senior  Hal        300k base                accepted
    Designer   senior  Jo         300k base                declined → Orbit, whose offer was
                                                           never recorded
    Designer   senior  Gus        300k base                accepted 400 days ago (outside
                                                           the default year)
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from offers.answers import DeclineAnswer, decline
from offers.demo import build_market
from offers.models import CompetingOffer, Offer, OfferDecline
from offers.services import accept_offer, revise_offer, send_offer, submit_for_approval
from offers.terms import EquityTerms
from recruiting.lib.aggregates import percentile_of
from recruiting.pipeline.models import Role
from recruiting.web.reports.base import Filters, Scope
from recruiting.web.reports.outcomes import OUTCOMES
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
    competing_offer,
    offer_terms,
)

pytestmark = pytest.mark.django_db

K = Decimal(1000)
URL = "web:report_outcomes"


# --- Building the world through the services ---------------------------------------------------


def sent(application, by, **terms) -> Offer:
    offer = OfferFactory.create(application=application, drafted_by=by, **terms)
    return send_offer(submit_for_approval(offer, by=by), by=by)


def revised(offer: Offer, by, **terms) -> Offer:
    new = revise_offer(offer, by=by, terms=offer_terms(**terms))
    return send_offer(submit_for_approval(new, by=by), by=by)


def rival(application, competitor, by, confidence=CompetingOffer.Confidence.WRITTEN, **terms):
    return competing_offer(
        application.candidate,
        competitor,
        by,
        application=application,
        confidence=confidence,
        **terms,
    )


def declined(offer: Offer, by, competitor=None) -> None:
    reason = OfferDecline.Reason.OTHER_OFFER if competitor else OfferDecline.Reason.COMPENSATION
    decline(offer, DeclineAnswer(reason=reason, competitor=competitor), by=by)


def applicant(role, name: str):
    return ApplicationFactory(role=role, candidate=CandidateFactory(name=name))


@pytest.fixture
def world(recruiter, hiring_manager):
    build_market()
    by = recruiter
    scientist = RoleFactory(
        title="Scientist", city="San Francisco", level="senior", zone=Role.Zone.SILICON_VALLEY
    )
    engineer = RoleFactory(
        title="Engineer",
        city="Seattle",
        level="staff",
        zone=Role.Zone.SEATTLE,
        hiring_manager=hiring_manager,
    )
    designer = RoleFactory(title="Designer", city="New York", level="senior")
    helix = CompanyFactory(name="Helix")
    orbit = CompanyFactory(name="Orbit")

    ada = applicant(scientist, "Ada Accepts")
    rival(ada, helix, by, base_salary=480 * K)
    accept_offer(sent(ada, by, base_salary=400 * K), by=by)

    bo = applicant(scientist, "Bo Leaves")
    rival(
        bo,
        helix,
        by,
        base_salary=420 * K,
        target_bonus_percent=Decimal(10),
        signing_payments=[(0, 78 * K)],
    )
    bo_offer = sent(
        bo,
        by,
        base_salary=400 * K,
        target_bonus_percent=Decimal(10),
        signing_payments=[(0, 50 * K)],
    )
    declined(bo_offer, by, helix)

    ed = applicant(scientist, "Ed Stays")
    first = sent(ed, by, base_salary=400 * K)
    rival(ed, orbit, by, confidence=CompetingOffer.Confidence.VERBAL, base_salary=430 * K)
    accept_offer(revised(first, by, base_salary=420 * K), by=by)

    cy = applicant(engineer, "Cy Leaves")
    rival(
        cy,
        helix,
        by,
        confidence=CompetingOffer.Confidence.VERIFIED,
        base_salary=550 * K,
        equity=[EquityTerms(400 * K, [Decimal(25)] * 4)],
    )
    # Rumoured, and larger: the verified one above is the one believed.
    rival(cy, helix, by, confidence=CompetingOffer.Confidence.RUMOURED, base_salary=900 * K)
    declined(sent(cy, by, base_salary=500 * K), by, helix)

    di = applicant(engineer, "Di Declines")
    declined(sent(di, by, base_salary=500 * K), by)

    fay = applicant(engineer, "Fay Leaves")
    first = sent(fay, by, base_salary=500 * K)
    rival(fay, orbit, by, base_salary=600 * K)
    declined(revised(first, by, base_salary=560 * K), by, orbit)

    accept_offer(sent(applicant(designer, "Hal Accepts"), by, base_salary=300 * K), by=by)
    declined(sent(applicant(designer, "Jo Leaves"), by, base_salary=300 * K), by, orbit)
    gus = accept_offer(sent(applicant(designer, "Gus Early"), by, base_salary=300 * K), by=by)
    Offer.objects.filter(pk=gus.pk).update(closed_at=timezone.now() - timedelta(days=400))

    return SimpleNamespace(
        scientist=scientist, engineer=engineer, designer=designer, helix=helix, orbit=orbit
    )


# --- Reading the report as a user does ---------------------------------------------------------


def tables_of(response) -> dict[str, list[dict[str, str]]]:
    """The CSV's tables by title, each a list of rows keyed by the column labels."""
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    tables: dict[str, list[dict[str, str]]] = {}
    i = 1
    while i < len(lines):
        if not lines[i]:
            title, header = lines[i + 1][0], lines[i + 2]
            i += 3
            rows = []
            while i < len(lines) and lines[i]:
                rows.append(dict(zip(header, lines[i], strict=True)))
                i += 1
            tables[title] = rows
        else:
            i += 1
    return tables


def csv_of(client, user, **query: Any) -> dict[str, list[dict[str, str]]]:
    client.force_login(user)
    return tables_of(client.get(reverse(URL), {**query, "format": "csv"}))


def by_label(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in rows}


ROLE = "Offers accepted and declined, by role"
LEVEL = "Offers accepted and declined, by level"
COMPETITOR = "Offers accepted and declined, by competitor"
LOSSES = "Losses to a competitor: their offer against our last one"
GAPS = "Losses to each competitor"
COUNTERS = "Counter-offers: how often they won, and at what cost"


def test_accepted_and_declined_by_role_and_level(client, recruiter, world):
    tables = csv_of(client, recruiter)

    roles = by_label(tables[ROLE], "Role")
    # Scientist: Ada and Ed accepted, Bo declined for Helix: 2 of 3 = 66.7%.
    assert roles["Scientist, San Francisco"] == {
        "Role": "Scientist, San Francisco",
        "Accepted": "2",
        "Declined": "1",
        "Declined for a competitor": "1",
        "Acceptance rate": "66.7",
    }
    # Engineer: Cy (Helix), Di (no rival) and Fay (Orbit) declined: 0 of 3.
    assert roles["Engineer, Seattle"]["Acceptance rate"] == "0.0"
    assert roles["Engineer, Seattle"]["Declined for a competitor"] == "2"
    # Designer: Hal accepted, Jo declined for Orbit; Gus answered 400 days ago, outside the
    # last year: 1 of 2.
    assert roles["Designer, New York"]["Accepted"] == "1"
    assert roles["Designer, New York"]["Acceptance rate"] == "50.0"

    levels = by_label(tables[LEVEL], "Level")
    # Senior: Scientist's 2 of 3 and Designer's 1 of 2 = 3 of 5 = 60%. Staff: 0 of 3.
    assert [row["Level"] for row in tables[LEVEL]] == ["Senior", "Staff"]
    assert (levels["Senior"]["Accepted"], levels["Senior"]["Declined"]) == ("3", "2")
    assert levels["Senior"]["Acceptance rate"] == "60.0"
    assert levels["Staff"]["Acceptance rate"] == "0.0"


def test_by_competitor_counts_where_they_were_in_the_race(client, recruiter, world):
    rows = by_label(csv_of(client, recruiter)[COMPETITOR], "Competitor")

    # Helix: an offer to Ada (who accepted ours), Bo and Cy went to them: 1 of 3 = 33.3%
    # accepted, 2 of 3 = 66.7% lost to them.
    assert rows["Helix"] == {
        "Competitor": "Helix",
        "Accepted ours": "1",
        "Declined ours": "2",
        "Went to them": "2",
        "Acceptance rate": "33.3",
        "Lost to them": "66.7",
    }
    # Orbit: Ed accepted our counter; Fay and Jo (whose Orbit offer we never heard of) went
    # to them: 1 of 3 = 33.3%.
    assert rows["Orbit"]["Acceptance rate"] == "33.3"
    assert rows["Orbit"]["Went to them"] == "2"
    assert set(rows) == {"Helix", "Orbit"}


def test_each_loss_with_its_gap_by_component(client, recruiter, world):
    rows = by_label(csv_of(client, recruiter)[LOSSES], "Candidate")

    # By competitor, then by the day they declined.
    assert list(rows) == ["Bo Leaves", "Cy Leaves", "Fay Leaves", "Jo Leaves"]
    bo = rows["Bo Leaves"]
    # Ours: 400k + 10% bonus 40k + 50k signing = 490k. Helix: 420k + 42k + 78k = 540k.
    # Gap 50k: base 20k, bonus 2k, signing 28k; most of it the signing bonus.
    assert bo["Went to"] == "Helix"
    assert bo["How sure we are"] == "Written"
    assert (bo["Our last offer"], bo["Theirs"], bo["Gap"]) == ("490000.00", "540000.00", "50000.00")
    assert bo["Base salary gap"] == "20000.00"
    assert bo["Target bonus gap"] == "2000.00"
    assert bo["Signing bonus gap"] == "28000.00"
    assert bo["Equity gap"] == "0.00"
    assert bo["Mostly in"] == "Signing bonus"

    cy = rows["Cy Leaves"]
    # The verified Helix offer, not the larger rumoured one: 550k + 400k RSUs vesting 25% a
    # year after a 12-month cliff (100k in year one) = 650k against our 500k: gap 150k, of
    # which base 50k and equity 100k.
    assert cy["How sure we are"] == "Verified (we saw the letter)"
    assert (cy["Theirs"], cy["Gap"]) == ("650000.00", "150000.00")
    assert (cy["Base salary gap"], cy["Equity gap"]) == ("50000.00", "100000.00")
    assert cy["Mostly in"] == "Equity"

    fay = rows["Fay Leaves"]
    # Our last version, 560k (not the first, 500k), against Orbit's 600k: 40k, all base.
    assert (fay["Our last offer"], fay["Gap"], fay["Mostly in"]) == (
        "560000.00",
        "40000.00",
        "Base salary",
    )
    jo = rows["Jo Leaves"]
    # Orbit's offer to Jo was never recorded: no gap to tell.
    assert (jo["How sure we are"], jo["Our last offer"], jo["Theirs"], jo["Gap"]) == (
        "not recorded",
        "300000.00",
        "",
        "",
    )
    assert (jo["Base salary gap"], jo["Mostly in"]) == ("", "")


def test_the_median_gap_per_competitor(client, recruiter, world):
    rows = by_label(csv_of(client, recruiter)[GAPS], "Competitor")

    # Helix: gaps 50k and 150k, median 100k; base gaps 20k and 50k, median 35k; equity gaps
    # 0 and 100k, median 50k.
    assert percentile_of([50_000, 150_000], 0.5) == 100_000
    assert rows["Helix"] == {
        "Competitor": "Helix",
        "Lost to them": "2",
        "With their offer recorded": "2",
        "Median gap": "100000.00",
        "Median base salary gap": "35000.00",
        "Median equity gap": "50000.00",
    }
    # Orbit: Fay's 40k; Jo is lost to them too, with no offer of theirs to compare.
    assert (rows["Orbit"]["Lost to them"], rows["Orbit"]["With their offer recorded"]) == ("2", "1")
    assert rows["Orbit"]["Median gap"] == "40000.00"


def test_counter_offers_won_and_their_cost(client, recruiter, world):
    rows = by_label(csv_of(client, recruiter)[COUNTERS], "Role")

    # Ed: 400k then 420k after Orbit's offer, accepted (raise 20k). Fay: 500k then 560k after
    # Orbit's, declined (raise 60k). Won 1 of 2 = 50%; median raise (20k + 60k) / 2 = 40k; the
    # raises of those accepted, 20k.
    assert rows["All roles"] == {
        "Role": "All roles",
        "Counter-offers answered": "2",
        "Accepted": "1",
        "Won": "50.0",
        "Median raise over the first offer": "40000.00",
        "Raises of those accepted, in all": "20000.00",
    }
    assert rows["Scientist, San Francisco"]["Won"] == "100.0"
    assert rows["Engineer, Seattle"]["Won"] == "0.0"
    assert rows["Engineer, Seattle"]["Median raise over the first offer"] == "60000.00"
    assert rows["Engineer, Seattle"]["Raises of those accepted, in all"] == ""


def test_the_competitor_filter(client, recruiter, world):
    tables = csv_of(client, recruiter, competitor=world.helix.pk)

    roles = by_label(tables[ROLE], "Role")
    # Helix was in the race for Ada (accepted), Bo and Cy (declined) only.
    assert set(roles) == {"Scientist, San Francisco", "Engineer, Seattle"}
    assert (
        roles["Scientist, San Francisco"]["Accepted"],
        roles["Engineer, Seattle"]["Declined"],
    ) == (
        "1",
        "1",
    )
    assert [row["Candidate"] for row in tables[LOSSES]] == ["Bo Leaves", "Cy Leaves"]
    # Neither counter-offer answered Helix.
    assert tables[COUNTERS] == []


def test_the_dates_are_those_of_the_answer(client, recruiter, world):
    day = timezone.localdate() - timedelta(days=400)
    tables = csv_of(client, recruiter, date_from=day - timedelta(days=1), date_to=day)

    # Only Gus answered then.
    assert tables[ROLE] == [
        {
            "Role": "Designer, New York",
            "Accepted": "1",
            "Declined": "0",
            "Declined for a competitor": "0",
            "Acceptance rate": "100.0",
        }
    ]
    assert tables[LOSSES] == []


def test_the_role_and_level_filters(client, recruiter, world):
    tables = csv_of(client, recruiter, level="staff")
    assert [row["Role"] for row in tables[ROLE]] == ["Engineer, Seattle"]
    assert [row["Candidate"] for row in tables[LOSSES]] == ["Cy Leaves", "Fay Leaves"]

    tables = csv_of(client, recruiter, role=world.scientist.pk)
    assert [row["Level"] for row in tables[LEVEL]] == ["Senior"]
    assert tables[LEVEL][0]["Acceptance rate"] == "66.7"


def test_without_pay_counts_and_rates_only(client, world):
    coordinator = UserFactory(username="coordinator")
    coordinator.user_permissions.add(
        Permission.objects.get(codename="view_application", content_type__app_label="pipeline")
    )
    tables = csv_of(client, coordinator)

    # The answers and the counts stay; no amount, and no "mostly in", which is read from them.
    assert by_label(tables[ROLE], "Role")["Scientist, San Francisco"]["Acceptance rate"] == "66.7"
    assert LOSSES not in tables
    assert by_label(tables[GAPS], "Competitor")["Helix"] == {
        "Competitor": "Helix",
        "Lost to them": "2",
        "With their offer recorded": "2",
    }
    assert by_label(tables[COUNTERS], "Role")["All roles"] == {
        "Role": "All roles",
        "Counter-offers answered": "2",
        "Accepted": "1",
        "Won": "50.0",
    }
    page = client.get(reverse(URL)).content.decode()
    assert "66.7% of 3" in page
    for amount in ("490,000", "540,000", "50,000", "100,000", "40,000", "Mostly in", "Signing"):
        assert amount not in page
    assert "median" not in page.lower() and "raise" not in page.lower()


def test_a_hiring_manager_sees_their_roles_without_pay(client, hiring_manager, world):
    tables = csv_of(client, hiring_manager)

    # Engineer only: Cy, Di and Fay, all declined; Helix took Cy, Orbit took Fay.
    assert [row["Role"] for row in tables[ROLE]] == ["Engineer, Seattle"]
    assert [row["Level"] for row in tables[LEVEL]] == ["Staff"]
    competitors = by_label(tables[COMPETITOR], "Competitor")
    assert competitors["Helix"]["Went to them"] == "1"
    assert competitors["Helix"]["Accepted ours"] == "0"
    assert LOSSES not in tables
    assert "Median gap" not in tables[GAPS][0]
    page = client.get(reverse(URL)).content.decode()
    assert "Scientist" not in page and "Ada Accepts" not in page and "Bo Leaves" not in page


def test_the_page_shows_the_figures(client, recruiter, world):
    client.force_login(recruiter)
    page = client.get(reverse(URL)).content.decode()

    assert "Wins and losses" in page
    assert "66.7% of 3" in page  # Scientist's acceptance
    assert "Bo Leaves" in page and "540,000" in page and "Signing bonus" in page
    assert "100,000" in page  # Helix's median gap


def test_the_queries_do_not_grow_with_the_rows(recruiter, world, django_assert_max_num_queries):
    today = timezone.localdate()
    scope = Scope(
        user=recruiter,
        filters=Filters(date_from=today - timedelta(days=365), date_to=today),
        pay=True,
    )
    # Nine: one grouped count of the answers, the roles' and competitors' names, the answers
    # with a competing offer on file, the loss list and the offers it names, the medians per
    # competitor, and the counter-offers per role and in all.
    with django_assert_max_num_queries(9):
        tables = OUTCOMES.build(scope)
    assert [len(t.rows) for t in tables] == [3, 2, 2, 4, 2, 3]


def test_the_loss_list_shows_the_latest(recruiter, world, monkeypatch):
    # The list is capped (200 at scale); here at 2: the latest two losses, Fay's and Jo's,
    # still by competitor, with a note saying how many there are in all.
    monkeypatch.setattr("recruiting.web.reports.outcomes.LATEST", 2)
    today = timezone.localdate()
    scope = Scope(
        user=recruiter,
        filters=Filters(date_from=today - timedelta(days=365), date_to=today),
        pay=True,
    )
    losses = {t.key: t for t in OUTCOMES.build(scope)}["losses"]
    assert [row["candidate"] for row in losses.rows] == ["Fay Leaves", "Jo Leaves"]
    assert losses.note.startswith("The latest 2 of 4 losses")
