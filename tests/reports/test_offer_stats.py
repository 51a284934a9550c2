"""The offers report (/reports/offers/): acceptance of the offers sent, time to signature,
offers above the band, the approval chain's time to decision, and signing and retention spend
by quarter, each figure against a small set of offers worked out by hand below; what someone
without view_compensation and a hiring manager see; its queries.

Everything happens in 2026 (the site's time zone is UTC) and the report is asked for its first
half, 1 January to 30 June. Offers are made, sent and answered through the services, then their
dates moved to the days the arithmetic uses and their report figures set to round amounts (the
report reads those columns; offers/figures.py and its tests say how they are written).

Three roles: Pre-training (senior, Silicon Valley, Hank's), Post-training (senior, London) and
Inference (staff, Silicon Valley). The offers sent in the half (11 versions):

    offer  role           sent        outcome                       band max  above band
    a1     Pre-training   10 Jan 09h  signed 12 Jan 21h (2.5 d)     2,000,000  300,000 (15%)
    a2     Pre-training    1 Feb 09h  signed  6 Feb 09h (5 d)       2,000,000  100,000 (5%)
    a3     Pre-training    1 Mar      declined                      2,000,000  0
    a4     Pre-training    1 Apr      expired                       2,000,000  500,000 (25%)
    a5     Pre-training   10 Apr      still with the candidate      2,000,000  0
    c1     Post-training  10 Mar      declined                      (no band)
    b1     Inference      20 Jan 09h  signed 21 Jan 09h (1 d)       3,000,000  600,000 (20%)
    b2     Inference       1 May 09h  signed 11 May 09h (10 d)      3,000,000  240,000 (8%)
    b3     Inference       5 May      withdrawn (rescinded)         3,000,000  0
    b4 v1  Inference       1 Feb      revised: v2 sent 15 Feb       3,000,000  150,000 (5%)
    b4 v2  Inference      15 Feb      accepted by the recruiter     3,000,000   90,000 (3%)
                                      on 20 Feb (no signature)

Two more were sent in 2025 and accepted in the half (in the spend, nowhere else): o1
(Pre-training, accepted 5 Jan) and o2 (Inference, accepted 2 Apr, not valued: no figures).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from offers.answers import Visitor, sign_offer
from offers.demo import build_market
from offers.links import current_letter, live_link
from offers.models import Approval, Offer, OfferSignature
from offers.permissions import APPROVER_GROUP, FINANCE_GROUP
from offers.services import (
    accept_offer,
    approve_offer,
    decline_offer,
    expire_offer,
    reject_offer,
    rescind_offer,
    revise_offer,
    send_offer,
    submit_for_approval,
)
from recruiting.lib.aggregates import percentile_of
from recruiting.pipeline.models import Role
from recruiting.web.reports.base import Filters, Scope
from recruiting.web.reports.offer_stats import build
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
)

URL = "/reports/offers/"
HALF = {"date_from": "2026-01-01", "date_to": "2026-06-30"}
VISITOR = Visitor(ip_address="203.0.113.7", user_agent="Mozilla/5.0")
K = Decimal(1000)


def on(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour))


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def roles(hiring_manager):
    sv = Role.Zone.SILICON_VALLEY
    scientist = Role.Family.RESEARCH_SCIENTIST
    return {
        "a": RoleFactory(
            title="Pre-training",
            city="San Francisco",
            level="senior",
            family=scientist,
            zone=sv,
            hiring_manager=hiring_manager,
        ),
        "c": RoleFactory(
            title="Post-training", city="London", level="senior", family=scientist, zone="london"
        ),
        "b": RoleFactory(title="Inference", city="San Francisco", level="staff", zone=sv),
    }


def sent_offer(role: Role, sent_at: datetime, by, **terms) -> Offer:
    """An offer approved at once (no rule applies to it) and sent, its sending moved to
    `sent_at`."""
    candidate = CandidateFactory(name=f"Candidate {Offer.objects.count() + 1}", owner=by)
    offer = OfferFactory.create(
        application=ApplicationFactory(role=role, candidate=candidate), **terms
    )
    submit_for_approval(offer, by=by)
    offer = send_offer(offer, by=by)
    Offer.objects.filter(pk=offer.pk).update(sent_at=sent_at)
    return offer


def signed(offer: Offer, signed_at: datetime) -> None:
    """The candidate signs on their page (the real signature), on `signed_at`."""
    link = live_link(offer)
    assert link is not None
    sign_offer(
        link,
        typed_name=offer.application.candidate.name,
        consented=True,
        letter_sha256=current_letter(offer).sha256,
        visitor=VISITOR,
    )
    OfferSignature.objects.filter(offer=offer).update(signed_at=signed_at)
    Offer.objects.filter(pk=offer.pk).update(closed_at=signed_at)


def figures(offer: Offer, band_max: int | None, above: int | None, signing=0, retention=0):
    Offer.objects.filter(pk=offer.pk).update(
        report_band_max=band_max,
        report_above_band=above,
        report_signing_total=signing,
        report_retention_total=retention,
    )


@pytest.fixture
def offers(roles, recruiter):
    a, b, c = roles["a"], roles["b"], roles["c"]
    by = recruiter
    a1 = sent_offer(a, on(1, 10), by)
    signed(a1, on(1, 12, 21))
    figures(a1, 2_000_000, 300_000, signing=100_000)
    a2 = sent_offer(a, on(2, 1), by)
    signed(a2, on(2, 6))
    figures(a2, 2_000_000, 100_000, signing=50_000, retention=200_000)
    a3 = sent_offer(a, on(3, 1), by)
    decline_offer(a3, by=by)
    figures(a3, 2_000_000, 0)
    a4 = sent_offer(a, on(4, 1), by)
    Offer.objects.filter(pk=a4.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_offer(a4)
    figures(a4, 2_000_000, 500_000)
    a5 = sent_offer(a, on(4, 10), by)
    figures(a5, 2_000_000, 0)

    c1 = sent_offer(c, on(3, 10), by)
    decline_offer(c1, by=by)
    figures(c1, None, None)

    b1 = sent_offer(b, on(1, 20), by)
    signed(b1, on(1, 21))
    figures(b1, 3_000_000, 600_000, signing=250_000)
    b2 = sent_offer(b, on(5, 1), by)
    signed(b2, on(5, 11))
    figures(b2, 3_000_000, 240_000, signing=1_000_000, retention=500_000)
    b3 = sent_offer(b, on(5, 5), by)
    rescind_offer(b3, by=by)
    figures(b3, 3_000_000, 0)
    b4 = sent_offer(b, on(2, 1), by)
    b4v2 = revise_offer(b4, by=by)
    submit_for_approval(b4v2, by=by)
    send_offer(b4v2, by=by)
    accept_offer(b4v2, by=by)
    Offer.objects.filter(pk=b4v2.pk).update(sent_at=on(2, 15), closed_at=on(2, 20))
    figures(b4, 3_000_000, 150_000)
    figures(b4v2, 3_000_000, 90_000, retention=400_000)

    o1 = sent_offer(a, on(12, 20, year=2025), by)
    accept_offer(o1, by=by)
    Offer.objects.filter(pk=o1.pk).update(closed_at=on(1, 5))
    figures(o1, 2_000_000, 0, signing=75_000, retention=25_000)
    o2 = sent_offer(b, on(11, 2, year=2025), by)
    accept_offer(o2, by=by)
    Offer.objects.filter(pk=o2.pk).update(closed_at=on(4, 2))
    Offer.objects.filter(pk=o2.pk).update(
        report_rate=None, report_signing_total=None, report_retention_total=None
    )
    statuses = dict(Offer.objects.values_list("pk", "status"))
    assert [statuses[o.pk] for o in (a1, a3, a4, a5, b3, b4, b4v2)] == [
        "accepted",
        "declined",
        "expired",
        "sent",
        "rescinded",
        "superseded",
        "accepted",
    ]


# --- The approvals ---------------------------------------------------------------------------
#
# Offers in euros need the compensation approvers (step 1), then finance leadership (step 2).
# Five such offers for Pre-training, never sent, their dates moved:
#
#     p1  step 1 asked 1 Mar 09h, approved 2 Mar 09h (1 d); step 2 asked 2 Mar, approved 5 Mar (3 d)
#     p2  step 1 asked 10 Mar 09h, approved 13 Mar 09h (3 d); step 2 asked 13 Mar 09h, waiting
#     p3  step 1 asked 1 Apr 09h, rejected 1 Apr 21h (0.5 d); step 2 never asked (withdrawn)
#     p4  step 1 asked 20 Jun 09h, waiting; step 2 queued behind it (not asked: not counted)
#     p5  step 1 asked 5 Jul: after the half, not counted
#
# Asked on 1 July 00h ("now"): p2's step 2 has waited 110 days less 9 hours = 109.625 days,
# p4's step 1 11 days less 9 hours = 10.625 days.


@pytest.fixture
def approvals(roles, recruiter, approver):
    cfo = UserFactory(username="fiona")
    cfo.groups.add(Group.objects.get(name=FINANCE_GROUP))
    ApprovalRuleFactory(
        name="Euros", condition="currency_is", currency_id="EUR", group=approver.groups.get()
    )
    ApprovalRuleFactory(
        name="Euros, finance",
        condition="currency_is",
        currency_id="EUR",
        group=Group.objects.get(name=FINANCE_GROUP),
        step=2,
    )

    def submitted() -> Offer:
        offer = OfferFactory.create(
            application=ApplicationFactory(role=roles["a"]), drafted_by=recruiter, currency="EUR"
        )
        return submit_for_approval(offer, by=recruiter)

    def asked(offer: Offer, step: int, at: datetime, decided: datetime | None = None) -> None:
        Approval.objects.filter(offer=offer, step=step).update(requested_at=at, decided_at=decided)

    p1 = submitted()
    approve_offer(p1, by=approver)
    approve_offer(p1, by=cfo)
    asked(p1, 1, on(3, 1), on(3, 2))
    asked(p1, 2, on(3, 2), on(3, 5))
    p2 = submitted()
    approve_offer(p2, by=approver)
    asked(p2, 1, on(3, 10), on(3, 13))
    asked(p2, 2, on(3, 13))
    p3 = submitted()
    reject_offer(p3, by=approver, comment="Too much for this level.")
    asked(p3, 1, on(4, 1), on(4, 1, 21))
    p4 = submitted()
    asked(p4, 1, on(6, 20))
    asked(p4, 2, on(6, 20))
    p5 = submitted()
    asked(p5, 1, on(7, 5))
    asked(p5, 2, on(7, 5))
    assert Approval.objects.filter(status="queued").count() == 2  # p4's and p5's step 2


# --- Reading the report ----------------------------------------------------------------------


def csv_tables(response) -> dict[str, list[dict[str, str]]]:
    """The CSV's tables by title, each a list of rows by column label."""
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    tables: dict[str, list[dict[str, str]]] = {}
    index = 2  # the heading line and a blank line
    while index < len(lines):
        title, header = lines[index][0], lines[index + 1]
        rows = []
        index += 2
        while index < len(lines) and lines[index]:
            rows.append(dict(zip(header, lines[index], strict=True)))
            index += 1
        tables[title] = rows
        index += 1
    return tables


