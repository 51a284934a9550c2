"""Setting a user's alert preferences (a state change, kept apart from delivery)."""

from __future__ import annotations

from datetime import time

from django.contrib.auth.models import User
from django.db import transaction

from . import registry
from .models import AlertPreference, AlertProfile


@transaction.atomic
def set_preferences(
    user: User,
    *,
    modes: dict[str, str],
    timezone: str,
    quiet_from: time | None,
    quiet_until: time | None,
) -> AlertProfile:
    for kind, mode in modes.items():
        registry.kind(kind)  # an unknown kind is a programming error, not input
        AlertPreference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})
    profile, _ = AlertProfile.objects.get_or_create(user=user)
    profile.timezone, profile.quiet_from, profile.quiet_until = timezone, quiet_from, quiet_until
    profile.full_clean()
    profile.save(update_fields=["timezone", "quiet_from", "quiet_until"])
    # Alerts already held for the old preferences follow the new ones.
    from .services import replan_held_alerts

    replan_held_alerts(user)
    return profile


def current_preferences(user: User) -> dict[str, object]:
    """The form's initial values: each kind's mode, the timezone and quiet hours."""
    profile = AlertProfile.objects.filter(user=user).first() or AlertProfile(user=user)
    initial: dict[str, object] = {
        "timezone": profile.timezone,
        "quiet_from": profile.quiet_from,
        "quiet_until": profile.quiet_until,
    }
    for preference in AlertPreference.objects.filter(user=user):
        initial[f"kind_{preference.kind}"] = preference.mode
    return initial
