"""Who may see pay. The permission is the offers app's (`offers.view_compensation`); it is named
here by string, so that every layer (the candidate admin, the offers, the pages) asks the same
question without importing the offers app."""

from __future__ import annotations

from .types import AnyUser

COMPENSATION_PERMISSION = "offers.view_compensation"


def can_see_compensation(user: AnyUser) -> bool:
    """Amounts, and where pay sits in a band, are shown only to active users who hold the
    permission."""
    return user.is_active and user.has_perm(COMPENSATION_PERMISSION)
