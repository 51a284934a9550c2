"""Sign-in lockouts, as django-allauth counts them: after SIGN_IN_LOCKOUT_FAILURES failed
sign-ins with one login (a username or an email) within SIGN_IN_LOCKOUT_MINUTES, that login is
refused until the oldest of those failures leaves the window. This module reads a user's
lockout from allauth's counts (the cache) and releases it, for the user admin.

allauth keys its counts by the site's domain and the login as typed (lower case): a user is
locked under their username, under each of their emails, or both.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from allauth.account import app_settings as account_settings
from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from allauth.core.internal.ratelimit import get_cache_key, parse_rates
from django.contrib.sites.shortcuts import get_current_site
from django.core.cache import cache
from django.http import HttpRequest

from recruiting.lib.types import User

ACTION = "login_failed"


def _logins(user: User) -> list[str]:
    emails = {user.email.lower()} if user.email else set()
    emails |= {
        e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }
    return [user.get_username().lower(), *sorted(emails)]


def _keys(request: HttpRequest, user: User) -> list[str]:
    domain = get_current_site(request).domain
    return [f"{domain}:{login}" for login in _logins(user)]


def locked_until(request: HttpRequest, user: User) -> datetime | None:
    """When the user's sign-ins are accepted again, or None when they are now."""
    rates = [r for r in parse_rates(account_settings.RATE_LIMITS.get(ACTION)) if r.per == "key"]
    now = time.time()
    until = 0.0
    for rate in rates:
        for key in _keys(request, user):
            cache_key = get_cache_key(
                request, app="allauth.account", action=ACTION, rate=rate, key=key
            )
            history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
            if len(history) >= rate.amount:
                # Newest first: the failure whose leaving the window frees a try.
                until = max(until, history[rate.amount - 1] + rate.duration)
    return datetime.fromtimestamp(until, UTC) if until else None


def release(request: HttpRequest, user: User) -> None:
    """The user may sign in again at once, under every login of theirs."""
    for key in _keys(request, user):
        ratelimit.clear(request, action=ACTION, key=key)
