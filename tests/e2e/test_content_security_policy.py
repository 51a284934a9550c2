"""The Content-Security-Policy in a real browser: a recruiter walks the workspace (home, a drag on
the board, the application page, the offer form with its live preview and an added row, the
offer page and a confirmation, the candidate list, the alerts) and the admin (a candidate's and
an application's change pages, the list, the import, the export's "Select all", an offer's
history, a message template's preview) and the browser reports no violation of the policy while
every interaction works; a script or a style put into a page without the nonce, or a script
slipped into an htmx answer, does not run."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from offers.models import Offer
from recruiting.outreach.models import MessageTemplate
from recruiting.pipeline.models import Application
from tests.factories import ApplicationFactory, CandidateFactory

from .conftest import sign_in
from .test_board import drag
from .test_offer_workspace import (  # noqa: F401 (market: a fixture, the bands and rates)
    go,
    market,
    senior_scientist_role,
    url,
    year_one_preview,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("market")]


@pytest.fixture
def application():
    ada = CandidateFactory.create(name="Ada Lovelace")
    return ApplicationFactory.create(candidate=ada, role=senior_scientist_role())


def test_the_workspace_and_the_admin_work_under_the_policy(
    page: Page, live_server, recruiter, application, violations
):
    grace = ApplicationFactory.create(
        candidate=CandidateFactory.create(name="Grace Hopper"), role=application.role
    )
    MessageTemplate.objects.create(
        name="First touch",
        subject="{{ candidate.first_name }}, {{ role.title }}?",
        body_text="Hi {{ candidate.first_name }}",
        body_html="<p>Hi {{ candidate.first_name }}</p>",
    )
    sign_in(page, live_server, recruiter)
    home = page.goto(url(live_server, "home"))
    assert home is not None
    assert "'nonce-" in home.headers["content-security-policy"]
    expect(page.get_by_role("link", name="Closer")).to_be_visible()

    # The board: a card dragged to Screen moves (board.js's fetch, answered with the card).
    go(page, live_server, "web:board", application.role_id)
    screen = application.role.stages.get(name="Screen")
    drag(page, page.locator(f"#card-{grace.pk}"), page.locator(f"#column-{screen.pk}"))
    expect(page.locator(f"#column-{screen.pk} #card-{grace.pk}")).to_be_visible()
    assert Application.objects.get(pk=grace.pk).stage == screen

    # The application page, then the offer form: the live preview (htmx) follows the typing,
    # and "Add a year" (htmx) adds a row.
    go(page, live_server, "web:application", application.pk)
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    page.get_by_role("link", name="Draft offer").click()
    page.locator("#id_base_salary").fill("400000")
    page.locator("#id_target_bonus_percent").fill("10")
    page.locator("#id_relocation").fill("20000")
    page.locator("#id_signing_clawback_months").fill("12")
    page.locator("#id_payments-0-amount").fill("50000")
    page.locator("#id_equity-0-value").fill("800000")
    expect(year_one_preview(page)).to_have_text("710,000 USD")
    page.get_by_role("button", name="Add a year").click()
    expect(page.locator("#id_equity-0-years-4-percentage")).to_be_visible()
    page.locator("#id_equity-0-years-4-percentage").fill("0")
    page.locator("#id_base_salary").fill("420000")
    expect(year_one_preview(page)).to_have_text("732,000 USD")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("main .alert-success")).to_contain_text("Offer v1 drafted.")
    offer = Offer.objects.get(application=application)

    # The offer page: its band gauge and chart legend drawn, its styles applied (from the
    # static sheet), and "Discard the draft" asks first (a listener, no onclick): dismissed,
    # the draft stays.
    expect(page.locator("#band .band-bar .band-value").first).to_be_visible()
    expect(page.locator("#chart-legend svg.swatch").first).to_be_visible()
    dot = page.locator("#band .band-bar .band-value").first
    assert dot.evaluate("e => getComputedStyle(e).fill") != "rgb(0, 0, 0)"
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    page.get_by_role("button", name="Discard the draft").click()
    page.wait_for_timeout(300)
    assert asked == ["Discard this draft? Its terms are deleted."]
    assert Offer.objects.filter(pk=offer.pk, status=Offer.Status.DRAFT).exists()

    go(page, live_server, "web:candidates")
    expect(page.locator("main")).to_contain_text("Grace Hopper")
    go(page, live_server, "alerts:mine")
    expect(page.get_by_role("heading").first).to_be_visible()

    # The admin: change pages, the list, the export's "Select all", an offer's history.
    go(page, live_server, "admin:candidates_candidate_change", application.candidate_id)
    expect(page.locator("#content h2, #content h1").first).to_be_visible()
    go(page, live_server, "admin:pipeline_application_change", application.pk)
    expect(page.locator("#content")).to_contain_text("Ada Lovelace")
    go(page, live_server, "admin:candidates_candidate_changelist")
    expect(page.locator("#result_list")).to_contain_text("Grace Hopper")
    go(page, live_server, "admin:candidates_candidate_export")
    toggle = page.locator("input.select-toggle")
    fields = page.locator(".selectable-field-export-row input[type=checkbox]:visible")
    expect(fields.first).to_be_checked()
    toggle.uncheck()
    expect(fields.first).not_to_be_checked()
    go(page, live_server, "admin:candidates_candidate_import")
    expect(page.locator("input[type=file]")).to_be_visible()
    go(page, live_server, "admin:offers_offer_history", offer.pk)
    expect(page.locator("#content")).to_contain_text("Components")

    # A message template's preview: choosing another candidate reloads it for them.
    template = MessageTemplate.objects.get()
    go(page, live_server, "admin:outreach_messagetemplate_change", template.pk)
    choice = page.locator("select.preview-candidate")
    choice.select_option(label="Grace Hopper")
    page.wait_for_url(f"**preview_candidate={grace.candidate_id}")
    expect(page.locator(".preview-subject")).to_have_text("Grace, Senior Research Scientist?")

    assert violations == []


def test_a_script_or_style_without_the_nonce_does_not_run(
    page: Page, live_server, recruiter, application, violations
):
    sign_in(page, live_server, recruiter)
    go(page, live_server, "offers:draft", application.pk)
    expect(year_one_preview(page)).to_be_visible()

    # Put into the page as an injection would: an inline script, an event handler, a style
    # attribute and a <style>, none with the nonce; then the same script with it.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = 'ran'";
          document.body.append(script);
          const holder = document.createElement("div");
          holder.innerHTML = '<img id="bad-img" src="data:," onload="window.handler = \\'ran\\'">'
            + '<p id="bad-style" style="color: rgb(255, 0, 0)">x</p>';
          document.body.append(holder);
          const style = document.createElement("style");
          style.textContent = "#bad-style { background-color: rgb(0, 255, 0) }";
          document.head.append(style);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected") is None
    assert page.evaluate("window.handler") is None
    assert page.locator("#bad-style").evaluate("e => getComputedStyle(e).color") != (
        "rgb(255, 0, 0)"
    )
    assert page.locator("#bad-style").evaluate("e => getComputedStyle(e).backgroundColor") != (
        "rgb(0, 255, 0)"
    )
    assert any("script-src" in v for v in violations), violations
    assert any("style-src" in v for v in violations), violations

    # The nonce is what lets a script run: the page's own, copied, does.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.nonce = document.querySelector("script[nonce]").nonce;
          script.textContent = "window.allowed = 'ran'";
          document.body.append(script);
        }"""
    )
    assert page.evaluate("window.allowed") == "ran"

    # An htmx answer carrying a script (as if a stored value slipped into a fragment): htmx
    # swaps the HTML in and runs nothing.
    page.route(
        url(live_server, "offers:preview"),
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body='<p id="swapped">swapped</p><script>window.fromHtmx = "ran"</script>',
        ),
    )
    page.locator("#id_base_salary").fill("1")
    expect(page.locator("#swapped")).to_be_visible()
    page.wait_for_timeout(300)
    assert page.evaluate("window.fromHtmx") is None
