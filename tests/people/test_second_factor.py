"""A second factor (allauth.mfa, an authenticator app): signing in with one asks its code after
the password, in the workspace and for the admin; MFA_REQUIRED_FOR_PAY sends everyone who may
see pay, and only them, to add one before any page opens."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "the right passphrase"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # sign-in counts, and the codes already used
    yield
    cache.clear()


def colleague(username: str, group: str | None) -> User:
    user = User.objects.create_user(username, f"{username}@closer.example", PASSWORD, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def code_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client: Client, username: str, next_url: str = ""):
    data = {"login": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("account_login"), data)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_colleague_with_an_authenticator_app_is_asked_its_code_after_the_password():
    rita = colleague("rita", "Recruiters")
    TOTP.activate(rita, SECRET)
    client = Client()

    after_password = sign_in(client, "rita")

    assert after_password.status_code == 302
    assert after_password["Location"] == reverse("mfa_authenticate")
    assert not signed_in(client)
    assert client.get(reverse("home")).status_code == 302  # still to the sign-in page

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "Incorrect code." in wrong.content.decode()
    assert not signed_in(client)

    right = client.post(reverse("mfa_authenticate"), {"code": code_now(SECRET)})
    assert right.status_code == 302
    assert signed_in(client)
    assert client.get(reverse("home")).status_code == 200


def test_a_code_works_once():
    rita = colleague("rita", "Recruiters")
    TOTP.activate(rita, SECRET)
    code = code_now(SECRET)
    first = Client()
    sign_in(first, "rita")
    first.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in(first)

    second = Client()
    sign_in(second, "rita")
    replayed = second.post(reverse("mfa_authenticate"), {"code": code})

    assert "Incorrect code." in replayed.content.decode()
    assert not signed_in(second)


def test_the_admin_asks_the_code_too():
    rita = colleague("rita", "Recruiters")
    TOTP.activate(rita, SECRET)
    client = Client()

    to_sign_in = client.get(reverse("admin:index"), follow=True)
    assert to_sign_in.redirect_chain[-1][0].startswith(reverse("account_login"))
    sign_in(client, "rita", next_url=reverse("admin:index"))
    assert client.get(reverse("admin:index")).status_code == 302
    done = client.post(reverse("mfa_authenticate"), {"code": code_now(SECRET)})

    assert done["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_when_required_everyone_who_sees_pay_adds_an_authenticator_before_any_page(settings):
    settings.MFA_REQUIRED_FOR_PAY = True
    colleague("rita", "Recruiters")  # recruiters see pay
    client = Client()
    sign_in(client, "rita")
    assert signed_in(client)

    for page in (reverse("home"), reverse("admin:index"), reverse("web:candidates")):
        sent = client.get(page)
        assert sent.status_code == 302, page
        assert sent["Location"] == reverse("mfa_activate_totp")

    # allauth asks the password again before an authenticator is added
    asked = client.get(reverse("mfa_activate_totp"), follow=True)
    assert asked.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert "Closer asks a second factor of you" in asked.content.decode()
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    activate = client.get(reverse("mfa_activate_totp"))
    page = activate.content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page)
    assert secret, "the page shows the secret to type into the app"
    activated = client.post(reverse("mfa_activate_totp"), {"code": code_now(secret.group(1))})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == 1
    assert client.get(reverse("home")).status_code == 200


def test_when_required_someone_who_cannot_see_pay_goes_on_without(settings):
    settings.MFA_REQUIRED_FOR_PAY = True
    colleague("hank", "Hiring managers")
    client = Client()
    sign_in(client, "hank")

    assert client.get(reverse("home")).status_code == 200


def test_not_required_by_default(settings):
    assert settings.MFA_REQUIRED_FOR_PAY is False
    colleague("rita", "Recruiters")
    client = Client()
    sign_in(client, "rita")

    assert client.get(reverse("home")).status_code == 200


def test_an_administrator_sees_who_has_a_second_factor_and_removes_a_lost_one(superuser):
    rita = colleague("rita", "Recruiters")
    colleague("hank", "Hiring managers")
    TOTP.activate(rita, SECRET)
    boss = Client()
    boss.force_login(superuser)

    listed = boss.get(reverse("admin:auth_user_changelist")).content.decode()
    cells = re.findall(r'<td class="field-second_factor"><img [^>]*alt="(\w+)"', listed)
    assert sorted(cells) == ["False", "False", "True"]  # the boss, hank, rita

    done = boss.post(
        reverse("admin:auth_user_changelist"),
        {"action": "remove_second_factor_action", "_selected_action": [rita.pk]},
        follow=True,
    )

    assert "Removed the second factor of rita" in done.content.decode()
    assert not Authenticator.objects.filter(user=rita).exists()
    client = Client()
    sign_in(client, "rita")
    assert signed_in(client)  # the password alone again
