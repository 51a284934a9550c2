"""The candidate form in the admin: adding a candidate with their email (a taken or
repeated email refused), rules shown on their field, negative pay refused when
editing, and the owner picked from the autocomplete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from candidates.models import Candidate, CandidateEmail
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db


ADD = reverse("admin:candidates_candidate_add")


# --- The add form --------------------------------------------------------------------------


@pytest.fixture
def add_form(recruiter_client, admin_form_data):
    """The POST data of the empty add form, with a name and one email row."""

    def build(email: str = "ada@example.org", **values: str) -> dict:
        data = admin_form_data(recruiter_client.get(ADD))
        data.update(
            {
                "name": "Ada Lovelace",
                "emails-TOTAL_FORMS": "1",
                "emails-0-email": email,
                "emails-0-is_primary": "on",
                **values,
            }
        )
        return data

    return build


def test_adding_a_candidate_saves_them_with_their_email(recruiter_client, add_form):
    response = recruiter_client.post(ADD, add_form("Ada@Example.org", city="London"))

    assert response.status_code == 302
    ada = Candidate.objects.get(name="Ada Lovelace")
    assert ada.city == "London"
    assert ada.emails.get().email == "Ada@Example.org"
    assert ada.emails.get().is_primary


def test_adding_a_candidate_with_a_taken_email_shows_who_has_it_and_saves_nothing(
    recruiter_client, add_form
):
    CandidateFactory(name="Grace Hopper", email="grace@navy.example")

    response = recruiter_client.post(ADD, add_form("GRACE@Navy.Example"))

    assert response.status_code == 200
    email_formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "emails"
    )
    assert "Grace Hopper" in email_formset.errors[0]["email"][0]
    assert "already belongs to Grace Hopper" in response.content.decode()
    assert not Candidate.objects.filter(name="Ada Lovelace").exists()
    assert CandidateEmail.objects.count() == 1


def test_the_same_email_twice_on_one_candidate_is_refused(recruiter_client, add_form):
    data = add_form("ada@example.org")
    data.update({"emails-TOTAL_FORMS": "2", "emails-1-email": "ADA@example.org"})

    response = recruiter_client.post(ADD, data)

    assert response.status_code == 200
    assert "listed twice" in response.content.decode()
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        pytest.param({"motivator_pay": "6"}, "motivator_pay", id="motivator-6"),
        pytest.param({"motivator_location": "-1"}, "motivator_location", id="motivator-negative"),
        pytest.param(
            {"current_base": "-1000", "current_pay_currency": "USD"},
            "current_base",
            id="negative-pay",
        ),
        pytest.param({"current_base": "250000"}, "current_pay_currency", id="pay-no-currency"),
        pytest.param({"source": "referral", "referrer": ""}, "referrer", id="referral"),
        pytest.param({"consent_basis": "consent"}, "consent_date", id="consent"),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", id="timezone"),
        pytest.param({"github_url": "not a web address"}, "github_url", id="url"),
    ],
)
def test_a_broken_rule_on_the_form_shows_on_its_field_and_saves_nothing(
    recruiter_client, add_form, values, field
):
    response = recruiter_client.post(ADD, add_form(**values))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    assert "__all__" not in errors
    assert not Candidate.objects.exists()
    assert not CandidateEmail.objects.exists()


def test_a_web_address_without_a_scheme_is_saved_as_https(recruiter_client, add_form):
    response = recruiter_client.post(ADD, add_form(github_url="github.com/ada"))

    assert response.status_code == 302
    assert Candidate.objects.get().github_url == "https://github.com/ada"


def test_negative_pay_is_not_saved_when_editing(recruiter_client, admin_form_data):
    ada = CandidateFactory(name="Ada Lovelace")
    url = reverse("admin:candidates_candidate_change", args=[ada.pk])
    data = admin_form_data(recruiter_client.get(url))
    data.update({"current_base": "-5", "current_pay_currency": "USD"})

    response = recruiter_client.post(url, data)

    assert response.status_code == 200
    assert "current_base" in response.context["adminform"].form.errors
    ada.refresh_from_db()
    assert ada.current_base is None


def test_a_recruiter_can_pick_a_candidates_owner_from_the_autocomplete(
    recruiter_client, hiring_manager
):
    response = recruiter_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "candidates",
            "model_name": "candidate",
            "field_name": "owner",
            "term": "hiring",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [str(hiring_manager)]
