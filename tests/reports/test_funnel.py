"""The funnel report (recruiting/web/reports/funnel.py): conversion from stage to stage, days in
each stage, first contact to offer and offer to answer, and the applications stale now, each
checked against a small pipeline whose figures are worked out by hand below; who sees which
roles; the queries it takes.

Histories are made through the pipeline's and offers' services, then moved into the past as
the demo does (the services stamp every change with the current time)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from offers.answers import DeclineAnswer, decline
from offers.demo import build_market
from offers.models import Offer, OfferDecline
from offers.services import accept_offer, send_offer, submit_for_approval
from recruiting.lib.aggregates import percentile_of
from recruiting.outreach.models import (
    Enrollment,
    MessageTemplate,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import note_first_emails
from recruiting.pipeline import history
from recruiting.pipeline.models import Application, Role
from recruiting.pipeline.services import mark_lost, move_stage
from recruiting.web.reports.base import Filters, Scope
from recruiting.web.reports.funnel import build
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
)

URL = reverse("web:report_funnel")
# The reports' dates: the last hundred days.
DAYS = 100


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def dates(now):
    today = timezone.localdate(now)
    return {"date_from": str(today - timedelta(days=DAYS)), "date_to": str(today)}


def walk(role: Role, stages: list[str], days_ago: list[float], now, *, lost=False, **candidate):
    """An application to `role` through `stages` (its first stage first), the change into
    each `days_ago[i]` days before now; with `lost`, lost (not interested) one more change
    later, at the last of `days_ago`."""
    application = ApplicationFactory.create(candidate=CandidateFactory(**candidate), role=role)
    for name in stages[1:]:
        application = move_stage(application, role.stages.get(name=name), by=None)
    if lost:
        application = mark_lost(application, reason="not_interested", by=None)
    backdate(application, days_ago, now)
    return application


def backdate(application: Application, days_ago: list[float], now) -> None:
    changes = list(application.stage_changes.order_by("id"))
    assert len(changes) == len(days_ago)
    for change, ago in zip(changes, days_ago, strict=True):
        change.changed_at = now - timedelta(days=ago)
    history.restamp(changes)
    Application.objects.filter(pk=application.pk).update(
        created_at=now - timedelta(days=days_ago[0]),
        stage_entered_at=now - timedelta(days=days_ago[-1]),
    )


def tables_of(response) -> dict[str, list[dict[str, str]]]:
    """The CSV's tables by title, each a list of rows by column label."""
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    tables: dict[str, list[dict[str, str]]] = {}
    i = 1
    while i < len(lines):
        assert lines[i] == []
        title, labels = lines[i + 1][0], lines[i + 2]
        i += 3
        rows = []
        while i < len(lines) and lines[i]:
            rows.append(dict(zip(labels, lines[i], strict=True)))
            i += 1
        tables[title] = rows
    return tables


def csv_of(client, dates, **more):
    response = client.get(URL, {**dates, **more, "format": "csv"})
    assert response.status_code == 200
    return tables_of(response)


# --- Conversion ---------------------------------------------------------------------------


@pytest.fixture
def ten(recruiter, hiring_manager, now):
    """Ten applications to the hiring manager's Pre-training role entered the pipeline forty
    days ago: four referrals and six sourced. Two referrals and two sourced went on, one of the
    referrals straight to Replied (skipping Contacted); one sourced was lost from Sourced.
    Another application entered before the dates."""
    role = RoleFactory(title="Pre-training", hiring_manager=hiring_manager)
    referral = {"source": "referral", "referrer": "Grace Hopper", "owner": recruiter}
    sourced = {"source": "sourced", "owner": recruiter}
    walk(role, ["Sourced", "Contacted"], [40, 39], now, **referral)
    walk(role, ["Sourced", "Replied"], [40, 38], now, **referral)  # skipped Contacted
    walk(role, ["Sourced"], [40], now, **referral)
    walk(role, ["Sourced"], [40], now, **referral)
    walk(role, ["Sourced", "Contacted"], [40, 39], now, **sourced)
    walk(role, ["Sourced", "Contacted"], [40, 39], now, **sourced)
    walk(role, ["Sourced"], [40, 39], now, lost=True, **sourced)  # lost from Sourced
    for _ in range(3):
        walk(role, ["Sourced"], [40], now, **sourced)
    # Before the dates: in no count, though it went far.
    walk(role, ["Sourced", "Contacted", "Replied", "Screen"], [150, 149, 148, 147], now)
    return role