def report_csv(client, **filters) -> dict[str, list[dict[str, str]]]:
    return csv_tables(client.get(URL, {**HALF, **filters, "format": "csv"}))


def by(rows: list[dict[str, str]], *keys: str) -> dict[tuple[str, ...], dict[str, str]]:
    return {tuple(row[k] for k in keys): row for row in rows}


OUTCOMES = "Offers sent and their outcomes"
SIGNATURES = "Time to signature"
BAND = "Above the band"
APPROVALS = "Approvals: time to decision by step"
SPEND = "Signing and retention spend by quarter of acceptance"


# --- 1. Outcomes -------------------------------------------------------------------------------


def test_acceptance_of_the_offers_decided_overall_by_level_and_by_role(client, recruiter, offers):
    client.force_login(recruiter)

    rows = by(report_csv(client)[OUTCOMES], "Level", "Role")

    columns = ["Sent", "Accepted", "Declined", "Expired or withdrawn", "Revised", "Still open"]

    def counts(level: str, role: str) -> list[int]:
        return [int(rows[level, role][c]) for c in columns]

    # Overall: 11 sent (o1, o2 in 2025 are not); accepted a1 a2 b1 b2 b4v2; declined a3 c1;
    # expired a4, withdrawn b3; revised b4 v1; open a5. Decided 5 + 2 + 2 = 9: 5/9 = 55.6%.
    assert counts("All levels", "All roles") == [11, 5, 2, 2, 1, 1]
    assert rows["All levels", "All roles"]["Acceptance rate"] == "55.6"
    # Senior: a1-a5 and c1: accepted 2 of decided 2 + 2 + 1 = 5: 40%.
    assert counts("Senior", "All roles") == [6, 2, 2, 1, 0, 1]
    assert rows["Senior", "All roles"]["Acceptance rate"] == "40.0"
    # Pre-training: 2 of 4 (a1 a2 / a3 / a4); Post-training: 0 of 1.
    assert counts("Senior", "Pre-training, San Francisco") == [5, 2, 1, 1, 0, 1]
    assert rows["Senior", "Pre-training, San Francisco"]["Acceptance rate"] == "50.0"
    assert counts("Senior", "Post-training, London") == [1, 0, 1, 0, 0, 0]
    assert rows["Senior", "Post-training, London"]["Acceptance rate"] == "0.0"
    # Staff (Inference): b1 b2 b4v2 accepted of decided 3 + b3 = 4: 75%.
    assert counts("Staff", "All roles") == [5, 3, 0, 1, 1, 0]
    assert rows["Staff", "All roles"]["Acceptance rate"] == "75.0"
    assert counts("Staff", "Inference, San Francisco") == [5, 3, 0, 1, 1, 0]
    # The order: overall, then each level followed by its roles.
    assert list(rows) == [
        ("All levels", "All roles"),
        ("Senior", "All roles"),
        ("Senior", "Post-training, London"),
        ("Senior", "Pre-training, San Francisco"),
        ("Staff", "All roles"),
        ("Staff", "Inference, San Francisco"),
    ]


