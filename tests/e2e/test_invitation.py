"""Inviting a colleague, in a real browser with a real Celery worker and SMTP server: an
administrator invites Nina into the Recruiters; the worker sends the invitation; Nina opens
its link, sets a password and signs in; the link then no longer works."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from .conftest import PASSWORD, screenshot, sign_in, sign_out

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"(https?://\S+/accounts/password/reset/key/\S+/)")


def test_an_invited_colleague_sets_a_password_from_the_email_and_signs_in(
    page, live_server, celery_worker, smtp_server, settings
):
    smtp_server.reset()
    # The groups are made after migrate; a transactional test's flush removed them.
    from offers.permissions import ensure_groups as offer_groups
    from recruiting.pipeline.permissions import ensure_groups as pipeline_groups

    pipeline_groups(None)
    offer_groups(None)
    settings.SITE_URL = live_server.url  # the links in emails lead to this server
    boss = get_user_model().objects.create_superuser("boss", "boss@closer.test", PASSWORD)
    sign_in(page, live_server, boss)

    page.goto(f"{live_server.url}/admin/auth/user/")
    page.get_by_role("link", name="Invite a colleague").click()
    page.get_by_label("Email").fill("nina.park@closer.test")
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("Park")
    page.get_by_label("Group").select_option(label="Recruiters")
    page.get_by_label("May use the admin").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Invited nina.park@closer.test as nina.park"
    )
    screenshot(page, "invite-sent")

    [email] = smtp_server.wait_for(1)
    assert email["To"] == "nina.park@closer.test"
    assert email["Subject"] == "[Closer] boss invites you to Closer"
    text = email.get_body(("plain",)).get_content()
    assert "Your username is nina.park." in text
    link = LINK.search(text).group(1)

    page.goto(f"{live_server.url}/")
    sign_out(page)
    page.goto(link)
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    page.locator("#id_password1").fill("a long enough passphrase")
    page.locator("#id_password2").fill("a long enough passphrase")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator("#password-set")).to_be_visible()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill("nina.park@closer.test")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("nav")).to_contain_text("Nina Park")
    nina = get_user_model().objects.get(username="nina.park")
    assert list(nina.groups.values_list("name", flat=True)) == ["Recruiters"]
    assert nina.is_staff
    assert Group.objects.get(name="Recruiters").user_set.filter(pk=nina.pk).exists()

    sign_out(page)
    page.goto(link)
    expect(page.locator("#link-used")).to_contain_text("works once")
