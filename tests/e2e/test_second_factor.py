"""A recruiter adds an authenticator app in a real browser, then signs in with its code."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from .conftest import PASSWORD, screenshot, sign_in, sign_out

pytestmark = pytest.mark.django_db(transaction=True)


def code_now(secret: str, step: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def test_a_recruiter_adds_an_authenticator_app_and_signs_in_with_its_code(
    page, live_server, recruiter, settings, violations
):
    # A code works once: the one that activated the app cannot sign in. Rather than wait up to
    # 30 seconds for the next, the test signs in with the next one, which a tolerance of one
    # step (a phone's clock a little ahead) accepts.
    settings.MFA_TOTP_TOLERANCE = 1
    sign_in(page, live_server, recruiter)
    page.get_by_role("link", name="Two-factor").click()
    page.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    screenshot(page, "two-factor")
    page.get_by_role("link", name="Activate").click()
    page.get_by_label("Password").fill(PASSWORD)  # allauth asks the password again first
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Activate Authenticator App").wait_for()
    assert page.get_by_role("img").first.is_visible()  # the QR code to scan
    secret = page.locator("#authenticator_secret").input_value()
    screenshot(page, "two-factor-activate")
    page.get_by_label("Authenticator code").fill(code_now(secret))
    page.get_by_role("button", name="Activate").click()
    page.get_by_role("heading", name="Recovery Codes").wait_for()

    sign_out(page)
    page.get_by_label("Username").fill(recruiter.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    screenshot(page, "two-factor-code")
    page.get_by_label("Code").fill(code_now(secret, step=1))
    page.get_by_role("button", name="Sign In").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="What needs you this week").is_visible()
    assert violations == []  # the policy lets every step of it through