# --- 2. Time to signature ---------------------------------------------------------------------


def test_time_to_signature_median_and_90th_percentile(client, recruiter, offers):
    client.force_login(recruiter)

    rows = by(report_csv(client)[SIGNATURES], "Level")

    # Signed: b1 1 d, a1 2.5 d, a2 5 d, b2 10 d (b4v2 was accepted by the recruiter).
    # Median of 1, 2.5, 5, 10: (2.5 + 5) / 2 = 3.75. 90th: position 0.9 x 3 = 2.7, between
    # 5 and 10: 5 + 0.7 x 5 = 8.5.
    assert percentile_of([1, 2.5, 5, 10], 0.9) == pytest.approx(8.5)
    assert rows["All levels",] == {
        "Level": "All levels",
        "Signed": "4",
        "Median": "3.8",
        "90th percentile": "8.5",
    }
    # Senior: 2.5 and 5: median 3.75, 90th 2.5 + 0.9 x 2.5 = 4.75 (shown rounded half up).
    assert (rows["Senior",]["Signed"], rows["Senior",]["Median"]) == ("2", "3.8")
    assert rows["Senior",]["90th percentile"] == "4.8"
    # Staff: 1 and 10: median 5.5, 90th 1 + 0.9 x 9 = 9.1.
    assert (rows["Staff",]["Median"], rows["Staff",]["90th percentile"]) == ("5.5", "9.1")


