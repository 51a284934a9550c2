"""Inviting a colleague, deactivating one, and the emails accounts need (an invitation, a
password reset), sent through the alert outbox: written in the caller's transaction, sent once
by the worker, retried while the SMTP server refuses, visible under Alerts."""

from __future__ import annotations

import re
import uuid

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from recruiting.alerts import registry
from recruiting.alerts.services import raise_alert

# An invitation or a password reset: never off, never held for quiet hours or the digest.
ACCOUNT_EMAIL = registry.AlertKind(
    "account_email", "Sign-in emails (invitations, password resets)", urgent=True, required=True
)


class PeopleError(ValidationError):
    """A step on an account that the rules refuse; the message names the field and the rule."""


def set_password_url(user: User) -> str:
    """The one-time link that sets `user`'s password: allauth's password reset key, which
    stops working once the password is set (the key depends on it) and after
    PASSWORD_RESET_TIMEOUT."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def send_account_email(user: User, *, subject: str, message: str) -> None:
    """An account email, through the outbox (each its own, never deduplicated)."""
    raise_alert(
        kind=ACCOUNT_EMAIL.name,
        recipient=user,
        key=f"account-email:{user.pk}:{uuid.uuid4().hex}",
        subject=subject,
        context={"message": message},
    )


def _username_for(email: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@")[0].lower())[:140] or "colleague"
    users = get_user_model().objects
    candidate, n = base, 1
    while users.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def invite_colleague(
    *,
    email: str,
    first_name: str,
    last_name: str,
    group: Group,
    by: User,
    admin_access: bool = True,
) -> User:
    """A new account for `email` in `group`, without a password: the invitation carries a
    one-time link to set one. Refused for an address already used."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise PeopleError({"email": f"“{email}” is not an email address."}) from None
    users = get_user_model().objects
    if users.filter(email__iexact=email).exists():
        raise PeopleError({"email": f"Someone already has the account of {email}."})
    if not first_name.strip():
        raise PeopleError({"first_name": "Give the colleague's first name."})
    user = users.create(
        username=_username_for(email),
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_staff=admin_access,  # the candidate lists are in the admin; hiring managers need not
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.groups.add(group)
    inviter = by.get_full_name() or by.get_username()
    send_account_email(
        user,
        subject=f"{inviter} invites you to Closer",
        message=render_to_string(
            "people/email/invitation.txt",
            {
                "user": user,
                "inviter": inviter,
                "group": group,
                "url": set_password_url(user),
                "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
        ),
    )
    return user


@transaction.atomic
def deactivate(user: User, *, by: User) -> User:
    """The person can no longer sign in (their sessions end at their next request); their
    records stay. Nobody deactivates themselves, nor the last active administrator."""
    if user.pk == by.pk:
        raise PeopleError("You cannot deactivate yourself; ask another administrator.")
    users = get_user_model().objects
    if (
        user.is_superuser
        and not users.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()
    ):
        raise PeopleError(f"{user} is the last active administrator.")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def remove_second_factor(user: User, *, by: User) -> bool:
    """Removes the person's authenticator app and recovery codes (a lost phone): they sign in
    with their password alone, and add an app again (at once, if MFA_REQUIRED_FOR_PAY asks it
    of them). They are told by email. False if they had none."""
    removed, _ = Authenticator.objects.filter(user=user).delete()
    if removed:
        remover = by.get_full_name() or by.get_username()
        send_account_email(
            user,
            subject="Your second factor for Closer was removed",
            message=(
                f"{remover} removed the authenticator app from your Closer account. You now "
                "sign in with your password alone; add an authenticator app again under "
                "Two-factor. If you did not ask for this, tell an administrator at once."
            ),
        )
    return bool(removed)
