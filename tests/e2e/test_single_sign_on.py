"""Single sign-on through OpenID Connect, in a real browser, against a real provider:
django-oauth-toolkit in its own process (tests/idp), as a team's identity provider. A colleague
is found by the verified email the provider gives and placed in their groups by the map; an
unknown person gets an account only if the map gives them a group; an unverified email finds
nobody."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
IDP_PASSWORD = "the provider's password"
CLIENT_ID, CLIENT_SECRET = "closer", "closer-client-secret-for-the-tests"
GROUP_MAP = {"closer-recruiters": "Recruiters", "closer-managers": "Hiring managers"}


@dataclass
class Provider:
    url: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def person(username: str, email: str, *groups: str) -> dict[str, object]:
    first, last = username.capitalize(), "Example"
    return {
        "username": username,
        "email": email,
        "password": IDP_PASSWORD,
        "first_name": first,
        "last_name": last,
        "groups": list(groups),
    }


@pytest.fixture
def provider(live_server, settings, tmp_path: Path) -> Iterator[Provider]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    people = [
        person("ada", "ada@closer.example", "closer-recruiters"),
        person("grace", "grace@closer.example", "closer-recruiters"),
        person("stranger", "stranger@closer.example", "marketing"),
        person("mallory", "boss@closer.example", "closer-recruiters", "email-unverified"),
    ]
    redirect_uri = f"{live_server.url}/accounts/oidc/sso/login/callback/"
    (tmp_path / "people.json").write_text(
        json.dumps(
            {
                "people": people,
                "client": {"id": CLIENT_ID, "secret": CLIENT_SECRET, "redirect_uri": redirect_uri},
            }
        )
    )
    port = free_port()
    env = {**os.environ, "IDP_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "tests.idp.settings"}
    log = (tmp_path / "idp.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.idp.serve", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/o"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                started = (tmp_path / "idp.log").read_text()
                pytest.fail(f"the identity provider did not start:\n{started}")
            time.sleep(0.2)
        settings.OIDC_GROUP_MAP = GROUP_MAP
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "SCOPE": ["openid", "profile", "email", "groups"],
                "APPS": [
                    {
                        "provider_id": "sso",
                        "name": "Example Corp",
                        "client_id": CLIENT_ID,
                        "secret": CLIENT_SECRET,
                        "settings": {"server_url": url},
                    }
                ],
            }
        }
        yield Provider(url)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def sign_in_through_the_provider(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Example Corp").click()
    page.get_by_role("heading", name="Example Corp sign-on").wait_for()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_a_colleague_is_found_by_verified_email_and_placed_in_their_groups(
    page, live_server, provider, violations
):
    ada = User.objects.create_user("ada.l", "Ada@closer.example", first_name="Ada")
    ada.groups.add(
        Group.objects.get(name="Hiring managers"),  # the map manages it: the provider says no
        Group.objects.get(name="Compensation approvers"),  # the map does not: it stays
    )

    sign_in_through_the_provider(page, live_server, "ada")

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="What needs you this week").is_visible()
    screenshot(page, "sso-signed-in")
    assert User.objects.count() == 1  # no second account
    ada.refresh_from_db()
    assert sorted(ada.groups.values_list("name", flat=True)) == [
        "Compensation approvers",
        "Recruiters",
    ]
    assert SocialAccount.objects.get(user=ada).provider == "sso"
    assert violations == []  # form-action lets the redirect to the provider through


def test_someone_new_whose_group_is_mapped_gets_an_account_in_that_group(
    page, live_server, provider
):
    sign_in_through_the_provider(page, live_server, "grace")

    page.wait_for_url(f"{live_server.url}/")
    grace = User.objects.get(email__iexact="grace@closer.example")
    assert list(grace.groups.values_list("name", flat=True)) == ["Recruiters"]
    assert grace.is_staff and not grace.has_usable_password()
    assert page.get_by_text("Grace Example").is_visible()  # the name in the menu


def test_someone_whose_groups_closer_does_not_map_gets_no_account(page, live_server, provider):
    sign_in_through_the_provider(page, live_server, "stranger")

    page.get_by_role("heading", name="No Closer account for you yet").wait_for()
    screenshot(page, "sso-no-account")
    assert not User.objects.exists()


def test_an_unverified_email_does_not_open_the_account_that_has_it(page, live_server, provider):
    boss = User.objects.create_user("boss", "boss@closer.example", "boss's own password")

    sign_in_through_the_provider(page, live_server, "mallory")

    page.wait_for_load_state()
    assert not SocialAccount.objects.filter(user=boss).exists()
    assert page.get_by_role("heading", name="What needs you this week").count() == 0
    boss.refresh_from_db()
    assert boss.check_password("boss's own password")


def test_a_second_factor_required_for_pay_is_the_providers_under_single_sign_on(
    page, live_server, provider, settings
):
    # Closer cannot add an app to an account without a password (it asks the password again
    # first): under single sign-on the provider holds the second factor.
    settings.MFA_REQUIRED_FOR_PAY = True

    sign_in_through_the_provider(page, live_server, "grace")  # a recruiter: sees pay

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="What needs you this week").is_visible()