# --- 3. Above the band ------------------------------------------------------------------------


def test_how_often_and_how_far_above_the_band(client, recruiter, offers):
    client.force_login(recruiter)

    rows = by(report_csv(client)[BAND], "Level")

    # Overall: 11 sent, 10 with a band (not c1); above: a1 a2 a4 b1 b2 b4 b4v2 = 7 of 10.
    # By: 90k 100k 150k 240k 300k 500k 600k: median 240k, most 600k. Share of the band's
    # max: 3 5 5 8 15 20 25 (%): median 8.
    assert rows["All levels",] == {
        "Level": "All levels",
        "Sent": "11",
        "With a band": "10",
        "Above band": "7",
        "Above band, rate": "70.0",
        "Median above band by": "240000.00",
        "Most above band by": "600000.00",
        "Median above band by (% of band max)": "8.0000",
    }
    # Senior: 6 sent, 5 with a band, above a1 a2 a4 = 3: 60%; 100k 300k 500k: median 300k;
    # 5 15 25 %: median 15.
    senior = rows["Senior",]
    assert [senior["With a band"], senior["Above band"], senior["Above band, rate"]] == [
        "5",
        "3",
        "60.0",
    ]
    assert senior["Median above band by"] == "300000.00"
    assert senior["Most above band by"] == "500000.00"
    assert senior["Median above band by (% of band max)"] == "15.0000"
    # Staff: 5 with a band, above b1 b2 b4 b4v2 = 4: 80%; 90k 150k 240k 600k: median
    # (150k + 240k) / 2 = 195k; 3 5 8 20 %: median 6.5.
    staff = rows["Staff",]
    assert [staff["Above band"], staff["Above band, rate"]] == ["4", "80.0"]
    assert staff["Median above band by"] == "195000.00"
    assert staff["Most above band by"] == "600000.00"
    assert staff["Median above band by (% of band max)"] == "6.5000"


# --- 4. Approvals -----------------------------------------------------------------------------


