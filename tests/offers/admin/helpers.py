"""What the offer admin's tests share: the list's and add page's addresses, amounts, an offer
for a role, an offer's change and history pages, reloading it, counting saved rows, and
running a list's action."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from offers.models import Approval, EquityGrant, Offer, OfferPayment, OtherAmount, VestingYear
from tests.factories import ApplicationFactory, CandidateFactory, OfferFactory

OFFERS = reverse("admin:offers_offer_changelist")
ADD = reverse("admin:offers_offer_add")
Status = Offer.Status
M = Decimal(1_000_000)
EVEN_4_YEARS = [Decimal(25)] * 4


def offer_for(role, by, name: str = "Ada Lovelace", **terms) -> Offer:
    application = ApplicationFactory.create(candidate=CandidateFactory.create(name=name), role=role)
    return OfferFactory.create(application=application, drafted_by=by, **terms)


def change_url(offer: Offer) -> str:
    return reverse("admin:offers_offer_change", args=[offer.pk])


def history_url(offer: Offer) -> str:
    return reverse("admin:offers_offer_history", args=[offer.pk])


def reload(offer: Offer) -> Offer:
    return Offer.objects.get(pk=offer.pk)


def saved_rows() -> dict[str, int]:
    models = (Offer, OfferPayment, EquityGrant, VestingYear, OtherAmount, Approval)
    return {model.__name__: model.objects.count() for model in models} | {
        "history": Offer.history.count()
    }


def run_action(client, action: str, offers, **form: str):
    """Chooses the action on the list, then submits its intermediate page as a person would."""
    selected = [str(o.pk) for o in offers]
    page = client.post(OFFERS, {"action": action, "_selected_action": selected})
    assert page.status_code == 200
    assert page.templates[0].name == "admin/action_form.html"
    return client.post(
        OFFERS, {"action": action, "_selected_action": selected, "apply": "1", **form}
    )
