"""The reports in a real browser, on the demo's data, at a desktop's width and a phone's: each
report shows its tables and charts, nothing runs wider than a phone's screen but a table that
scrolls inside its own frame, the browser refuses nothing (the charts are the server's SVG,
the styles Closer's own), and the filters change the address, the permalink."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from offers.demo import build_market
from recruiting.web.reports.registry import REPORTS

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# What sticks out of the page: the widest element not inside a table's own scrolling frame.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("main *")]
    .filter(el => !el.closest(".table-responsive"))
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .map(el => el.tagName + "." + el.className);
}"""


@pytest.fixture
def demo(db):
    build_market()  # the currencies the demo's people are paid in (a transactional test
    # starts from an empty database)
    for command in ("seed_demo", "seed_market", "seed_history", "seed_outreach"):
        call_command(command, verbosity=0)
    return User.objects.get(username="rita")


def walk(page: Page, live_server, width: str) -> None:
    page.goto(live_server.url + reverse("web:reports"))
    expect(page.locator("#reports a")).to_have_count(len(REPORTS))
    screenshot(page, f"reports-{width}")
    for spec in REPORTS:
        page.goto(live_server.url + reverse(f"web:report_{spec.slug}"))
        expect(page.get_by_role("heading", name=spec.title, exact=True)).to_be_visible()
        tables = page.locator("section.report-section")
        assert tables.count() > 0, spec.slug
        # Something true to show: at least one table holds a row of figures.
        rows = page.locator("section.report-section tbody tr:not(:has(td[colspan]))")
        assert rows.count() > 0, f"{spec.title} shows nothing on the demo's data"
        for chart in page.locator("svg.report-bars").all():
            # Its text as the screen shows it: the SVG's font size scaled to its width.
            box = chart.bounding_box()
            units = float((chart.get_attribute("viewBox") or "").split()[2])
            size = float(chart.get_attribute("font-size") or 0) * (box or {"width": 0})["width"]
            assert size / units >= 12, f"{spec.title}: a chart's text too small to read"
        assert page.evaluate(OVERFLOW) == [], f"{spec.title} is wider than the screen"
        screenshot(page, f"report-{spec.slug}-{width}")


def test_every_report_on_a_desktop(page, live_server, demo, violations):
    sign_in(page, live_server, demo)

    walk(page, live_server, "desktop")

    assert violations == []


def test_every_report_on_a_phone(phone, live_server, demo):
    sign_in(phone, live_server, demo)

    walk(phone, live_server, "phone")


def test_the_filters_go_in_the_address_and_a_bad_one_is_named(page, live_server, demo):
    sign_in(page, live_server, demo)
    spec = REPORTS[0]
    page.goto(live_server.url + reverse(f"web:report_{spec.slug}"))

    # Without filters, the last year, and the date fields say so.
    today = timezone.localdate()
    expect(page.get_by_label("To", exact=True)).to_have_value(today.isoformat())
    expect(page.get_by_label("From", exact=True)).to_have_value(
        (today - timedelta(days=365)).isoformat()
    )
    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2025-01-01")
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_text("The start date is on or before the end date.")).to_be_visible()
    page.get_by_label("To", exact=True).fill("2026-12-31")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#report-permalink")).to_have_attribute(
        "href",
        f"{live_server.url}{reverse(f'web:report_{spec.slug}')}?date_from=2026-01-01&date_to=2026-12-31",
    )
    expect(page.get_by_text("1 Jan 2026 to 31 Dec 2026")).to_be_visible()
