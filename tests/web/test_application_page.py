"""The application page: the candidate, the role, the history, our offers and the competition,
and the steps taken from it (move the stage, log an activity)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from candidates.models import Candidate
from offers.competition import CompetingTerms, record_competing_offer, standing
from offers.demo import build_market
from offers.services import revise_offer, submit_for_approval
from recruiting.pipeline.models import Activity, Application, Stage, StageChange
from recruiting.pipeline.services import log_activity, mark_lost
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def page_url(application: Application) -> str:
    return reverse("web:application", args=[application.pk])


def record(application, competitor, by, **changes):
    fields = dict(
        currency="USD",
        base_salary=Decimal(600_000),
        competitor=competitor,
        deadline=timezone.now() + timedelta(days=5),
        application=application,
        confidence="written",
    )
    return record_competing_offer(
        application.candidate, CompetingTerms(**{**fields, **changes}), by=by
    )


@pytest.fixture
def application(recruiter, hiring_manager):
    build_market()
    candidate = CandidateFactory.create(
        name="Ada Lovelace",
        owner=recruiter,
        current_company=CompanyFactory.create(name="Analytical Engines", kind="employer"),
        current_title="Staff Research Scientist",
        motivator_publishing=5,
        flight_risk=True,
        flight_risk_reason=Candidate.FlightRiskReason.MANUAL,
    )
    role = RoleFactory.create(
        title="Pre-training Lead", city="Paris", hiring_manager=hiring_manager
    )
    return ApplicationFactory.create(candidate=candidate, role=role, by=recruiter)


@pytest.fixture
def with_offer_and_competition(application, recruiter):
    offer = OfferFactory.create(
        application=application, drafted_by=recruiter, base_salary=Decimal(412_345)
    )
    competing = record(application, CompanyFactory.create(name="Helix"), recruiter)
    log_activity(
        application.candidate,
        kind="call",
        summary="Talked about publishing",
        by=recruiter,
        application=application,
    )
    return offer, competing


# --- What each user sees ----------------------------------------------------------------------


def test_a_recruiter_sees_the_candidate_the_history_our_offer_the_competition_and_the_steps(
    client, recruiter, application, with_offer_and_competition
):
    offer, competing = with_offer_and_competition
    client.force_login(recruiter)

    page = client.get(page_url(application))

    html = page.content.decode()
    assert page.status_code == 200
    for text in (
        "Ada Lovelace",
        "Staff Research Scientist",
        "Analytical Engines",
        "Rita Recruiter",  # the owner
        "Hank Manager",  # the role's hiring manager
        "Pre-training Lead",
        "Flight risk",
        "Flagged by hand",
        "Talked about publishing",
        "Written",  # how sure we are of the competing offer
        "Helix",
    ):
        assert text in html, text
    assert '<span>Publishing</span><span class="badge text-bg-dark">5/5</span>' in html
    assert "Entered <strong>Sourced</strong>" in html  # the stage history
    assert f'href="{reverse("offers:detail", args=[offer.pk])}">v1</a>' in html
    assert "412,345.00 USD" in html  # year one, in the reporting currency, a figure
    assert "within band" in html or "below band" in html or "above band" in html
    summary = standing(competing, ours=offer).summary
    assert escape(summary) in html
    assert '<span class="badge text-bg-danger">ahead</span>' in html
    # The steps: move, log, the open offer (no second draft), record a competing offer.
    assert 'id="move-form"' in html and 'id="activity-form"' in html
    assert reverse("offers:draft", args=[application.pk]) not in html
    assert f'id="open-offer" href="{reverse("offers:detail", args=[offer.pk])}"' in html
    assert reverse("offers:competing_new", args=[application.pk]) in html


def test_without_an_open_offer_a_recruiter_may_draft_one(client, recruiter, application):
    client.force_login(recruiter)

    html = client.get(page_url(application)).content.decode()

    assert f'id="draft-offer" href="{reverse("offers:draft", args=[application.pk])}"' in html
    assert "No offer yet." in html


def test_a_closed_application_offers_no_draft_and_no_move(client, recruiter, application):
    mark_lost(application, reason="not_interested", by=recruiter)
    client.force_login(recruiter)

    html = client.get(page_url(application)).content.decode()

    assert reverse("offers:draft", args=[application.pk]) not in html
    assert 'id="move-form"' not in html
    assert "it no longer moves" in html


def test_the_roles_hiring_manager_sees_the_page_without_any_amount_or_step(
    client, hiring_manager, application, with_offer_and_competition
):
    offer, competing = with_offer_and_competition
    client.force_login(hiring_manager)

    page = client.get(page_url(application))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Ada Lovelace" in html and "Helix" in html and "v1" in html
    assert "ahead" in html  # who is ahead, but not by how much
    assert "412,345" not in html and "412345" not in html
    assert "600,000" not in html and "600000" not in html
    assert "Year one" not in html and "Where it stands" not in html
    assert "USD" not in html
    assert 'id="move-form"' not in html and 'id="activity-form"' not in html
    assert reverse("offers:competing_new", args=[application.pk]) not in html
    assert reverse("offers:draft", args=[application.pk]) not in html
    # The open offer is linked (its page decides what they see of it).
    assert f'id="open-offer" href="{reverse("offers:detail", args=[offer.pk])}"' in html


def test_the_hiring_managers_steps_are_refused(client, hiring_manager, application):
    client.force_login(hiring_manager)
    screen = application.role.stages.get(kind=Stage.Kind.SCREEN)

    moved = client.post(reverse("web:move", args=[application.pk]), {"move-stage": screen.pk})
    logged = client.post(
        reverse("web:log_activity", args=[application.pk]),
        {"activity-kind": "note", "activity-summary": "Sneaky"},
    )

    assert moved.status_code == 404 and logged.status_code == 404
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.SOURCED
    assert not Activity.objects.exists()


def test_an_outsider_and_another_roles_hiring_manager_get_404_everywhere(
    client, outsider, application
):
    other_manager = UserFactory.create(username="other_manager")
    RoleFactory.create(hiring_manager=other_manager)
    screen = application.role.stages.get(kind=Stage.Kind.SCREEN)

    for user in (outsider, other_manager):
        client.force_login(user)
        assert client.get(page_url(application)).status_code == 404
        assert (
            client.post(
                reverse("web:move", args=[application.pk]), {"move-stage": screen.pk}
            ).status_code
            == 404
        )
        assert (
            client.post(
                reverse("web:log_activity", args=[application.pk]),
                {"activity-kind": "note", "activity-summary": "Hello"},
            ).status_code
            == 404
        )
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.SOURCED
    assert not Activity.objects.exists()


def test_signed_out_the_page_asks_to_sign_in(client, application):
    page = client.get(page_url(application))

    assert page.status_code == 302 and page.url.startswith(reverse("account_login"))


# --- Moving the stage -------------------------------------------------------------------------


def test_a_recruiter_moves_the_application_and_sees_it(client, recruiter, application):
    client.force_login(recruiter)
    screen = application.role.stages.get(kind=Stage.Kind.SCREEN)

    page = client.post(
        reverse("web:move", args=[application.pk]), {"move-stage": screen.pk}, follow=True
    )

    assert page.redirect_chain == [(page_url(application), 302)]
    html = page.content.decode()
    assert "Ada Lovelace moved to Screen." in html
    assert "Sourced → <strong>Screen</strong>" in html
    application.refresh_from_db()
    assert application.stage == screen
    assert StageChange.objects.filter(application=application).latest("id").changed_by == (
        recruiter
    )


def test_a_stage_of_another_role_posted_by_hand_is_refused_and_nothing_moves(
    client, recruiter, application
):
    client.force_login(recruiter)
    elsewhere = RoleFactory.create().stages.get(kind=Stage.Kind.SCREEN)

    page = client.post(reverse("web:move", args=[application.pk]), {"move-stage": elsewhere.pk})

    assert page.status_code == 200
    assert escape("Choose one of this role's stages it can move to.") in page.content.decode()
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.SOURCED
    assert StageChange.objects.filter(application=application).count() == 1


def test_moving_a_closed_application_shows_the_services_refusal(client, recruiter, application):
    mark_lost(application, reason="not_interested", by=recruiter)
    client.force_login(recruiter)
    screen = application.role.stages.get(kind=Stage.Kind.SCREEN)

    page = client.post(reverse("web:move", args=[application.pk]), {"move-stage": screen.pk})

    assert page.status_code == 200
    assert "a closed application cannot move" in page.content.decode()
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.LOST


# --- Logging an activity ----------------------------------------------------------------------


def test_a_recruiter_logs_an_activity_and_sees_it(client, recruiter, application):
    client.force_login(recruiter)

    page = client.post(
        reverse("web:log_activity", args=[application.pk]),
        {
            "activity-kind": "call",
            "activity-summary": "Called about the team lead",
            "activity-body": "She asked who leads pre-training.",
        },
        follow=True,
    )

    assert page.redirect_chain == [(page_url(application), 302)]
    html = page.content.decode()
    assert "Call logged." in html and "Called about the team lead" in html
    activity = Activity.objects.get()
    assert (activity.kind, activity.author, activity.application) == (
        "call",
        recruiter,
        application,
    )
    assert activity.candidate == application.candidate


def test_an_empty_summary_is_refused_with_what_was_typed_kept(client, recruiter, application):
    client.force_login(recruiter)

    page = client.post(
        reverse("web:log_activity", args=[application.pk]),
        {"activity-kind": "meeting", "activity-summary": "   ", "activity-body": "Lunch notes"},
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "This field is required." in html
    assert "Lunch notes</textarea>" in html
    assert '<option value="meeting" selected>' in html
    assert not Activity.objects.exists()


def test_an_unknown_kind_posted_by_hand_is_refused(client, recruiter, application):
    client.force_login(recruiter)

    page = client.post(
        reverse("web:log_activity", args=[application.pk]),
        {"activity-kind": "telegram", "activity-summary": "Sent a telegram"},
    )

    assert page.status_code == 200
    assert "Select a valid choice. telegram is not one of the available choices." in (
        page.content.decode()
    )
    assert not Activity.objects.exists()


# --- Staying fast -----------------------------------------------------------------------------


def build_rows(application, recruiter, count: int) -> None:
    """`count` activities, offer versions and competing offers on the application."""
    for i in range(count):
        log_activity(
            application.candidate,
            kind="note",
            summary=f"Note {i}",
            by=recruiter,
            application=application,
        )
        record(application, CompanyFactory.create(), recruiter, base_salary=Decimal(500_000 + i))
    offer = OfferFactory.create(application=application, drafted_by=recruiter)
    for _ in range(count - 1):
        submit_for_approval(offer, by=recruiter)  # no rule: approved at once
        offer = revise_offer(offer, by=recruiter)


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_page_reads_as_many_rows_in_as_many_queries(
    client, recruiter, hiring_manager, django_assert_max_num_queries
):
    build_market()
    two = ApplicationFactory.create(role=RoleFactory.create(hiring_manager=hiring_manager))
    ten = ApplicationFactory.create(role=RoleFactory.create(hiring_manager=hiring_manager))
    build_rows(two, recruiter, 2)
    build_rows(ten, recruiter, 10)
    client.force_login(recruiter)

    with django_assert_max_num_queries(25):
        html = client.get(page_url(ten)).content.decode()

    assert html.count('class="badge text-bg-light">Note</span>') == 10
    assert "v10</a>" in html and html.count("Superseded") == 9
    assert queries_for(client, page_url(two)) == queries_for(client, page_url(ten))
    client.force_login(hiring_manager)  # no amounts: fewer queries, and just as flat
    assert queries_for(client, page_url(two)) == queries_for(client, page_url(ten))


def test_an_offer_in_euros_says_the_rate_and_its_date_beside_its_dollars(
    client, recruiter, application
):
    # €847,000 is $1,000,000 at the market's 0.847 EUR per USD of 1 Nov 2025.
    OfferFactory.create(
        application=application,
        drafted_by=recruiter,
        currency="EUR",
        base_salary=Decimal(847_000),
    )
    client.force_login(recruiter)

    page = client.get(reverse("web:application", args=[application.pk])).content.decode()

    offers = page[page.index("Our offers") :]
    assert "1,000,000.00 USD" in offers
    assert "at 1.180638 USD per EUR of 1 Nov 2025" in offers


def test_a_competing_offer_in_euros_says_how_it_was_converted(client, recruiter, application):
    # €508,200 is $600,000 at the market's 0.847 EUR per USD of 1 Nov 2025.
    OfferFactory.create(application=application, drafted_by=recruiter, base_salary=Decimal(500_000))
    record(
        application,
        CompanyFactory.create(name="Helix Intelligence"),
        recruiter,
        currency="EUR",
        base_salary=Decimal(508_200),
    )
    client.force_login(recruiter)

    page = client.get(reverse("web:application", args=[application.pk])).content.decode()

    assert "Converted to USD at 1.180638 USD per EUR, the rate of 1 Nov 2025." in page