def test_conversion_by_role_counts_each_stage_up_to_the_furthest_reached(
    recruiter_client, ten, dates
):
    rows = csv_of(recruiter_client, dates)["Conversion by role"]

    # Reached Sourced: all 10. Contacted: the three moved there and the one that skipped it
    # for Replied, 4 (4/10 = 40.0%). Replied: that one, 1 (1/4 = 25.0%, 1/10 = 10.0% of all).
    # Screen and on: none (0/1 = 0.0%, then no stage before to divide by).
    assert [(r["Stage"], r["Reached"], r["From the stage before"]) for r in rows] == [
        ("Sourced", "10", ""),
        ("Contacted", "4", "40.0"),
        ("Replied", "1", "25.0"),
        ("Screen", "0", "0.0"),
        ("Interviews", "0", ""),
        ("Offer", "0", ""),
        ("Hired", "0", ""),
    ]
    assert [r["Of those who entered"] for r in rows[:3]] == ["100.0", "40.0", "10.0"]
    assert {r["Role"] for r in rows} == {"Pre-training, San Francisco"}


def test_conversion_by_source_and_overall(recruiter_client, ten, dates):
    tables = csv_of(recruiter_client, dates)
    by_source = tables["Conversion by source"]

    # Referrals: 4 entered, 2 contacted (2/4 = 50.0%), 1 replied (1/2 = 50.0%).
    # Sourced: 6 entered, 2 contacted (2/6 = 33.3%), none replied (0/2 = 0.0%).
    assert [
        (r["Source"], r["Stage"], r["Reached"], r["From the stage before"])
        for r in by_source
        if r["Stage"] in ("Sourced", "Contacted", "Replied")
    ] == [
        ("Referral", "Sourced", "4", ""),
        ("Referral", "Contacted", "2", "50.0"),
        ("Referral", "Replied", "1", "50.0"),
        ("Sourced", "Sourced", "6", ""),
        ("Sourced", "Contacted", "2", "33.3"),
        ("Sourced", "Replied", "0", "0.0"),
    ]
    overall = tables["The funnel"]
    assert [(r["Stage"], r["Reached"]) for r in overall[:4]] == [
        ("Sourced", "10"),
        ("Contacted", "4"),
        ("Replied", "1"),
        ("Screen", "0"),
    ]


def test_the_page_shows_the_rates_with_their_counts_and_the_funnel_chart(
    recruiter_client, ten, dates
):
    page = recruiter_client.get(URL, dates).content.decode()

    assert "40.0% of 10" in page and "25.0% of 4" in page
    assert "Too few to mean much" in page  # 10 and 4 are under twenty
    assert "Applications reaching each step" in page and "<svg" in page


# --- Time in each stage -------------------------------------------------------------------


@pytest.fixture
def stays(recruiter, now):
    """Four applications a day in Sourced (30 to 29 days ago), then in Contacted for 2, 4 and
    10 days (on to Replied, or lost) and one still there; a fifth whose stays all ended before
    the dates."""
    role = RoleFactory(title="Inference")
    walk(role, ["Sourced", "Contacted", "Replied"], [30, 29, 27], now)
    walk(role, ["Sourced", "Contacted", "Replied"], [30, 29, 25], now)
    walk(role, ["Sourced", "Contacted"], [30, 29, 19], now, lost=True)
    walk(role, ["Sourced", "Contacted"], [30, 29], now)
    walk(role, ["Sourced", "Contacted", "Replied"], [200, 190, 185], now)
    return role


