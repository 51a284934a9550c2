"""django-allauth, as Closer uses it: no sign-up (colleagues are invited), and the emails it
sends (a password reset) go through the alert outbox like every other email."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
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
