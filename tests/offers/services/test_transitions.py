"""Every status, every step: a step the status does not allow is refused and changes
nothing; only a draft is edited in place."""

from __future__ import annotations

from decimal import Decimal

import pytest

from offers.models import Offer
from offers.services import revise_offer, update_draft
from offers.terms import OfferError
from tests.factories import offer_terms
from tests.offers.services.helpers import Status, reload, saved_rows, take

pytestmark = pytest.mark.django_db


# --- Every status, every step: what is refused ---------------------------------------------


ALLOWED_FROM = {
    "submitted": {Status.DRAFT},
    "approved": {Status.PENDING_APPROVAL},
    "rejected": {Status.PENDING_APPROVAL},
    "sent": {Status.APPROVED},
    "accepted": {Status.SENT},
    "declined": {Status.SENT},
    "rescinded": {Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT},
    "expired": {Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT},
    # A draft is refused too, with its own message (test_a_draft_is_edited_not_revised).
    "revised": {Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT},
}
REFUSED = [
    pytest.param(step, status, id=f"{step} from {status}")
    for step, allowed in ALLOWED_FROM.items()
    for status in Status.values
    if status not in allowed
]


@pytest.mark.parametrize(("step", "status"), REFUSED)
def test_a_step_not_allowed_from_the_status_is_refused_and_changes_nothing(
    offer_in, recruiter, approver, step, status
):
    offer = offer_in(status)
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        take(step, offer, recruiter=recruiter, approver=approver)

    label = Status(status).label.lower()
    assert refused.value.messages == [f"An offer that is {label} cannot be {step}."]
    assert reload(offer).status == status
    assert saved_rows() == before


def test_a_draft_is_edited_not_revised(offer_in, recruiter):
    offer = offer_in(Status.DRAFT)

    with pytest.raises(OfferError) as refused:
        revise_offer(offer, by=recruiter)

    assert refused.value.messages == [
        "A draft is edited as it is; revise an offer once it was submitted."
    ]
    assert Offer.objects.get() == offer


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.DRAFT])
def test_only_a_draft_is_edited_in_place(offer_in, recruiter, status):
    offer = offer_in(status)
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        update_draft(offer, offer_terms(base_salary=Decimal(450_000)), by=recruiter)

    label = Status(status).label.lower()
    assert refused.value.messages == [
        f"An offer that is {label} is not edited; revise it to make a new version."
    ]
    assert reload(offer).base_salary == Decimal(400_000)
    assert saved_rows() == before
