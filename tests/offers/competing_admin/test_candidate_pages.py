"""The candidate and application pages in the admin list their competing offers with a
link to add one (none without the right to), in a bounded number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from offers.models import CompetingOffer
from offers.terms import EquityTerms
from tests.factories import CompanyFactory
from tests.offers.competing_admin.helpers import (
    ADD,
    EVEN_4_YEARS,
    K,
    change_url,
    record,
    staff_who_may_view,
    text_of,
)

pytestmark = pytest.mark.django_db


# --- The candidate and application pages ---------------------------------------------------


def test_the_candidate_page_lists_the_competing_offers_with_a_link_to_add_one(
    recruiter_client, ada, theirs
):
    response = recruiter_client.get(reverse("admin:candidates_candidate_change", args=[ada.pk]))
    page = response.content.decode()

    assert f'href="{change_url(theirs)}"' in page
    assert "Helix Intelligence pays 30.0% more (150,000 USD) in year one" in text_of(response)
    assert "Written" in text_of(response)
    # Ada has one open application: the one a competitor threatens, filled in already.
    assert f'href="{ADD}?candidate={ada.pk}&amp;application={theirs.application_id}"' in page


def test_the_application_page_lists_its_competing_offers_with_a_link_to_add_one(
    recruiter_client, ada, application, theirs
):
    url = reverse("admin:pipeline_application_change", args=[application.pk])

    response = recruiter_client.get(url)
    page = response.content.decode()

    assert f'href="{change_url(theirs)}"' in page
    assert "pays 30.0% more" in text_of(response)
    assert f'href="{ADD}?candidate={ada.pk}&amp;application={application.pk}"' in page


def test_the_candidate_page_takes_the_same_number_of_queries_whatever_the_competing_offers(
    recruiter_client, recruiter, ada, application, our_offer
):
    url = reverse("admin:candidates_candidate_change", args=[ada.pk])

    def queries_with(count: int) -> int:
        while CompetingOffer.objects.count() < count:
            competitor = CompanyFactory()
            record(
                ada, competitor, recruiter, application, equity=[EquityTerms(K * 100, EVEN_4_YEARS)]
            )
        with CaptureQueriesContext(connection) as queries:
            assert recruiter_client.get(url).status_code == 200
        return len(queries)

    assert queries_with(2) == queries_with(6)


def test_the_pages_without_the_right_to_add_have_no_add_link(client, ada, application, theirs):
    client.force_login(staff_who_may_view(compensation=True))

    page = client.get(reverse("admin:candidates_candidate_change", args=[ada.pk]))

    assert "Add competing offer" not in page.content.decode()
    assert "pays 30.0% more" in text_of(page)