def test_time_to_decision_by_step_and_what_still_waits(recruiter, approvals):
    scope = Scope(
        user=recruiter,
        filters=Filters(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30)),
        pay=True,
        now=on(7, 1, 0),
    )

    table = next(t for t in build(scope) if t.key == "approvals")

    first, second = table.rows
    # Step 1: decided p1 (1 d), p2 (3 d), p3 (0.5 d): median 1; 90th: position 0.9 x 2 = 1.8,
    # 1 + 0.8 x (3 - 1) = 2.6. Waiting: p4, since 20 Jun 09h: 10.625 days on 1 Jul.
    assert (first["step"], first["group__name"]) == (1, APPROVER_GROUP)
    assert (first["decided"], first["approved"], first["rejected"]) == (3, 2, 1)
    assert first["median"] == pytest.approx(1.0)
    assert first["p90"] == pytest.approx(2.6)
    assert first["waiting"] == 1
    assert first["longest"] == pytest.approx(10.625)
    # Step 2: decided p1 (3 d); waiting p2 since 13 Mar 09h: 109.625 days. p4's step 2 is
    # queued (not asked yet): not waiting.
    assert (second["step"], second["group__name"]) == (2, FINANCE_GROUP)
    assert (second["decided"], second["approved"], second["rejected"]) == (1, 1, 0)
    assert second["median"] == pytest.approx(3.0)
    assert second["p90"] == pytest.approx(3.0)
    assert (second["waiting"], second["longest"]) == (1, pytest.approx(109.625))


def test_the_approvals_in_the_csv(client, recruiter, approvals):
    client.force_login(recruiter)

    rows = by(report_csv(client)[APPROVALS], "Step")

    assert rows["1",]["Approvers"] == APPROVER_GROUP
    assert [rows["1",][c] for c in ("Decided", "Median to decision", "Still waiting")] == [
        "3",
        "1.0",
        "1",
    ]
    assert rows["1",]["90th percentile to decision"] == "2.6"
    assert [rows["2",][c] for c in ("Decided", "Median to decision", "Still waiting")] == [
        "1",
        "3.0",
        "1",
    ]


# --- 5. Spend ---------------------------------------------------------------------------------


def test_signing_and_retention_spend_by_quarter_of_acceptance(client, recruiter, offers):
    client.force_login(recruiter)

    rows = by(report_csv(client)[SPEND], "Quarter")

    # Q1 (accepted 5 Jan o1, 12 Jan a1, 21 Jan b1, 6 Feb a2, 20 Feb b4v2):
    #   signing 75k + 100k + 250k + 50k + 0 = 475k; retention 25k + 200k + 400k = 625k.
    # Q2 (b2 on 11 May, o2 on 2 Apr without figures): signing 1M, retention 500k.
    assert rows["2026 Q1",] == {
        "Quarter": "2026 Q1",
        "Accepted": "5",
        "Signing bonuses": "475000.00",
        "Retention bonuses": "625000.00",
        "Together": "1100000.00",
    }
    assert rows["2026 Q2",] == {
        "Quarter": "2026 Q2",
        "Accepted": "2",
        "Signing bonuses": "1000000.00",
        "Retention bonuses": "500000.00",
        "Together": "1500000.00",
    }
    assert list(rows) == [("2026 Q1",), ("2026 Q2",)]


def test_the_page_reads_as_the_csv(client, recruiter, offers):
    client.force_login(recruiter)

    page = client.get(URL, HALF).content.decode()

    # A rate with what it is of, flagged when that is under 20; days; amounts in whole units.
    assert "55.6% of 9" in page
    assert "Fewer than 20 behind this rate" in page
    assert "3.8 d" in page and "8.5 d" in page
    assert "240,000" in page and "600,000" in page and "8.00" in page
    # The spend chart, its bars in millions, and the offer without figures said.
    assert "Signing and retention bonuses committed" in page
    assert "1.1M" in page and "1.5M" in page
    assert "1 of them not valued yet" in page


# --- Filters ----------------------------------------------------------------------------------


