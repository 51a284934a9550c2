"""A role's pipeline board: columns per stage with exact counts and a page of cards each, what
each card says, the filters, who sees it, moving a card (and a refused move on the card), and
queries that do not grow with the cards."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates.models import Company
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.models import CompetingOffer
from recruiting.pipeline.models import Application, Stage
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def board_url(role, **query) -> str:
    url = reverse("web:board", args=[role.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def column(html: str, stage: Stage) -> str:
    match = re.search(
        rf'<section class="board-column[^"]*" data-stage="{stage.pk}".*?</section>', html, re.S
    )
    assert match, f"no column {stage.name}"
    return match.group(0)


def count_of(html: str, stage: Stage) -> int:
    found = re.search(r'class="badge text-bg-secondary count">(\d+)<', column(html, stage))
    assert found, f"no count on {stage.name}"
    return int(found.group(1))


@pytest.fixture
def role(hiring_manager):
    return RoleFactory(title="Research Scientist, Pre-training", hiring_manager=hiring_manager)


def stage(role, name: str) -> Stage:
    return role.stages.get(name=name)


def test_the_board_has_a_column_per_stage_with_counts_and_cards(recruiter_client, recruiter, role):
    deepmind = CompanyFactory(name="Google DeepMind")
    ada = ApplicationFactory(
        candidate=CandidateFactory(name="Ada Lovelace", owner=recruiter, current_company=deepmind),
        role=role,
    )
    ApplicationFactory(candidate=CandidateFactory(name="Grace Hopper"), role=role)
    screen = stage(role, "Screen")
    Application.objects.filter(pk=ada.pk).update(
        stage=screen, stage_entered_at=timezone.now() - timedelta(days=12)
    )

    html = recruiter_client.get(board_url(role)).content.decode()

    names = [s.name for s in role.stages.order_by("position")]
    assert re.findall(r'<section class="board-column[^"]*"[^>]*aria-label="([^"]+)"', html) == names
    assert count_of(html, stage(role, "Sourced")) == 1 and count_of(html, screen) == 1
    card = column(html, screen)
    assert "Ada Lovelace" in card and "Google DeepMind" in card
    assert recruiter.get_full_name() in card
    # 12 days in Screen, whose limit is 10: flagged.
    assert (
        '<span class="badge text-bg-warning" title="over the stage\'s 10-day limit">12d</span>'
        in card
    )
    assert f'href="{reverse("web:candidate", args=[ada.candidate_id])}"' in card
    assert "Grace Hopper" in column(html, stage(role, "Sourced"))


def test_cards_say_the_outreach_the_offer_and_the_competitor_ahead(
    recruiter_client, recruiter, role
):
    build_market()
    application = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"), role=role)
    OfferFactory(application=application, drafted_by=recruiter, base_salary=Decimal(400_000))
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR),
            application=application,
            currency="USD",
            base_salary=Decimal(900_000),
            deadline=timezone.now() + timedelta(days=3),
            confidence=CompetingOffer.Confidence.WRITTEN,
        ),
        by=recruiter,
    )

    card = column(recruiter_client.get(board_url(role)).content.decode(), stage(role, "Sourced"))

    assert "offer v1 draft" in card
    assert '<span class="badge text-bg-danger ahead">Helix Intelligence ahead</span>' in card


def test_a_hiring_manager_sees_their_roles_board_without_pay_and_moves_nothing(
    client, hiring_manager, recruiter, role
):
    build_market()
    application = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"), role=role)
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR),
            application=application,
            currency="USD",
            base_salary=Decimal(900_000),
            deadline=timezone.now() + timedelta(days=3),
        ),
        by=recruiter,
    )
    other = RoleFactory(title="Inference Engineer")
    client.force_login(hiring_manager)

    html = client.get(board_url(role)).content.decode()

    assert "Ada Lovelace" in html
    assert "ahead" not in column(html, stage(role, "Sourced"))
    assert 'draggable="true"' not in html and "move-fallback" not in html
    assert client.get(board_url(other)).status_code == 404
    assert (
        client.post(
            reverse("web:board_move", args=[application.pk]),
            {"stage": stage(role, "Screen").pk},
        ).status_code
        == 404
    )


def test_the_filters_owner_tag_and_what_needs_attention(recruiter_client, recruiter, role):
    phd = TagFactory(name="phd")
    mine = ApplicationFactory(
        candidate=CandidateFactory(name="Ada Lovelace", owner=recruiter), role=role
    )
    mine.candidate.tags.add(phd)
    stale = ApplicationFactory(candidate=CandidateFactory(name="Grace Hopper"), role=role)
    Application.objects.filter(pk=stale.pk).update(
        stage_entered_at=timezone.now() - timedelta(days=30)
    )
    ApplicationFactory(candidate=CandidateFactory(name="Alan Turing"), role=role)

    def names(**query) -> list[str]:
        html = recruiter_client.get(board_url(role, **query)).content.decode()
        return sorted(re.findall(r'class="fw-semibold text-decoration-none"[^>]*>([^<]+)<', html))

    assert names() == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert names(owner=recruiter.pk) == ["Ada Lovelace"]
    assert names(tag=phd.pk) == ["Ada Lovelace"]
    assert names(attention="stale") == ["Grace Hopper"]  # 30 days in Sourced, limit 14
    assert names(attention="any") == ["Grace Hopper"]
    page = recruiter_client.get(board_url(role, owner="rita"))
    assert [str(m) for m in page.context["messages"]] == [
        "The owner “rita” is not one of the choices: not filtered by it."
    ]


def test_a_column_shows_a_page_of_cards_and_counts_them_all(recruiter_client, role):
    sourced = stage(role, "Sourced")
    for n in range(30):
        ApplicationFactory(candidate=CandidateFactory(name=f"Candidate {n:02}"), role=role)

    first = recruiter_client.get(board_url(role)).content.decode()
    second = recruiter_client.get(board_url(role, **{f"page_{sourced.pk}": 2})).content.decode()

    assert count_of(first, sourced) == 30
    assert column(first, sourced).count('class="card board-card') == 25
    assert "More (page 1 of 2)" in first
    assert column(second, sourced).count('class="card board-card') == 5
    assert count_of(second, sourced) == 30  # the count is the column's, on any page
    beyond = recruiter_client.get(board_url(role, **{f"page_{sourced.pk}": 9})).content.decode()
    assert count_of(beyond, sourced) == 30 and "Back to the first cards" in beyond


@pytest.mark.parametrize("size", [3, 40])
def test_the_board_reads_the_same_queries_at_any_size(recruiter_client, recruiter, role, size):
    for n in range(size):
        ApplicationFactory(candidate=CandidateFactory(name=f"C {n}", owner=recruiter), role=role)

    with CaptureQueriesContext(connection) as captured:
        assert recruiter_client.get(board_url(role)).status_code == 200

    # Session, user, permissions, the role, its stages, the counts, the cards (one query for
    # every column), the owners and tags to filter by.
    assert len(captured) <= 12


def test_moving_a_card_through_the_pipeline_service(recruiter_client, role):
    application = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"), role=role)
    screen, hired = stage(role, "Screen"), stage(role, "Hired")
    url = reverse("web:board_move", args=[application.pk])

    # Without JavaScript: the card's form, and back to the board.
    page = recruiter_client.post(url, {"stage": screen.pk}, follow=True)
    assert page.redirect_chain[-1][0] == board_url(role)
    assert "Ada Lovelace moved to Screen." in page.content.decode()
    application.refresh_from_db()
    assert application.stage == screen
    assert application.stage_changes.filter(to_stage=screen).exists()

    # The board's script: the card as it now is, or the refusal on it.
    moved = recruiter_client.post(
        url, {"stage": stage(role, "Interviews").pk}, headers={"HX-Request": "true"}
    )
    assert moved.status_code == 200 and 'id="card-' in moved.content.decode()
    refused = recruiter_client.post(url, {"stage": hired.pk}, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "Use “Mark hired” to close an application." in refused.content.decode()
    application.refresh_from_db()
    assert application.stage.name == "Interviews"
