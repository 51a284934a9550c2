"""The rival pay intelligence report (recruiting/web/reports/rivals.py), read as its users read
it: the CSV's cells and the page's text, against figures computed by hand below.

The data set, every offer in USD (the reporting currency), recorded in 2026:

Helix, to candidates for the senior Silicon Valley role (Hank manages it):
  O1 verified, Feb: $200k base + a $400k grant vesting 25% a year
     -> year one 200k + 100k = 300k; annual average 300k (4 years of 300k); signing 0; grant 400k
  O2 verbal, Feb:   $300k base + a $200k signing bonus, half at start and half after a year
     -> year one 400k; annual average (400k + 400k) / 2 = 400k; signing 200k; grant 0
  O3 written, May:  $300k base + $200k signing at start + $100k retention after a year
     -> year one 500k; annual average (500k + 400k) / 2 = 450k; signing 200k; grant 0
  R  rumoured, May: $2,000k base -> year one, annual average 2,000k; signing 0; grant 0
Helix, to a candidate for the staff London role (not Hank's):
  O4 written, May:  $600k base + a $1,600k grant vesting 25% a year
     -> year one 600k + 400k = 1,000k; annual average 1,000k; signing 0; grant 1,600k
Helix, in 2025 (before the dates asked for): $5,000k base, never counted.
Quanta, to the staff London candidate, written, March: $350k base.
Outside offers to Eve, our staff-level employee (no application): Helix written, April, $700k
base; Quanta rumoured, April, $900k base.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate, Company
from offers.demo import build_market
from offers.models import CompetingOffer
from offers.terms import EquityTerms
from recruiting.pipeline.models import Application, Role
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    RoleFactory,
    UserFactory,
    competing_offer,
)

pytestmark = pytest.mark.django_db

K = Decimal(1_000)
C = CompetingOffer.Confidence
EVEN_4_YEARS = [Decimal(25)] * 4
URL = reverse("web:report_rivals")
DATES = {"date_from": "2026-01-01", "date_to": "2026-06-30"}


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def helix():
    return CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)


@pytest.fixture
def quanta():
    return CompanyFactory(name="Quanta Labs", kind=Company.Kind.COMPETITOR)


@pytest.fixture
def senior_sv(hiring_manager):
    return RoleFactory(
        title="Research Scientist, Pre-training",
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
    )


@pytest.fixture
def staff_london():
    return RoleFactory(
        title="Staff Engineer, Inference", level="staff", zone=Role.Zone.LONDON, city="London"
    )


def on(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(day) + timedelta(hours=12))


def record(candidate, competitor, recruiter, *, application=None, when, confidence, **terms):
    """A competing offer recorded through the service (which values it), then dated `when`."""
    return competing_offer(
        candidate,
        competitor,
        recruiter,
        application=application,
        confidence=confidence,
        recorded_at=on(when),
        **terms,
    )


def grant(value: Decimal) -> list[EquityTerms]:
    return [EquityTerms(value, EVEN_4_YEARS)]


@pytest.fixture
def eve():
    return CandidateFactory(
        name="Eve Employee", relationship=Candidate.Relationship.EMPLOYEE, level="staff"
    )


@pytest.fixture
def offers(recruiter, helix, quanta, senior_sv, staff_london, eve):
    ada = ApplicationFactory(candidate=CandidateFactory(name="Ada"), role=senior_sv)
    bob = ApplicationFactory(candidate=CandidateFactory(name="Bob"), role=senior_sv)
    cy = ApplicationFactory(candidate=CandidateFactory(name="Cy"), role=senior_sv)
    dan = ApplicationFactory(candidate=CandidateFactory(name="Dan"), role=staff_london)

    def for_(app, competitor, **kwargs):
        return record(app.candidate, competitor, recruiter, application=app, **kwargs)

    # O1
    for_(
        ada,
        helix,
        when="2026-02-10",
        confidence=C.VERIFIED,
        base_salary=200 * K,
        equity=grant(400 * K),
    )
    # O2
    for_(
        bob,
        helix,
        when="2026-02-20",
        confidence=C.VERBAL,
        base_salary=300 * K,
        signing_payments=[(0, 100 * K), (12, 100 * K)],
    )
    # O3
    for_(
        cy,
        helix,
        when="2026-05-05",
        confidence=C.WRITTEN,
        base_salary=300 * K,
        signing_payments=[(0, 200 * K)],
        retention_payments=[(12, 100 * K)],
    )
    # R
    for_(ada, helix, when="2026-05-15", confidence=C.RUMOURED, base_salary=2_000 * K)
    # O4
    for_(
        dan,
        helix,
        when="2026-05-20",
        confidence=C.WRITTEN,
        base_salary=600 * K,
        equity=grant(1_600 * K),
    )
    for_(dan, helix, when="2025-06-01", confidence=C.WRITTEN, base_salary=5_000 * K)
    for_(dan, quanta, when="2026-03-03", confidence=C.WRITTEN, base_salary=350 * K)
    record(eve, helix, recruiter, when="2026-04-01", confidence=C.WRITTEN, base_salary=700 * K)
    record(eve, quanta, recruiter, when="2026-04-02", confidence=C.RUMOURED, base_salary=900 * K)


def csv_tables(response) -> dict[str, list[dict[str, str]]]:
    """The CSV's tables by title, each a list of rows keyed by column label."""
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    tables: dict[str, list[dict[str, str]]] = {}
    i = 1
    while i < len(lines):
        assert lines[i] == []
        title, header = lines[i + 1][0], lines[i + 2]
        i += 3
        rows = []
        while i < len(lines) and lines[i]:
            rows.append(dict(zip(header, lines[i], strict=True)))
            i += 1
        tables[title] = rows
    return tables