def test_days_in_each_stage_for_the_stays_that_ended(recruiter_client, stays, dates):
    rows = csv_of(recruiter_client, dates)["Time in each stage"]

    # Contacted: 2, 4 and 10 days (the one still there waits). Median 4; 90th percentile at
    # position 0.9 x (3 - 1) = 1.8 of the sorted three: 4 + 0.8 x (10 - 4) = 8.8.
    # Sourced: four stays of a day. Replied: no stay has ended. Lost is no stay.
    assert percentile_of([2, 4, 10], 0.9) == pytest.approx(8.8)
    assert [(r["Stage"], r["Median"], r["90th percentile"], r["Stays"]) for r in rows] == [
        ("Sourced", "1.0", "1.0", "4"),
        ("Contacted", "4.0", "8.8", "3"),
    ]


# --- First contact to offer, offer to answer ------------------------------------------------


def _offer_to(application: Application, by) -> Offer:
    draft = OfferFactory.create(application=application, drafted_by=by)
    submit_for_approval(draft, by=by)  # no rule applies: approved at once
    return send_offer(draft, by=by)


def _emailed(application: Application, days_ago: float, now) -> None:
    """An outreach email sent about the application `days_ago` days before now."""
    template = MessageTemplate.objects.create(name="First touch", subject="Hi", body_text="Hi")
    sequence = Sequence.objects.create(name="Researchers")
    step = SequenceStep.objects.create(sequence=sequence, position=1, template=template)
    at = now - timedelta(days=days_ago)
    enrollment = Enrollment.objects.create(
        candidate=application.candidate,
        sequence=sequence,
        application=application,
        enrolled_at=at,
        status=Enrollment.Status.COMPLETED,
    )
    SentMessage.objects.create(
        enrollment=enrollment,
        step=step,
        status=SentMessage.Status.SENT,
        claimed_at=at,
        sent_at=at,
    )
    note_first_emails([application.pk])  # as the sender does when it records an email


def _at(offer: Offer, now, sent: float, answered: float | None = None) -> None:
    Offer.objects.filter(pk=offer.pk).update(
        sent_at=now - timedelta(days=sent),
        closed_at=None if answered is None else now - timedelta(days=answered),
    )


@pytest.fixture
def offers(db, recruiter, now):
    """Contacted 40 days ago: Ada, offered 30 days ago, accepted 27 days ago (10 then 3 days);
    Ben, offered 20 days ago, declined 19 days ago (20 then 1). Cy, emailed by outreach 42 days
    ago and moved to Contacted 40 days ago, offered 10 days ago with no answer yet (32)."""
    build_market()
    role = RoleFactory(
        title="Research Scientist",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
    )
    contacted = role.stages.get(name="Contacted")

    ada = ApplicationFactory(candidate=CandidateFactory(name="Ada", owner=recruiter), role=role)
    move_stage(ada, contacted, by=recruiter)
    accepted = accept_offer(_offer_to(ada, recruiter), by=None)  # marks her hired
    backdate(ada, [41, 40, 30, 27], now)
    _at(accepted, now, sent=30, answered=27)

    ben = ApplicationFactory(candidate=CandidateFactory(name="Ben", owner=recruiter), role=role)
    move_stage(ben, contacted, by=recruiter)
    sent = _offer_to(ben, recruiter)
    decline(sent, DeclineAnswer(reason=OfferDecline.Reason.TIMING), by=recruiter)
    backdate(ben, [41, 40, 20, 19], now)
    _at(sent, now, sent=20, answered=19)

    cy = ApplicationFactory(candidate=CandidateFactory(name="Cy", owner=recruiter), role=role)
    move_stage(cy, contacted, by=recruiter)
    waiting = _offer_to(cy, recruiter)
    backdate(cy, [45, 40, 10], now)
    _at(waiting, now, sent=10)
    _emailed(cy, 42, now)
    return role


