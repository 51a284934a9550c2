"""The offers app's groups and what each may do: created or completed after every migrate."""

from __future__ import annotations

from typing import Any

from recruiting.lib.groups import grant
from recruiting.pipeline.permissions import RECRUITER_GROUP

APPROVER_GROUP = "Compensation approvers"
OFFER_MODELS = (
    "offer",
    "offerpayment",
    "equitygrant",
    "vestingyear",
    "otheramount",
    "competingoffer",
)


# Recruiters draft offers and record competing ones, and read the reference data; approvers
# read the offers and decide their approvals. Both see amounts (view_compensation).
RECRUITER_PERMISSIONS = {
    "offers": {
        **{model: "avcd" for model in OFFER_MODELS},
        "approval": "v",
        "approvalrule": "v",
        "exchangerate": "v",
        "compensationband": "v",
        "shareprice": "v",
    }
}
APPROVER_PERMISSIONS = {
    "offers": {
        **{model: "v" for model in OFFER_MODELS},
        "approval": "vc",
        "approvalrule": "v",
        "compensationband": "v",
        "exchangerate": "v",
        "shareprice": "v",
    }
}


def ensure_groups(sender: object, using: str = "default", **kwargs: Any) -> None:
    """After every migrate: recruiters draft offers and see amounts; approvers see and decide."""
    grant(RECRUITER_GROUP, RECRUITER_PERMISSIONS, also=["view_compensation"], using=using)
    grant(APPROVER_GROUP, APPROVER_PERMISSIONS, also=["view_compensation"], using=using)
