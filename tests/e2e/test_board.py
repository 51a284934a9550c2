"""The pipeline board in a real browser: a card dragged to another column moves (the counts
follow, the move is recorded), a card dropped on Hired stays and says why; the candidate's
page opened from the admin."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from recruiting.pipeline.models import Application
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory

from .conftest import screenshot, sign_in
from .test_offer_workspace import go

pytestmark = pytest.mark.django_db(transaction=True)


def drag(page, card, column) -> None:
    """Takes the card by its corner (its middle holds the move form) and moves the mouse in
    steps, as a hand does, to the middle of the column; the board is scrolled first to show
    both (it scrolls sideways: eight columns are wider than the window)."""
    card.evaluate(
        "card => { const board = document.getElementById('board');"
        " board.scrollLeft = card.closest('.board-column').offsetLeft - board.offsetLeft - 8; }"
    )
    start, end = card.bounding_box(), column.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + 4, start["y"] + 4)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()
    page.wait_for_timeout(200)


def test_dragging_a_card_moves_it_and_a_refused_move_says_why(page, live_server, recruiter):
    role = RoleFactory.create(title="Research Scientist, Pre-training")
    ada = ApplicationFactory.create(
        candidate=CandidateFactory.create(name="Ada Lovelace"), role=role
    )
    ApplicationFactory.create(candidate=CandidateFactory.create(name="Grace Hopper"), role=role)
    sourced, screen, hired = (role.stages.get(name=n) for n in ("Sourced", "Screen", "Hired"))
    sign_in(page, live_server, recruiter)
    go(page, live_server, "web:board", role.pk)
    column = lambda stage: page.locator(f"#column-{stage.pk}")  # noqa: E731
    expect(column(sourced).locator(".count")).to_have_text("2")
    screenshot(page, "board")

    drag(page, page.locator(f"#card-{ada.pk}"), column(screen))

    expect(column(screen).locator(f"#card-{ada.pk}")).to_be_visible()
    expect(column(screen).locator(".count")).to_have_text("1")
    expect(column(sourced).locator(".count")).to_have_text("1")
    assert Application.objects.get(pk=ada.pk).stage == screen

    drag(page, page.locator(f"#card-{ada.pk}"), column(hired))

    card = column(screen).locator(f"#card-{ada.pk}")
    expect(card.locator(".move-error")).to_have_text("Use “Mark hired” to close an application.")
    expect(column(hired).locator(".count")).to_have_text("0")
    assert Application.objects.get(pk=ada.pk).stage == screen
    screenshot(page, "board-refused-move")

    # After a reload the board says the same: the move was saved.
    page.reload()
    expect(column(screen).locator(f"#card-{ada.pk}")).to_be_visible()


def test_the_candidates_page_opens_from_the_admin(page, live_server, recruiter):
    application = ApplicationFactory.create(candidate=CandidateFactory.create(name="Ada Lovelace"))
    sign_in(page, live_server, recruiter)
    page.goto(f"{live_server.url}/admin/candidates/candidate/{application.candidate_id}/change/")

    page.get_by_role("link", name="Open in the workspace").click()

    expect(page.get_by_role("heading", name="Ada Lovelace", exact=True)).to_be_visible()
    expect(page.locator("#applications")).to_contain_text(application.role.title)
    page.get_by_role("link", name="In the admin").click()
    expect(page).to_have_url(
        f"{live_server.url}/admin/candidates/candidate/{application.candidate_id}/change/"
    )


def test_five_candidates_added_to_a_pipeline_from_the_list(page, live_server, recruiter):
    role = RoleFactory.create(title="Inference Engineer")
    five = [CandidateFactory.create(name=f"Smith {n}") for n in range(5)]
    CandidateFactory.create(name="Ada Lovelace")
    sign_in(page, live_server, recruiter)

    page.get_by_role("link", name="Candidates").click()
    page.get_by_label("Search by name, email or company").fill("smith")
    page.get_by_role("button", name="Search").click()
    for candidate in five:
        page.get_by_label(f"Tick {candidate.name}").check()
    page.get_by_label("Role").select_option(value=str(role.pk))
    page.get_by_role("button", name="Add", exact=True).click()

    expect(page.locator("main .alert-success")).to_have_text(
        f"Added 5 to the pipeline of {role}, at Sourced."
    )
    go(page, live_server, "web:board", role.pk)
    sourced = page.locator(f"#column-{role.stages.get(name='Sourced').pk}")
    expect(sourced.locator(".count")).to_have_text("5")
    screenshot(page, "board-after-bulk-add")
