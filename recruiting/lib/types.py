"""Types that every layer uses when it speaks of users and requests."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

# Closer uses Django's own user model (AUTH_USER_MODEL is not set).
AnyUser = User | AnonymousUser


class AuthenticatedRequest(HttpRequest):
    """A request to a view behind login_required (or the admin): its user is signed in."""

    user: User


def admin_user(request: HttpRequest) -> User:
    """The user of a request the admin site let through: the admin serves only signed-in staff,
    so this is never the anonymous user. (Admin methods are typed with the HttpRequest that
    Django's ModelAdmin declares, whose user may be anonymous.)"""
    return cast(User, request.user)
