"""Colleagues' accounts: an invitation with a one-time link to set a password (through the
alert outbox), "forgot password" by email, deactivation; one sign-in for the workspace and the
admin (django-allauth)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from recruiting.alerts.models import Alert, AlertPreference
from recruiting.people.services import PeopleError, deactivate, invite_colleague
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/password/reset/key/\S+/")


def outbox(user) -> list[Alert]:
    return list(Alert.objects.filter(recipient=user, kind="account_email").order_by("id"))


def link_in(alert: Alert) -> str:
    found = LINK.search(alert.context["message"])
    assert found, alert.context["message"]
    return found.group(0)


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("boss", "boss@closer.test", "pw-boss-12345")


@pytest.fixture
def recruiters():
    return Group.objects.get(name="Recruiters")


def test_an_invitation_makes_an_account_that_the_link_opens_once(client, admin_user, recruiters):
    user = invite_colleague(
        email="Nina.Park@closer.test",
        first_name="Nina",
        last_name="Park",
        group=recruiters,
        by=admin_user,
    )

    assert (user.username, user.email, user.is_active) == (
        "nina.park",
        "Nina.Park@closer.test",
        True,
    )
    assert list(user.groups.all()) == [recruiters]
    assert not user.has_usable_password()  # nothing signs in before the link is used
    [invitation] = outbox(user)
    assert invitation.subject == "boss invites you to Closer"  # the inviter has no full name
    assert invitation.status == Alert.Status.PENDING and invitation.urgent
    assert "Your username is nina.park." in invitation.context["message"]

    url = link_in(invitation)
    page = client.get(url, follow=True)  # allauth moves the key out of the address
    assert "Set your password" in page.content.decode()
    done = client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else url,
        {"password1": "a long enough passphrase", "password2": "a long enough passphrase"},
        follow=True,
    )
    assert "Your password is set" in done.content.decode()

    signed_in = client.post(
        reverse("account_login"),
        {"login": "nina.park@closer.test", "password": "a long enough passphrase"},
        follow=True,
    )
    assert signed_in.redirect_chain[-1][0] == reverse("home")
    client.logout()
    again = client.get(url, follow=True)
    assert "This link no longer works" in again.content.decode()


@pytest.mark.parametrize(
    ("email", "first_name", "field", "message"),
    [
        ("not-an-email", "Nina", "email", "“not-an-email” is not an email address."),
        ("RECRUITER@closer.test", "Nina", "email", "Someone already has the account of "),
        ("nina@closer.test", "  ", "first_name", "Give the colleague's first name."),
    ],
)
def test_an_invitation_that_cannot_be_is_refused_on_its_field(
    admin_user, recruiter, recruiters, email, first_name, field, message
):
    recruiter.email = "recruiter@closer.test"
    recruiter.save()
    before = get_user_model().objects.count()

    with pytest.raises(PeopleError) as refused:
        invite_colleague(
            email=email, first_name=first_name, last_name="", group=recruiters, by=admin_user
        )

    assert refused.value.message_dict[field][0].startswith(message)
    assert get_user_model().objects.count() == before
    assert not Alert.objects.exists()


def test_forgot_password_sends_a_link_through_the_outbox(client, recruiter):
    recruiter.email = "rita@closer.test"
    recruiter.save()

    page = client.post(
        reverse("account_reset_password"), {"email": "RITA@closer.test"}, follow=True
    )
    unknown = client.post(
        reverse("account_reset_password"), {"email": "nobody@closer.test"}, follow=True
    )

    assert "Check your email" in page.content.decode()
    assert "Check your email" in unknown.content.decode()  # the same page: nothing leaks
    [reset] = outbox(recruiter)
    assert reset.subject == "Set a new password for Closer"
    assert "within the next 72 hours" in reset.context["message"]
    assert Alert.objects.count() == 1  # nothing for the unknown address


def test_account_emails_cannot_be_turned_off_or_held(client, recruiter, admin_user, recruiters):
    """Preferences hold alerts for quiet hours or the digest, or turn them off: never these."""
    AlertPreference.objects.create(user=recruiter, kind="account_email", mode="off")
    recruiter.email = "rita@closer.test"
    recruiter.save()

    client.post(reverse("account_reset_password"), {"email": "rita@closer.test"})
    client.force_login(recruiter)
    preferences = client.get(reverse("alerts:preferences")).content.decode()

    [reset] = outbox(recruiter)
    assert reset.status == Alert.Status.PENDING and not reset.in_digest
    assert "Sign-in emails" not in preferences


def test_a_deactivated_colleague_can_no_longer_sign_in(client, admin_user, recruiter):
    recruiter.set_password("a long enough passphrase")
    recruiter.save()
    client.force_login(recruiter)

    deactivate(recruiter, by=admin_user)

    assert client.get(reverse("home")).status_code == 302  # the session ends
    page = client.post(
        reverse("account_login"),
        {"login": recruiter.username, "password": "a long enough passphrase"},
        follow=True,
    )
    assert "This account is no longer active" in page.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_nobody_deactivates_themselves_or_the_last_administrator(admin_user):
    with pytest.raises(PeopleError, match="cannot deactivate yourself"):
        deactivate(admin_user, by=admin_user)
    other = UserFactory.create(username="other")
    with pytest.raises(PeopleError, match="last active administrator"):
        deactivate(admin_user, by=other)


def test_the_admin_invites_deactivates_and_signs_in_through_the_same_page(
    client, admin_user, recruiters
):
    assert (
        client.get("/admin/", follow=True)
        .redirect_chain[-1][0]
        .startswith(reverse("account_login"))
    )
    client.force_login(admin_user)

    listing = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "Invite a colleague" in listing
    refused = client.post(
        reverse("admin:people_invite"),
        {"email": "boss@closer.test", "first_name": "B", "group": str(recruiters.pk)},
    )
    assert "Someone already has the account of boss@closer.test." in refused.content.decode()
    made = client.post(
        reverse("admin:people_invite"),
        {"email": "omar@closer.test", "first_name": "Omar", "group": str(recruiters.pk)},
        follow=True,
    )
    omar = get_user_model().objects.get(email="omar@closer.test")
    assert not omar.is_staff  # "May use the admin" left unticked
    assert "Invited omar@closer.test as omar (Recruiters)" in made.content.decode()
    assert len(outbox(omar)) == 1

    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_action", "_selected_action": [str(omar.pk), str(admin_user.pk)]},
    )
    omar.refresh_from_db()
    admin_user.refresh_from_db()
    assert not omar.is_active and admin_user.is_active


def test_a_recruiter_may_not_invite(recruiter_client):
    page = recruiter_client.get(reverse("admin:people_invite"))

    assert page.status_code in (302, 403)
