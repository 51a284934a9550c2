"""Sign-in throttling: repeated failed sign-ins lock a login out (the right password too), the
admin's sign-in goes through the same page, and an administrator sees the lockout and
releases it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "the right passphrase"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rita():
    user = UserFactory(username="rita", email="rita@closer.example")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client: Client, login: str, password: str):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_login_out_even_with_the_right_password(settings, rita):
    client = Client()
    for _ in range(settings.SIGN_IN_LOCKOUT_FAILURES):
        refused = sign_in(client, "rita", "wrong")
        assert "The username and/or password you specified are not correct." in (
            refused.content.decode()
        )

    locked = sign_in(client, "rita", PASSWORD)

    assert "Too many failed login attempts. Try again later." in locked.content.decode()
    assert not signed_in(client)


def test_fewer_failures_still_let_the_right_password_in(settings, rita):
    client = Client()
    for _ in range(settings.SIGN_IN_LOCKOUT_FAILURES - 1):
        sign_in(client, "rita", "wrong")

    sign_in(client, "rita", PASSWORD)

    assert signed_in(client)


def test_the_admin_signs_in_through_the_same_page(client):
    response = client.post(reverse("admin:login"), {"username": "rita", "password": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_administrator_sees_the_lockout_and_releases_it(settings, rita, superuser):
    attacker = Client()
    for _ in range(settings.SIGN_IN_LOCKOUT_FAILURES):
        sign_in(attacker, "rita@closer.example", "wrong")
    boss = Client()
    boss.force_login(superuser)

    listed = boss.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "locked out until" in listed
    released = boss.post(
        reverse("admin:auth_user_changelist"),
        {"action": "release_lockout_action", "_selected_action": [rita.pk]},
        follow=True,
    )

    assert "Released: rita may sign in again now." in released.content.decode()
    assert (
        "locked out until" not in boss.get(reverse("admin:auth_user_changelist")).content.decode()
    )
    client = Client()
    sign_in(client, "rita@closer.example", PASSWORD)
    assert signed_in(client)
