"""Signing in and out in a real browser, at desktop and phone width."""

from __future__ import annotations

import pytest

from .conftest import screenshot, sign_in, sign_out

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_recruiter_signs_in_sees_home_and_signs_out(page, live_server, recruiter):
    sign_in(page, live_server, recruiter)

    assert page.get_by_role("heading", name="What needs you this week").is_visible()
    screenshot(page, "home")
    sign_out(page)
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert page.get_by_role("heading", name="Sign in to Closer").is_visible()


def test_home_fits_a_phone(phone, live_server, recruiter):
    sign_in(phone, live_server, recruiter)

    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the screen: no sideways scrolling
    screenshot(phone, "home-phone")
