"""The offers app's groups and what each may do: created or completed after every migrate."""

from __future__ import annotations

from typing import Any

from recruiting.lib.groups import grant
from recruiting.pipeline.permissions import RECRUITER_GROUP

APPROVER_GROUP = "Compensation approvers"
# The demo's second step of the approval chain: packages of $25M or more over four years.
FINANCE_GROUP = "Finance leadership"
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
    """After every migrate: recruiters draft offers and see amounts; approvers (compensation,
    and finance leadership for the largest packages) see and decide."""
    grant(RECRUITER_GROUP, RECRUITER_PERMISSIONS, also=["view_compensation"], using=using)
    grant(APPROVER_GROUP, APPROVER_PERMISSIONS, also=["view_compensation"], using=using)
    grant(FINANCE_GROUP, APPROVER_PERMISSIONS, also=["view_compensation"], using=using)
