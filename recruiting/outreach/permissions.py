"""What the Recruiters group may do with outreach: given after every migrate."""

from __future__ import annotations

from typing import Any

# What a recruiter may do with outreach: write templates and sequences, and follow the
# enrollments (which change only through the services: enroll, stop).
RECRUITER_PERMISSIONS = {
    "messagetemplate": "avcd",
    "pitchparagraph": "avcd",
    "sequence": "avcd",
    "sequencestep": "avcd",
    "enrollment": "v",
    "sentmessage": "v",
}
_VERBS = {"a": "add", "v": "view", "c": "change", "d": "delete"}


def ensure_groups(sender: object, using: str = "default", **kwargs: Any) -> None:
    """After every migrate, gives the Recruiters group its outreach permissions."""
    from django.contrib.auth.models import Group, Permission

    from recruiting.pipeline.permissions import RECRUITER_GROUP

    group, _ = Group.objects.using(using).get_or_create(name=RECRUITER_GROUP)
    codenames = [
        f"{_VERBS[v]}_{model}" for model, verbs in RECRUITER_PERMISSIONS.items() for v in verbs
    ]
    group.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label="outreach", codename__in=codenames
        )
    )
