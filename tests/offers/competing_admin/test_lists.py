"""Competing offers in the admin's lists: who is ahead and by how much, the filters
(ahead, a deadline near, the flight risk) on their list and the candidate list, and the
list's queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate
from offers.models import CompetingOffer
from offers.terms import EquityTerms
from tests.factories import ApplicationFactory, CandidateFactory, OfferFactory
from tests.offers.competing_admin.helpers import EVEN_4_YEARS, LIST, K, record, text_of

pytestmark = pytest.mark.django_db


CANDIDATES = reverse("admin:candidates_candidate_changelist")
# Session, user, permissions (2), the competitor filter's choices, the count, the page (its
# candidates, competitors, roles and our offers joined), the components of the competing offers
# and of our offers they are compared with (payments, grants, vesting years, other amounts:
# 4 each), the rates. A query per row would break it.
CHANGELIST_QUERIES = 17  # 16, and the pay access log's row


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_who_is_ahead_and_by_how_much(recruiter_client, theirs):
    response = recruiter_client.get(LIST)
    page = text_of(response)

    assert [c.pk for c in response.context["cl"].result_list] == [theirs.pk]
    assert "Ada Lovelace Helix Intelligence Senior Research Scientist (San Francisco)" in page
    assert "+150,000.00 USD (+30.0%)" in page


def test_the_list_filters_by_ahead_and_a_deadline_within_72_hours(
    recruiter_client, recruiter, theirs, helix
):
    grace = CandidateFactory(name="Grace Hopper")
    soon = record(
        grace, helix, recruiter, deadline=timezone.now() + timedelta(hours=30), base_salary=K
    )

    def listed(**query: str) -> list[int]:
        return [c.pk for c in recruiter_client.get(LIST, query).context["cl"].result_list]

    # Grace has no offer of ours: any competing offer is ahead.
    assert listed(ahead__exact="1") == [soon.pk, theirs.pk]
    assert listed(deadline="72h") == [soon.pk]
    assert listed(q="grace") == [soon.pk]
    assert listed(q="helix") == [soon.pk, theirs.pk]


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_takes_the_same_number_of_queries_whatever_the_rows(
    recruiter_client, recruiter, role, helix, django_assert_max_num_queries, count
):
    for n in range(count):
        application = ApplicationFactory(candidate=CandidateFactory(name=f"P{n}"), role=role)
        OfferFactory(
            application=application,
            drafted_by=recruiter,
            equity=[EquityTerms(K * 100, EVEN_4_YEARS)],
        )
        record(
            application.candidate,
            helix,
            recruiter,
            application,
            currency="EUR",
            signing_payments=[(0, K)],
            equity=[EquityTerms(K * 200, EVEN_4_YEARS)],
        )

    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = recruiter_client.get(LIST)

    assert len(response.context["cl"].result_list) == count


# --- The candidate list --------------------------------------------------------------------


def test_the_candidate_list_filters_on_competing_offers_ahead_and_deadlines_near(
    recruiter_client, recruiter, role, helix
):
    def candidate(name: str, *, ours: Decimal | None = None):
        application = ApplicationFactory(candidate=CandidateFactory(name=name), role=role)
        if ours is not None:
            OfferFactory(application=application, drafted_by=recruiter, base_salary=ours)
        return application

    ahead = candidate("Ahead, in a week")  # no offer of ours: ahead
    record(
        ahead.candidate,
        helix,
        recruiter,
        ahead,
        base_salary=400 * K,
        deadline=timezone.now() + timedelta(days=7),
    )
    soon = candidate("Behind, in two days", ours=500 * K)
    record(
        soon.candidate,
        helix,
        recruiter,
        soon,
        base_salary=400 * K,
        deadline=timezone.now() + timedelta(hours=48),
    )
    later = candidate("Behind, in four days", ours=500 * K)
    record(
        later.candidate,
        helix,
        recruiter,
        later,
        base_salary=400 * K,
        deadline=timezone.now() + timedelta(hours=96),
    )
    passed = candidate("Passed an hour ago", ours=500 * K)
    gone = record(passed.candidate, helix, recruiter, passed, base_salary=400 * K)
    CompetingOffer.objects.filter(pk=gone.pk).update(deadline=timezone.now() - timedelta(hours=1))
    candidate("No competing offer")

    def listed(**query: str) -> list[str]:
        response = recruiter_client.get(CANDIDATES, query)
        return sorted(c.name for c in response.context["cl"].result_list)

    assert listed(competing_ahead="yes") == ["Ahead, in a week"]
    assert listed(competitor_deadline="72h") == ["Behind, in two days"]
    assert len(listed()) == 5


def test_the_candidate_list_shows_and_filters_the_flight_risk(recruiter_client, recruiter, helix):
    employee = CandidateFactory(name="Grace Hopper", relationship=Candidate.Relationship.EMPLOYEE)
    CandidateFactory(name="Ada Lovelace")
    record(employee, helix, recruiter, base_salary=K)

    response = recruiter_client.get(CANDIDATES)
    filtered = recruiter_client.get(CANDIDATES, {"flight_risk_reason__exact": "outside_offer"})

    assert "Yes: Outside offer recorded" in text_of(response)
    assert [c.name for c in filtered.context["cl"].result_list] == ["Grace Hopper"]