def test_first_contact_to_offer_and_offer_to_answer(recruiter_client, offers, dates):
    rows = csv_of(recruiter_client, dates)["From first contact to offer, and from offer to answer"]

    # To the offer: 10, 20 and 32 days (Cy's first contact is the email, two days before
    # Contacted). Median 20; 90th percentile 20 + 0.8 x (32 - 20) = 29.6.
    # To the answer: 3 (accepted) and 1 (declined); Cy has none. Median (1 + 3) / 2 = 2;
    # 90th percentile 1 + 0.9 x (3 - 1) = 2.8.
    expected = {
        "Contact to offer, median": "20.0",
        "Contact to offer, 90th percentile": "29.6",
        "Offers": "3",
        "Offer to answer, median": "2.0",
        "Offer to answer, 90th percentile": "2.8",
        "Answers": "2",
    }
    assert [r["Role"] for r in rows] == ["All roles", "Research Scientist, San Francisco"]
    for row in rows:
        assert {k: row[k] for k in expected} == expected


# --- Stale now ----------------------------------------------------------------------------


@pytest.fixture
def stale(recruiter, now):
    """Contacted allows 7 days: Ada entered it 8 days ago (stale), Ben 2 days ago (not); Cy,
    owned by nobody, has been in Sourced (14 days allowed) for 20 days."""
    role = RoleFactory(title="Safety")
    walk(role, ["Sourced", "Contacted"], [9, 8], now, name="Ada", owner=recruiter)
    walk(role, ["Sourced", "Contacted"], [9, 2], now, name="Ben", owner=recruiter)
    walk(role, ["Sourced"], [20], now, name="Cy")
    return role


def test_stale_now_by_role_and_owner(recruiter_client, stale, dates):
    tables = csv_of(recruiter_client, dates)

    # Open: 3 in the role, 2 of them stale (66.7%); Rita's two with one stale (50.0%), and
    # the unowned Cy, stale (100.0%).
    assert tables["Stale now, by role"] == [
        {"Role": "Safety, San Francisco", "Stale now": "2", "Of the open ones": "66.7"}
    ]
    assert tables["Stale now, by owner"] == [
        {"Owner": "Rita Recruiter", "Stale now": "1", "Of the open ones": "50.0"},
        {"Owner": "No owner", "Stale now": "1", "Of the open ones": "100.0"},
    ]


# --- Who sees what, and the queries ---------------------------------------------------------


def test_a_hiring_manager_sees_their_roles_only(client, hiring_manager, ten, stale, now, dates):
    # `ten` is the hiring manager's role; `stale` is someone else's.
    client.force_login(hiring_manager)
    tables = csv_of(client, dates)

    assert {r["Role"] for r in tables["Conversion by role"]} == {"Pre-training, San Francisco"}
    assert tables["The funnel"][0]["Reached"] == "10"  # Safety's three are not counted
    assert {r["Role"] for r in tables["Stale now, by role"]} == {"Pre-training, San Francisco"}
    page = client.get(URL, dates).content.decode()
    assert "your roles only" in page and "Safety" not in page


def test_without_pay_every_figure_is_shown(client, ten, dates):
    """The report has no amount: someone who sees every application but not pay sees every
    table and column."""
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))
    client.force_login(viewer)

    page = client.get(URL, dates).content.decode()
    assert "counts and rates (amounts are for those who may see pay)" in page
    assert "40.0% of 10" in page
    assert list(csv_of(client, dates)) == [
        "The funnel",
        "Conversion by role",
        "Conversion by source",
        "Time in each stage",
        "From first contact to offer, and from offer to answer",
        "Stale now, by role",
        "Stale now, by owner",
    ]


def test_the_queries_do_not_grow_with_the_rows(
    recruiter, stays, stale, now, django_assert_max_num_queries
):
    today = timezone.localdate(now)
    scope = Scope(
        user=recruiter,
        filters=Filters(date_from=today - timedelta(days=DAYS), date_to=today),
        pay=True,
        now=now,
    )
    with CaptureQueriesContext(connection) as queries:
        build(scope)
    more = RoleFactory(title="Post-training")
    for i in range(6):
        walk(more, ["Sourced", "Contacted", "Replied"], [30, 20, 10 - i], now, owner=UserFactory())

    # A query a table or two: the percentile's stays and their stages, the offers' total and
    # by role, the stale ones' limits and two groupings.
    assert len(queries) <= 11
    with django_assert_max_num_queries(len(queries)):
        build(scope)
