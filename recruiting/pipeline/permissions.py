"""The Recruiters group and what it may do in the admin: created after every migrate."""

from __future__ import annotations

from typing import Any

from recruiting.lib.groups import grant

RECRUITER_GROUP = "Recruiters"
# Hiring managers work in the workspace on their own roles' applications (visible to them as
# their roles'), log what they learn in interviews, and see no pay.
HIRING_MANAGER_GROUP = "Hiring managers"
HIRING_MANAGER_PERMISSIONS = {"pipeline": {"activity": "av"}}
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


def ensure_groups(sender: object, using: str = "default", **kwargs: Any) -> None:
    """Creates the Recruiters and Hiring managers groups after every migrate; permissions
    exist only by then."""
    grant(RECRUITER_GROUP, RECRUITER_PERMISSIONS, using=using)
    grant(HIRING_MANAGER_GROUP, HIRING_MANAGER_PERMISSIONS, using=using)
