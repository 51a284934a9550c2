"""Companies in the admin: the list shows their pauses; a pause ending before it starts
and overlapping pauses are refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from candidates.models import Company
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_the_company_admin_lists_pauses(recruiter_client):
    company = CompanyFactory(name="Google DeepMind", kind=Company.Kind.COMPETITOR)
    company.pauses.create(starts_on="2025-12-22", ends_on="2026-01-02", reason="Winter break")

    response = recruiter_client.get(reverse("admin:candidates_company_changelist"))

    assert response.status_code == 200
    assert "22 Dec 2025–02 Jan 2026" in response.content.decode()


def test_a_pause_ending_before_it_starts_is_refused_in_the_company_form(
    client, superuser, admin_form_data
):
    client.force_login(superuser)
    company = CompanyFactory(name="Google DeepMind")
    url = reverse("admin:candidates_company_change", args=[company.pk])
    data = admin_form_data(client.get(url))
    data.update(
        {
            "pauses-TOTAL_FORMS": "1",
            "pauses-0-starts_on": "2025-12-22",
            "pauses-0-ends_on": "2025-12-20",
            "pauses-0-company": str(company.pk),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "A pause cannot end before it starts." in response.content.decode()
    assert not company.pauses.exists()


def test_overlapping_pauses_of_one_company_are_refused(client, superuser, admin_form_data):
    client.force_login(superuser)
    company = CompanyFactory(name="Helix Intelligence")
    url = reverse("admin:candidates_company_change", args=[company.pk])
    data = admin_form_data(client.get(url))
    data.update(
        {
            "pauses-TOTAL_FORMS": "2",
            "pauses-0-starts_on": "2027-01-11",
            "pauses-0-ends_on": "2027-01-15",
            "pauses-0-company": str(company.pk),
            "pauses-1-starts_on": "2027-01-13",
            "pauses-1-ends_on": "2027-01-20",
            "pauses-1-company": str(company.pk),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Overlaps the pause of 11 Jan 2027–15 Jan 2027" in response.content.decode()
    assert not company.pauses.exists()
