"""The offers app's groups and what each may do: created or completed after every migrate."""

from __future__ import annotations

from typing import Any

APPROVER_GROUP = "Compensation approvers"
OFFER_MODELS = (
    "offer",
    "offerpayment",
    "equitygrant",
    "vestingyear",
    "otheramount",
    "competingoffer",
)


def ensure_groups(sender: object, using: str = "default", **kwargs: Any) -> None:
    """After every migrate: recruiters draft offers and see amounts; approvers see and decide."""
    from django.contrib.auth.models import Group, Permission

    from recruiting.pipeline.permissions import RECRUITER_GROUP

    perms = Permission.objects.using(using).filter(content_type__app_label="offers")
    recruiters, _ = Group.objects.using(using).get_or_create(name=RECRUITER_GROUP)
    recruiters.permissions.add(
        *perms.filter(
            codename__in=[
                "view_compensation",
                *(
                    f"{verb}_{model}"
                    for model in OFFER_MODELS
                    for verb in ("add", "change", "view", "delete")
                ),
                "view_approval",
                "view_approvalrule",
                "view_exchangerate",
                "view_compensationband",
            ]
        )
    )
    approvers, _ = Group.objects.using(using).get_or_create(name=APPROVER_GROUP)
    approvers.permissions.add(
        *perms.filter(
            codename__in=[
                "view_compensation",
                *(f"view_{model}" for model in OFFER_MODELS),
                "view_approval",
                "change_approval",
                "view_approvalrule",
                "view_compensationband",
                "view_exchangerate",
            ]
        )
    )
