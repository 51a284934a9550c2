"""A competing offer's page in the admin: the comparison with our latest offer in
dollars, the fit with what the candidate weighs (and what employers offer beyond pay),
the counter-offer suggestion and the draft made from it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from offers.competition import standing
from offers.counter import suggest_counter_offer
from offers.models import CompetingOffer, Offer
from tests.factories import UNRATED, unrated_currency
from tests.offers.competing_admin.helpers import (
    LIST,
    change_url,
    record,
    staff_who_may_view,
    text_of,
)

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- The page: the comparison, the fit, the counter-offer ----------------------------------


def test_the_page_compares_it_with_our_latest_offer_in_dollars(recruiter_client, theirs):
    page = text_of(recruiter_client.get(change_url(theirs)))

    # Ours: $500k in year one ($400k base + $100k signing), then $400k: $1.7M over the four
    # years of their grant, $425k a year. Theirs: $650k every year, $2.6M.
    assert "Against our latest offer: version 1, draft" in page
    assert "Year one 500,000.00 USD 650,000.00 USD +150,000.00 USD +30.0%" in page  # 150 / 500
    assert "Annual average 425,000.00 USD 650,000.00 USD +225,000.00 USD +52.9%" in page
    assert "Four-year total 1,700,000.00 USD 2,600,000.00 USD +900,000.00 USD +52.9%" in page
    assert (
        "Horizon total (4 years) 1,700,000.00 USD 2,600,000.00 USD +900,000.00 USD +52.9%" in page
    )
    # Year one's gap: their equity ($200k), our signing bonus (−$100k), their base (+$50k).
    assert (
        "Equity: +200,000.00 USD Signing bonus: −100,000.00 USD Base salary: +50,000.00 USD" in page
    )
    assert "They are ahead of our offer on year one" in page


def test_the_page_shows_the_summary_and_the_fit_with_what_the_candidate_weighs(
    recruiter_client, theirs
):
    page = text_of(recruiter_client.get(change_url(theirs)))

    # Rated on both sides: team lead (ours 5, theirs 3; Ada weighs it 5), publishing (5 and 1;
    # 4) and research freedom (2 and 5; 3). Ours: (25 + 20 + 6) / 60 = 85%; theirs:
    # (15 + 4 + 15) / 60 = 56.7%, 57.
    assert (
        "Helix Intelligence pays 30.0% more (150,000 USD) in year one; we win on team lead "
        "reputation and publishing policy; they win on research freedom." in page
    )
    assert "Ours 85 / 100, theirs 57 / 100." in page
    assert "We win on: team lead reputation, publishing policy" in page
    assert "They win on: research freedom" in page


def test_the_page_says_so_when_we_have_made_no_offer(recruiter_client, ada, helix, recruiter):
    competing = record(ada, helix, recruiter, base_salary=Decimal(500_000))

    page = text_of(recruiter_client.get(change_url(competing)))

    assert "We have made no offer yet; Helix Intelligence offers 500,000 USD" in page
    assert "We have made no offer to counter with" in page
    assert "No role to compare with" in page


def test_the_page_shows_the_counter_offer_suggestion(recruiter_client, theirs, our_offer):
    suggestion = suggest_counter_offer(our_offer)

    response = recruiter_client.get(change_url(theirs))
    page = text_of(response)

    assert suggestion.beats and suggestion.changes
    assert suggestion.message in page
    lever, amount = suggestion.changes[0]
    assert f"+{amount:,.2f} USD" in page
    assert 'value="Create draft from suggestion"' in response.content.decode()


def test_a_draft_is_made_from_the_suggestion_and_opened(
    recruiter_client, recruiter, theirs, our_offer
):
    url = reverse("admin:offers_competingoffer_counter", args=[theirs.pk])

    response = recruiter_client.post(url, follow=True)

    offer = Offer.objects.filter(application=our_offer.application).latest("drafted_at")
    assert response.redirect_chain[-1][0] == reverse("admin:offers_offer_change", args=[offer.pk])
    assert any("from the counter-offer suggestion" in m for m in messages_of(response))
    assert offer.status == Offer.Status.DRAFT
    # The draft now beats theirs on year one, by the margin.
    assert not standing(theirs, ours=offer).ahead


def test_a_user_who_may_not_draft_offers_gets_no_button_and_cannot_post(client, theirs):
    viewer = staff_who_may_view(compensation=True)
    client.force_login(viewer)

    page = client.get(change_url(theirs)).content.decode()
    response = client.post(reverse("admin:offers_competingoffer_counter", args=[theirs.pk]))

    assert "Create draft from suggestion" not in page
    assert response.status_code == 403


def test_a_currency_without_a_rate_shows_why_instead_of_failing(
    recruiter_client, recruiter, theirs
):
    CompetingOffer.objects.filter(pk=theirs.pk).update(currency=unrated_currency())

    assert f"No {UNRATED}→USD exchange rate" in text_of(recruiter_client.get(change_url(theirs)))
    assert "no rate" in text_of(recruiter_client.get(LIST))


# --- What employers offer beyond pay -------------------------------------------------------


def test_a_company_and_a_role_are_rated_on_what_they_offer_beyond_pay(
    client, superuser, admin_form_data, helix, role
):
    client.force_login(superuser)
    company_url = reverse("admin:candidates_company_change", args=[helix.pk])
    role_url = reverse("admin:pipeline_role_change", args=[role.pk])

    company_page = client.get(company_url)
    role_page = client.get(role_url)
    data = admin_form_data(company_page)
    data["rating_ethics_impact"] = "4"
    response = client.post(company_url, data)

    assert "What they offer beyond pay" in text_of(company_page)
    assert "What this role offers beyond pay" in text_of(role_page)
    assert response.status_code == 302
    helix.refresh_from_db()
    assert helix.rating_ethics_impact == 4
