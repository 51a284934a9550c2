"""The offer list in the admin: each offer's value in dollars and band position (as
value_offer values it), the filters, the search, a currency with no rate, and a number
of queries that does not grow with the rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from candidates.models import Candidate
from offers.models import ExchangeRate, Offer
from offers.selectors import Market, value_offer
from offers.services import submit_for_approval
from offers.terms import EquityTerms
from tests.factories import ApplicationFactory, CandidateFactory, OfferFactory, RoleFactory
from tests.offers.admin.helpers import EVEN_4_YEARS, OFFERS, M, change_url, offer_for, reload

pytestmark = pytest.mark.django_db


# Session, user, permissions (2), the count, the page, its payments, grants, vesting years and
# other amounts, the rates and the bands, the currency and role filters' choices. A query per
# row would break it.
CHANGELIST_QUERIES = 15  # 14, and the pay access log's row


def listed(response) -> list[str]:
    assert response.status_code == 200
    return sorted(o.application.candidate.name for o in response.context["cl"].result_list)


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_each_offer_with_its_value_in_dollars_and_its_band_position(
    recruiter_client, recruiter, role
):
    # $400k base, $500k signing at the start, $4M of RSUs over 4 years: year one
    # 400k + 500k + 1M = $1.9M; over 4 years (1.6M + 0.5M + 4M) / 4 = $1.525M a year, 1.09×
    # the $1.4M target of the band.
    ada = offer_for(
        role,
        recruiter,
        "Ada Lovelace",
        signing_payments=[(0, Decimal(500_000))],
        equity=[EquityTerms(4 * M, EVEN_4_YEARS)],
    )
    # €300k base is $354,191.26 at 0.847 EUR per USD: below the band's $900k min.
    grace = offer_for(role, recruiter, "Grace Hopper", currency="EUR", base_salary=Decimal(300_000))

    response = recruiter_client.get(OFFERS)

    assert listed(response) == ["Ada Lovelace", "Grace Hopper"]
    page = response.content.decode()
    for text in (
        "Senior Research Scientist (San Francisco)",
        "1,900,000.00",
        "1,525,000.00",
        "within band (1.09× target)",
        "354,191.26",
        "below band (0.25× target)",
        "EUR",
        "Year one (USD)",
        "Annual average (USD)",
    ):
        assert text in page
    # The page values each offer as value_offer does.
    for offer in (ada, grace):
        valuation = value_offer(offer)
        assert money(valuation.reporting.year_one) in page
        assert money(valuation.reporting.annual_average) in page


def test_the_page_of_offers_is_valued_as_value_offer_values_each(recruiter, role):
    offers = [
        offer_for(role, recruiter, "Ada Lovelace", equity=[EquityTerms(4 * M, EVEN_4_YEARS)]),
        offer_for(role, recruiter, "Grace Hopper", currency="EUR", base_salary=2 * M),
    ]
    market = Market(timezone.localdate())

    for offer in offers:
        assert market.value(reload(offer)) == value_offer(offer)


@pytest.mark.parametrize("count", [3, 30])
def test_the_offer_list_takes_the_same_number_of_queries_whatever_the_rows(
    recruiter_client, recruiter, django_assert_max_num_queries, count
):
    roles = [
        RoleFactory(level=level, zone=zone)
        for level, zone in (("senior", "silicon_valley"), ("staff", "europe"))
    ]
    for i in range(count):
        offer_for(
            roles[i % 2],
            recruiter,
            f"Candidate {i:02}",
            currency=("USD", "EUR")[i % 2],
            signing_payments=[(0, Decimal(100_000)), (12, Decimal(100_000))],
            equity=[EquityTerms(M, EVEN_4_YEARS), EquityTerms(M, [Decimal(50)] * 2)],
            other=[("Compute stipend", Decimal(10_000), 1)],
        )

    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = recruiter_client.get(OFFERS)

    assert len(response.context["cl"].result_list) == count
    assert response.content.decode().count("band (") == count


def test_the_list_filters_by_status_currency_role_and_kind(recruiter_client, recruiter, role):
    other_role = RoleFactory(title="Inference Engineer")
    offer_for(role, recruiter, "Ada Lovelace")
    submit_for_approval(offer_for(role, recruiter, "Grace Hopper"), by=recruiter)
    offer_for(other_role, recruiter, "Alan Turing", currency="EUR")
    employee = CandidateFactory(name="Emmy Noether", relationship=Candidate.Relationship.EMPLOYEE)
    OfferFactory(
        application=ApplicationFactory(candidate=employee, role=role),
        drafted_by=recruiter,
        kind=Offer.Kind.RETENTION,
    )

    def filtered(**params: str) -> list[str]:
        return listed(recruiter_client.get(OFFERS, params))

    assert filtered(status__exact="approved") == ["Grace Hopper"]
    assert filtered(currency__code__exact="EUR") == ["Alan Turing"]
    assert filtered(application__role__id__exact=str(other_role.pk)) == ["Alan Turing"]
    assert filtered(kind__exact="retention") == ["Emmy Noether"]


def test_the_list_is_searched_by_candidate_name(recruiter_client, recruiter, role):
    offer_for(role, recruiter, "Ada Lovelace")
    offer_for(role, recruiter, "Grace Hopper")

    assert listed(recruiter_client.get(OFFERS, {"q": "lovelace"})) == ["Ada Lovelace"]


def test_an_offer_whose_currency_has_no_rate_shows_why_instead_of_failing(
    recruiter_client, recruiter, role
):
    offer = offer_for(role, recruiter, currency="EUR")
    ExchangeRate.objects.all().delete()

    listing = recruiter_client.get(OFFERS)
    page = recruiter_client.get(change_url(offer))

    assert listing.status_code == 200
    assert "no rate" in listing.content.decode()
    assert page.status_code == 200
    assert "No EUR→USD exchange rate is known on or before" in page.content.decode()
