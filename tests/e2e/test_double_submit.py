"""A form sent twice by a double click in a real browser is done once (its one-time key,
recruiting/lib/form_keys.py): the activity is logged once and the page says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from recruiting.pipeline.models import Activity
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory

from .conftest import screenshot, sign_in
from .test_offer_workspace import go

pytestmark = pytest.mark.django_db(transaction=True)


def test_double_clicking_log_activity_logs_it_once(page, live_server, recruiter):
    application = ApplicationFactory.create(
        candidate=CandidateFactory.create(name="Ada Lovelace", owner=recruiter),
        role=RoleFactory.create(title="Research Scientist, Pre-training"),
        by=recruiter,
    )
    sign_in(page, live_server, recruiter)
    go(page, live_server, "web:application", application.pk)
    sent: list[str] = []
    page.on("request", lambda request: request.method == "POST" and sent.append(request.url))
    page.get_by_label("Summary").fill("Called about the team lead")

    # A slow network, as on a train: the second click comes while the first is on its way.
    network = page.context.new_cdp_session(page)
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 600, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    submit = page.locator("#activity-submit")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, delay=100)

    expect(page.locator("#activities")).to_contain_text("Called about the team lead")
    page.wait_for_load_state("networkidle")
    assert len(sent) == 2  # the browser did send the form twice
    expect(page.locator("#activities li", has_text="Called about the team lead")).to_have_count(1)
    assert Activity.objects.filter(summary="Called about the team lead").count() == 1
    expect(page.locator(".alert", has_text="This form was already sent")).to_be_visible()
    screenshot(page, "double-submit")
