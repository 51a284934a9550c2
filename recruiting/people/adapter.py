"""django-allauth, as Closer uses it: no sign-up (colleagues are invited), and the emails it
sends (a password reset) go through the alert outbox like every other email.

Single sign-on (OpenID Connect): the provider's verified email finds the colleague's account;
the provider's groups, through OIDC_GROUP_MAP, give the Closer groups they are in, at every
sign-in (groups the map does not name are left as an administrator set them). Someone the
provider knows and Closer does not gets an account only if the map gives them a group."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest

from .services import send_account_email


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        user = context.get("user") or get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            return  # no account: nothing to send (the page says the same either way)
        context = {
            **context,
            "password_reset_timeout_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        rendered = self.render_mail(template_prefix, email, context)
        send_account_email(user, subject=str(rendered.subject), message=str(rendered.body))


def provider_groups(sociallogin: SocialLogin) -> list[str]:
    """The groups the identity provider says the person is in (its userinfo answer first, then
    the ID token), as a list of names."""
    data = sociallogin.account.extra_data or {}
    for claims in (data.get("userinfo"), data.get("id_token"), data):
        if isinstance(claims, dict) and settings.OIDC_GROUPS_CLAIM in claims:
            groups = claims[settings.OIDC_GROUPS_CLAIM]
            return [groups] if isinstance(groups, str) else [str(g) for g in groups or []]
    return []


def mapped_groups(sociallogin: SocialLogin) -> list[Group]:
    """The Closer groups OIDC_GROUP_MAP gives the provider's groups."""
    group_map = settings.OIDC_GROUP_MAP
    names = {group_map[g] for g in provider_groups(sociallogin) if g in group_map}
    return list(Group.objects.filter(name__in=names))


@transaction.atomic
def keep_groups(user: Any, sociallogin: SocialLogin) -> None:
    """The user's groups among those the map names are exactly the ones the provider gives
    them now; other groups stay as they are."""
    managed = Group.objects.filter(name__in=set(settings.OIDC_GROUP_MAP.values()))
    given = mapped_groups(sociallogin)
    user.groups.remove(*[g for g in managed if g not in given])
    user.groups.add(*given)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: Any = None, client_id: Any = None
    ) -> list[Any]:
        """Closer's provider comes from the environment alone (OIDC_*): no query for apps
        kept in the database, on every sign-in page, as allauth would make (its private
        helper builds them from the settings, as its own method does)."""
        from allauth.socialaccount.adapter import _build_apps_from_settings

        apps = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for provider_apps in apps.values() for app in provider_apps]

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return bool(mapped_groups(sociallogin))

    def authenticate_by_email(self, sociallogin: SocialLogin) -> tuple[Any, str] | None:
        """allauth compares addresses as written in lower case; Closer keeps a colleague's
        address as the administrator typed it ("Ada@Lab.example"), so a verified address the
        provider gives finds the one active account with it, in any case."""
        found = super().authenticate_by_email(sociallogin)
        if found:
            return found
        for address in sociallogin.email_addresses:
            if address.verified and self.can_authenticate_by_email(sociallogin, address.email):
                users = get_user_model().objects.filter(email__iexact=address.email)
                matches = list(users.filter(is_active=True)[:2])
                if len(matches) == 1:
                    return matches[0], address.email
        return None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        user = sociallogin.user
        if user is not None and user.pk is not None and user.is_active:
            keep_groups(user, sociallogin)

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            user.is_staff = True  # as an invitation gives by default: the candidate lists
            user.save(update_fields=["is_staff"])
            keep_groups(user, sociallogin)
        return user
