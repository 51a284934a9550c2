"""Recording and editing a competing offer in the admin, through the services: the add
page from an application, bad input refused on its field with nothing saved, the
competitor picked among other companies, never deleted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates.models import Company
from offers.models import CompetingOffer, EquityGrant, OfferPayment, OtherAmount, VestingYear
from tests.factories import UNRATED, ApplicationFactory, CandidateFactory, CompanyFactory
from tests.offers.competing_admin.helpers import ADD, change_url

pytestmark = pytest.mark.django_db


def saved_rows() -> dict[str, int]:
    models = (CompetingOffer, OfferPayment, EquityGrant, VestingYear, OtherAmount)
    return {model.__name__: model.objects.count() for model in models} | {
        "history": CompetingOffer.history.count()
    }


def errors_by_field(response) -> dict[str, list[str]]:
    """Every error on the page, by the name of the input it belongs to ("" for the form's)."""
    form = response.context["adminform"].form
    errors = {(name if name != "__all__" else ""): list(msgs) for name, msgs in form.errors.items()}
    for inline in response.context["inline_admin_formsets"]:
        for row in inline.formset.forms:
            for name, msgs in row.errors.items():
                errors[f"{row.prefix}-{name}"] = list(msgs)
    return errors


# --- Recording one through the admin -------------------------------------------------------


@pytest.fixture
def add_form(recruiter_client, admin_form_data, ada, application, helix):
    """The POST data of the add page opened from Ada's application (candidate and application
    prefilled): a $450k base, a $200k signing bonus at the start and a 40/30/20/10 grant of
    $1.2M, with `values` on top."""
    deadline = timezone.localdate() + timedelta(days=3)

    def build(**values: str) -> dict:
        page = recruiter_client.get(ADD, {"candidate": ada.pk, "application": application.pk})
        data = admin_form_data(page)
        data.update(
            {
                "competitor": str(helix.pk),
                "currency": "USD",
                "deadline_0": deadline.isoformat(),
                "deadline_1": "18:00:00",
                "confidence": "written",
                "source": "Ada, on the phone",
                "notes": "",
                "base_salary": "450000",
                "target_bonus_percent": "0",
                "relocation": "0",
                "signing_clawback_months": "12",
                "retention_clawback_months": "0",
                "payments-TOTAL_FORMS": "1",
                "payments-0-kind": "signing",
                "payments-0-month": "0",
                "payments-0-amount": "200000",
                "equity_grants-TOTAL_FORMS": "1",
                "equity_grants-0-kind": "rsu",
                "equity_grants-0-value": "1200000",
                "equity_grants-0-cliff_months": "12",
                "equity_grants-0-frequency": "quarterly",
                "equity_grants-0-vesting": "40, 30, 20, 10",
                **values,
            }
        )
        return data

    return build


def test_the_add_page_opened_from_an_application_has_the_candidate_and_application(
    recruiter_client, add_form, ada, application
):
    data = add_form()

    assert (data["candidate"], data["application"]) == (str(ada.pk), str(application.pk))


def test_the_add_page_opened_with_an_application_only_fills_in_its_candidate(
    recruiter_client, ada, application
):
    page = recruiter_client.get(ADD, {"application": application.pk})

    assert page.context["adminform"].form.initial["candidate"] == ada.pk


def test_recording_a_competing_offer_saves_it_and_its_components_through_the_service(
    recruiter_client, recruiter, add_form, ada, application, helix
):
    response = recruiter_client.post(ADD, add_form())

    assert response.status_code == 302, errors_by_field(response)
    competing = CompetingOffer.objects.get()
    assert (competing.candidate, competing.application, competing.competitor) == (
        ada,
        application,
        helix,
    )
    assert (competing.currency_id, competing.base_salary, competing.signing_clawback_months) == (
        "USD",
        Decimal("450000.00"),
        12,
    )
    assert competing.confidence == CompetingOffer.Confidence.WRITTEN
    assert competing.recorded_by == recruiter
    assert [(p.kind, p.month, p.amount) for p in competing.payments.all()] == [
        ("signing", 0, Decimal("200000.00"))
    ]
    grant = competing.equity_grants.get()
    assert (grant.value, grant.offer) == (Decimal("1200000.00"), None)
    assert [y.percentage for y in grant.vesting_years.all()] == [40, 30, 20, 10]
    assert competing.history.get().history_user == recruiter
    # We have made no offer: the service found it ahead at once.
    assert competing.ahead


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        pytest.param(
            {"deadline_0": "2020-01-01"},
            "deadline",
            "The decision deadline must be in the future.",
            id="deadline-in-the-past",
        ),
        pytest.param(
            {"competitor": "ours"},
            "competitor",
            "is our own company, not a competitor",
            id="our-own-company",
        ),
        pytest.param(
            {"currency": UNRATED},
            "currency",
            f"No {UNRATED}→USD exchange rate is known",
            id="no-rate",
        ),
        pytest.param(
            {"equity_grants-0-vesting": "25, 25, 25"},
            "equity_grants-0-vesting",
            "add up to 75%, not 100%",
            id="vesting-not-100",
        ),
        pytest.param(
            {"payments-0-amount": "-5"},
            "payments-0-amount",
            "cannot be negative",
            id="negative-instalment",
        ),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    recruiter_client, add_form, values, field, message, unrated_currency
):
    if values.get("competitor") == "ours":
        ours = CompanyFactory(name="Closer Labs", kind=Company.Kind.OURS)
        values = {**values, "competitor": str(ours.pk)}
    before = saved_rows()

    response = recruiter_client.post(ADD, add_form(**values))

    assert response.status_code == 200
    errors = errors_by_field(response)
    assert message in " ".join(errors.get(field, [])), errors
    assert saved_rows() == before


