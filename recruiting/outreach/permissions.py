"""What the Recruiters group may do with outreach: given after every migrate."""

from __future__ import annotations

from typing import Any

from recruiting.lib.groups import grant
from recruiting.pipeline.permissions import RECRUITER_GROUP

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


def ensure_groups(sender: object, using: str = "default", **kwargs: Any) -> None:
    """After every migrate, gives the Recruiters group its outreach permissions."""
    grant(RECRUITER_GROUP, {"outreach": RECRUITER_PERMISSIONS}, using=using)