def get_csv(client, user, **query: Any) -> dict[str, list[dict[str, str]]]:
    client.force_login(user)
    response = client.get(URL, {**DATES, **query, "format": "csv"})
    assert response.status_code == 200
    return csv_tables(response)


def row_of(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    (found,) = [r for r in rows if all(r[k] == v for k, v in match.items())]
    return found


# --- Per competitor --------------------------------------------------------------------------


def test_per_competitor_leaves_rumours_out_of_the_amounts(client, recruiter, offers):
    rows = get_csv(client, recruiter)["Per competitor"]

    assert [r["Competitor"] for r in rows] == ["Helix Intelligence", "Quanta Labs"]
    helix = row_of(rows, Competitor="Helix Intelligence")
    # O1..O4 and the rumour, in the dates (the 2025 offer is not): one of each certainty but
    # two written; the amounts stand on the four that are not rumoured.
    assert {k: helix[k] for k in ("Offers", "Rumoured", "Verbal", "Written", "Verified")} == {
        "Offers": "5",
        "Rumoured": "1",
        "Verbal": "1",
        "Written": "2",
        "Verified": "1",
    }
    assert helix["In the figures"] == "4"
    # Year one 300k, 400k, 500k, 1,000k: the median is (400k + 500k) / 2 = 450k.
    assert helix["Median year one"] == "450000.00"
    assert (helix["Lowest year one"], helix["Highest year one"]) == ("300000.00", "1000000.00")
    # Annual averages 300k, 400k, 450k, 1,000k: (400k + 450k) / 2 = 425k.
    assert helix["Median annual average"] == "425000.00"
    # Signing bonuses 0, 200k, 200k, 0 -> sorted 0, 0, 200k, 200k: (0 + 200k) / 2 = 100k.
    assert helix["Median signing bonus (all instalments)"] == "100000.00"
    # Grants 400k, 0, 0, 1,600k -> sorted 0, 0, 400k, 1,600k: (0 + 400k) / 2 = 200k.
    assert helix["Median equity grant (value at grant)"] == "200000.00"

    quanta = row_of(rows, Competitor="Quanta Labs")
    assert (quanta["Offers"], quanta["Written"], quanta["In the figures"]) == ("1", "1", "1")
    assert quanta["Median year one"] == quanta["Highest year one"] == "350000.00"


def test_rumoured_offers_count_when_asked(client, recruiter, offers):
    helix = row_of(
        get_csv(client, recruiter, with_rumoured="on")["Per competitor"],
        Competitor="Helix Intelligence",
    )

    assert (helix["Offers"], helix["Rumoured"], helix["In the figures"]) == ("5", "1", "5")
    # Year one 300k, 400k, 500k, 1,000k, 2,000k: the middle one, 500k.
    assert helix["Median year one"] == "500000.00"
    assert (helix["Lowest year one"], helix["Highest year one"]) == ("300000.00", "2000000.00")
    # Annual averages 300k, 400k, 450k, 1,000k, 2,000k: 450k.
    assert helix["Median annual average"] == "450000.00"
    # Signing 0, 0, 0, 200k, 200k: 0. Grants 0, 0, 0, 400k, 1,600k: 0.
    assert helix["Median signing bonus (all instalments)"] == "0.00"
    assert helix["Median equity grant (value at grant)"] == "0.00"


def test_the_page_shows_the_figures_the_range_chart_and_the_rumour_checkbox(
    client, recruiter, offers
):
    client.force_login(recruiter)
    page = client.get(URL, DATES).content.decode()

    assert 'name="with_rumoured"' in page
    assert "450,000" in page  # Helix's median year one
    assert "Amounts leave rumoured offers out" in page
    # The chart: Helix's median, drawn with its range.
    assert "Median year one, lowest to highest" in page
    assert "450.0k" in page


def test_the_competitor_filter(client, recruiter, offers, quanta):
    tables = get_csv(client, recruiter, competitor=quanta.pk)

    assert [r["Competitor"] for r in tables["Per competitor"]] == ["Quanta Labs"]
    assert [r["Competitor"] for r in tables["Outside offers to our employees"]] == ["Quanta Labs"]


def test_the_dates_are_those_the_offers_were_recorded(client, recruiter, offers):
    rows = get_csv(client, recruiter, date_from="2025-01-01", date_to="2025-12-31")[
        "Per competitor"
    ]

    # Only the 2025 offer, $5,000k.
    assert [(r["Competitor"], r["Offers"], r["Median year one"]) for r in rows] == [
        ("Helix Intelligence", "1", "5000000.00")
    ]


# --- Per competitor, level and zone ----------------------------------------------------------


def test_per_competitor_level_and_zone(client, recruiter, offers):
    rows = get_csv(client, recruiter)["Per competitor, level and zone"]

    assert [(r["Competitor"], r["Level"], r["Zone"], r["Offers"]) for r in rows] == [
        ("Helix Intelligence", "Senior", "Silicon Valley", "3"),  # O1-O3, not the rumour
        ("Helix Intelligence", "Staff", "London", "1"),
        ("Quanta Labs", "Staff", "London", "1"),
    ]
    senior = rows[0]
    # Year one 300k, 400k, 500k: 400k; signing 0, 200k, 200k: 200k; grants 400k, 0, 0: 0.
    assert senior["Median year one"] == "400000.00"
    assert (senior["Lowest year one"], senior["Highest year one"]) == ("300000.00", "500000.00")
    assert senior["Median signing bonus (all instalments)"] == "200000.00"
    assert senior["Median equity grant (value at grant)"] == "0.00"
    staff = rows[1]
    assert staff["Median year one"] == "1000000.00"
    assert staff["Median equity grant (value at grant)"] == "1600000.00"


def test_level_and_zone_filters(client, recruiter, offers):
    rows = get_csv(client, recruiter, level="staff", zone="london")["Per competitor"]

    assert [(r["Competitor"], r["Offers"], r["Median year one"]) for r in rows] == [
        ("Helix Intelligence", "1", "1000000.00"),
        ("Quanta Labs", "1", "350000.00"),
    ]


# --- Trend by quarter ------------------------------------------------------------------------


def test_trend_by_quarter(client, recruiter, offers):
    rows = get_csv(client, recruiter)["Trend by quarter"]

    assert [(r["Competitor"], r["Quarter"], r["Offers"], r["Median year one"]) for r in rows] == [
        # Q1: O1 300k, O2 400k -> 350k. Q2: O3 500k, O4 1,000k -> 750k (the rumour left out).
        ("Helix Intelligence", "2026 Q1", "2", "350000.00"),
        ("Helix Intelligence", "2026 Q2", "2", "750000.00"),
        ("Quanta Labs", "2026 Q1", "1", "350000.00"),
    ]


def test_trend_with_rumours(client, recruiter, offers):
    rows = get_csv(client, recruiter, with_rumoured="on")["Trend by quarter"]

    # Q2 with the rumour: 500k, 1,000k, 2,000k -> 1,000k.
    assert row_of(rows, Competitor="Helix Intelligence", Quarter="2026 Q2")["Offers"] == "3"
    assert (
        row_of(rows, Competitor="Helix Intelligence", Quarter="2026 Q2")["Median year one"]
        == "1000000.00"
    )


# --- Outside offers to our employees ---------------------------------------------------------


def test_outside_offers_to_employees(client, recruiter, offers):
    rows = get_csv(client, recruiter)["Outside offers to our employees"]

    helix, quanta = rows
    assert (helix["Competitor"], helix["Offers"], helix["Written"]) == (
        "Helix Intelligence",
        "1",
        "1",
    )
    assert helix["Median year one"] == "700000.00"
    # Quanta's only outside offer is a rumour: counted, in no amount.
    assert (quanta["Offers"], quanta["Rumoured"], quanta["In the figures"]) == ("1", "1", "0")
    assert quanta["Median year one"] == ""


def test_employees_level_is_their_records_and_zone_the_role_they_were_hired_into(
    client, recruiter, offers, eve, staff_london
):
    def employees(**query: Any) -> list[str]:
        tables = get_csv(client, recruiter, **query)
        return [r["Competitor"] for r in tables["Outside offers to our employees"]]

    assert employees(level="staff") == ["Helix Intelligence", "Quanta Labs"]
    assert employees(level="senior") == []
    # Eve was not hired through Closer: she has no zone.
    assert employees(zone="london") == []
    hired = ApplicationFactory(candidate=eve, role=staff_london)
    Application.objects.filter(pk=hired.pk).update(status=Application.Status.HIRED)
    assert employees(zone="london") == ["Helix Intelligence", "Quanta Labs"]
    assert employees(zone="paris") == []


# --- Who sees what ---------------------------------------------------------------------------


@pytest.fixture
def viewer(db):
    """Sees every application, without view_compensation."""
    user = UserFactory(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_application"))
    return user


AMOUNTS = ("300000", "300,000", "450000", "450,000", "450.0k", "1000000", "1,000,000", "1.0M")


def test_without_view_compensation_only_counts(client, viewer, offers):
    tables = get_csv(client, viewer)
    page = client.get(URL, DATES).content.decode()
    raw = client.get(URL, {**DATES, "format": "csv"}).content.decode()

    helix = row_of(tables["Per competitor"], Competitor="Helix Intelligence")
    assert helix == {
        "Competitor": "Helix Intelligence",
        "Offers": "5",
        "Rumoured": "1",
        "Verbal": "1",
        "Written": "2",
        "Verified": "1",
    }
    assert list(tables["Trend by quarter"][0]) == ["Competitor", "Quarter", "Offers"]
    assert "Helix Intelligence" in page
    for text in (page, raw):
        assert "Median" not in text and "Lowest" not in text and "Highest" not in text
        assert "In the figures" not in text
        for amount in AMOUNTS:
            assert amount not in text


def test_a_hiring_manager_sees_their_roles_offers_only(client, hiring_manager, offers):
    tables = get_csv(client, hiring_manager)

    # Hank's role, the senior one: Helix's O1-O3 and the rumour; not London's, not Quanta's,
    # and no employee's outside offer.
    assert tables["Per competitor"] == [
        {
            "Competitor": "Helix Intelligence",
            "Offers": "4",
            "Rumoured": "1",
            "Verbal": "1",
            "Written": "1",
            "Verified": "1",
        }
    ]
    assert [r["Quarter"] for r in tables["Trend by quarter"]] == ["2026 Q1", "2026 Q2"]
    assert "Outside offers to our employees" not in tables
    page = client.get(URL, DATES).content.decode()
    tables_shown = page[page.index('id="table-competitors"') :]
    assert "Helix Intelligence" in tables_shown
    assert "Quanta Labs" not in tables_shown
    assert "Outside offers to our employees" not in page


def test_queries_do_not_grow_with_the_offers(
    client, recruiter, offers, helix, staff_london, django_assert_max_num_queries
):
    client.force_login(recruiter)
    with django_assert_max_num_queries(15):
        assert client.get(URL, DATES).status_code == 200
    for i in range(6):
        app = ApplicationFactory(candidate=CandidateFactory(name=f"More {i}"), role=staff_london)
        record(
            app.candidate,
            CompanyFactory(),
            recruiter,
            application=app,
            when=f"2026-0{i + 1}-09",
            confidence=C.WRITTEN,
            base_salary=100 * K,
        )
    with django_assert_max_num_queries(15):
        assert client.get(URL, DATES).status_code == 200