def test_an_application_of_someone_else_is_refused(recruiter_client, add_form, role):
    other = ApplicationFactory(candidate=CandidateFactory(name="Grace Hopper"), role=role)
    before = saved_rows()

    response = recruiter_client.post(ADD, add_form(application=str(other.pk)))

    assert "is not Ada Lovelace's" in " ".join(errors_by_field(response)["application"])
    assert saved_rows() == before


def test_the_competitor_is_picked_among_companies_other_than_ours(recruiter_client, helix):
    CompanyFactory(name="Helios Labs (ours)", kind=Company.Kind.OURS)
    url = reverse("admin:autocomplete")
    query = {"app_label": "offers", "model_name": "competingoffer", "field_name": "competitor"}

    found = recruiter_client.get(url, {**query, "term": "hel"}).json()["results"]

    assert [r["text"] for r in found] == ["Helix Intelligence"]


def test_editing_changes_it_through_the_service_and_keeps_a_passed_deadline(
    recruiter_client, recruiter, admin_form_data, theirs
):
    # The deadline passed since it was recorded; an edit that leaves it alone is accepted.
    passed = timezone.now() - timedelta(hours=1)
    CompetingOffer.objects.filter(pk=theirs.pk).update(deadline=passed)
    data = admin_form_data(recruiter_client.get(change_url(theirs)))
    data.update({"base_salary": "400000", "confidence": "verified"})

    response = recruiter_client.post(change_url(theirs), data)

    assert response.status_code == 302, errors_by_field(response)
    theirs.refresh_from_db()
    assert (theirs.base_salary, theirs.confidence) == (Decimal("400000.00"), "verified")
    assert theirs.deadline == passed
    assert theirs.equity_grants.get().value == Decimal("677600.00")  # the inline kept it
    assert theirs.history.count() == 2


def test_a_competing_offer_cannot_be_deleted_in_the_admin(client, superuser, theirs):
    client.force_login(superuser)

    url = reverse("admin:offers_competingoffer_delete", args=[theirs.pk])

    assert client.get(url).status_code == 403