def test_the_dates_zone_and_level_filters(client, recruiter, offers):
    client.force_login(recruiter)

    london = report_csv(client, zone="london")
    spring = report_csv(client, date_from="2026-04-01", date_to="2026-06-30", level="staff")

    # London: c1 only, declined; nothing signed, nothing accepted.
    assert [(r["Role"], r["Sent"], r["Declined"]) for r in london[OUTCOMES]] == [
        ("All roles", "1", "1"),
        ("All roles", "1", "1"),
        ("Post-training, London", "1", "1"),
    ]
    assert london[SIGNATURES] == [] and london[SPEND] == []
    # Staff in April to June: sent b2, b3; accepted b2 (11 May) and o2 (2 Apr).
    assert by(spring[OUTCOMES], "Level", "Role")["Staff", "All roles"]["Sent"] == "2"
    assert [(r["Quarter"], r["Accepted"]) for r in spring[SPEND]] == [("2026 Q2", "2")]


def test_only_the_meaningful_filters_are_offered(client, recruiter):
    client.force_login(recruiter)

    page = client.get(URL, HALF).content.decode()

    assert 'name="zone"' in page and 'name="owner"' in page
    assert 'name="competitor"' not in page and 'name="with_rumoured"' not in page


# --- Who sees what ----------------------------------------------------------------------------


@pytest.fixture
def viewer(db):
    """Sees every application (a recruiter's reach) but not pay."""
    user = UserFactory(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_application"))
    return user


def test_without_view_compensation_counts_rates_and_days_only(client, viewer, offers):
    client.force_login(viewer)

    page = client.get(URL, HALF).content.decode()
    tables = report_csv(client)

    for amount in ("240,000", "600,000", "475,000", "1.1M", "8.00"):
        assert amount not in page
    assert "Median above band by" not in page and "Signing bonuses" not in page
    assert "55.6% of 9" in page and "3.8 d" in page
    assert list(tables[BAND][0]) == [
        "Level",
        "Sent",
        "With a band",
        "Above band",
        "Above band, rate",
    ]
    assert tables[BAND][0]["Above band, rate"] == "70.0"
    assert tables[SPEND] == [
        {"Quarter": "2026 Q1", "Accepted": "5"},
        {"Quarter": "2026 Q2", "Accepted": "2"},
    ]
    text = "\n".join(",".join(row.values()) for rows in tables.values() for row in rows)
    assert "00.00" not in text


def test_a_hiring_manager_sees_their_roles_only(client, hiring_manager, offers, approvals):
    client.force_login(hiring_manager)

    tables = report_csv(client)
    page = client.get(URL, HALF).content.decode()

    # Pre-training only: a1-a5 sent, 2 of 4 decided accepted; spend: o1, a1, a2 in Q1.
    assert [(r["Level"], r["Role"], r["Sent"]) for r in tables[OUTCOMES]] == [
        ("All levels", "All roles", "5"),
        ("Senior", "All roles", "5"),
        ("Senior", "Pre-training, San Francisco", "5"),
    ]
    assert tables[OUTCOMES][0]["Acceptance rate"] == "50.0"
    assert [r["Signed"] for r in tables[SIGNATURES]] == ["2", "2"]
    assert tables[SPEND] == [{"Quarter": "2026 Q1", "Accepted": "3"}]
    assert "Inference" not in page and "Post-training" not in page
    # The approvals were all for Pre-training offers.
    assert [r["Decided"] for r in tables[APPROVALS]] == ["3", "1"]


def test_a_hiring_manager_of_another_role_sees_none_of_these(client, offers):
    other = UserFactory(username="helen")
    RoleFactory(title="Evaluations", hiring_manager=other)
    client.force_login(other)

    tables = report_csv(client)

    assert tables[OUTCOMES] == [] and tables[SPEND] == [] and tables[APPROVALS] == []


# --- Queries ----------------------------------------------------------------------------------


def test_the_report_takes_the_same_few_queries_whatever_the_rows(
    recruiter, offers, approvals, django_assert_num_queries
):
    scope = Scope(
        user=recruiter,
        filters=Filters(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30)),
        pay=True,
    )

    # Outcomes 1 (by role; the levels and overall are its sums), signatures and band together 2
    # (overall, by level; 1 when a single level has offers), approvals 1, spend 1: at most five
    # whatever the rows.
    with django_assert_num_queries(5):
        tables = build(scope)

    assert sum(len(t.rows) for t in tables) == 6 + 3 + 3 + 2 + 2


def test_the_page_and_csv_queries_are_bounded(
    client, recruiter, offers, approvals, django_assert_max_num_queries
):
    client.force_login(recruiter)

    with django_assert_max_num_queries(25):
        page = client.get(URL, HALF)
    with django_assert_max_num_queries(25):
        exported = client.get(URL, {**HALF, "format": "csv"})

    assert page.status_code == exported.status_code == 200
