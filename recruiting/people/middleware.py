"""A second factor for everyone who may see pay, when MFA_REQUIRED_FOR_PAY says so: until they
have added an authenticator app, every page sends them to the page that adds one.

Someone signed in through single sign-on is not asked: their identity provider holds their
second factor (Closer cannot ask one of an account without a password: adding an app asks the
password again first)."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from recruiting.lib.access import can_see_compensation
from recruiting.lib.types import AnyUser

# What a colleague without a second factor may still open: adding one (allauth re-asks the
# password first), signing out, and the candidate's own offer pages, which need no account.
OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/reauthenticate/", "/accounts/logout/", "/offer/")


SIGNED_IN_THROUGH_SSO = "people.signed_in_through_sso"


def remember_how_they_signed_in(
    sender: object, request: HttpRequest, user: object, **kwargs: object
) -> None:
    """allauth's user_logged_in: whether this session began through single sign-on."""
    request.session[SIGNED_IN_THROUGH_SSO] = kwargs.get("sociallogin") is not None


def needs_second_factor(request: HttpRequest) -> bool:
    """A colleague who may see pay, signed in with a password, without an authenticator app,
    when the setting asks one."""
    user: AnyUser = request.user
    if not settings.MFA_REQUIRED_FOR_PAY or not user.is_authenticated:
        return False
    if request.session.get(SIGNED_IN_THROUGH_SSO):
        return False
    return (
        can_see_compensation(user)
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )


class SecondFactorForPay:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if (
            settings.MFA_REQUIRED_FOR_PAY
            and not path.startswith(OPEN_PREFIXES)
            and not path.startswith(settings.STATIC_URL)
            and needs_second_factor(request)
        ):
            messages.warning(
                request,
                "You may see pay, so Closer asks a second factor of you: add an authenticator "
                "app before you go on.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
