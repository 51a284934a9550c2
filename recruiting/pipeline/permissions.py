"""The Recruiters group and what it may do in the admin: created after every migrate."""

from __future__ import annotations

from typing import Any

RECRUITER_GROUP = "Recruiters"
# What a recruiter may do in the admin: everything on candidates and pipelines, and read the
# reference data the administrators keep, and the users (to pick a candidate's owner or a
# role's hiring manager, whose autocomplete lists users).
RECRUITER_PERMISSIONS = {
    "auth": {"user": "v"},
    "candidates": {
        "candidate": "avcd",
        "candidateemail": "avcd",
        "company": "avc",
        "companypause": "avcd",
        "tag": "avcd",
        "currency": "v",
    },
    "pipeline": {
        "role": "avc",
        "stage": "v",
        "application": "avc",
        "stagechange": "v",
        "activity": "avcd",
    },
}
_VERBS = {"a": "add", "v": "view", "c": "change", "d": "delete"}


def ensure_groups(sender: object, using: str = "default", **kwargs: Any) -> None:
    """Creates the Recruiters group after every migrate; permissions exist only by then."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.using(using).get_or_create(name=RECRUITER_GROUP)
    codenames = [
        f"{_VERBS[v]}_{model}"
        for app_models in RECRUITER_PERMISSIONS.values()
        for model, verbs in app_models.items()
        for v in verbs
    ]
    perms = Permission.objects.using(using).filter(
        content_type__app_label__in=RECRUITER_PERMISSIONS, codename__in=codenames
    )
    group.permissions.add(*perms)
