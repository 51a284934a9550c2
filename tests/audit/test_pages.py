"""Each page, letter and export that shows amounts writes one row to the pay access log: who
opened what, where, from which address. A colleague without view_compensation is shown no
amount there, and writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from offers.links import live_link, token_for
from offers.services import revise_offer, submit_for_approval
from recruiting.audit.models import PayAccess
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    OfferFactory,
    offer_terms,
)

from .helpers import the_row

pytestmark = pytest.mark.django_db

Kind = PayAccess.Kind


def opens(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.status_code


def opened_without_then_with_pay(client, url: str, *, without, with_pay) -> None:
    """The page opened by a colleague who may not see pay (nothing is logged: no amount was
    shown), then by one who may."""
    client.force_login(without)
    opens(client, url)
    assert not PayAccess.objects.exists()
    client.force_login(with_pay)
    opens(client, url)


# --- The workspace -----------------------------------------------------------------------------


def test_the_offer_page(client, recruiter, viewer, offer):
    url = reverse("offers:detail", args=[offer.pk])
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    row = the_row(user=recruiter, kind=Kind.OFFER_PAGE, obj=offer, path=url)
    assert row.label == f"Offer {offer.pk} v1, Research Scientist, Pre-training"
    assert "Ada" not in row.label  # the log outlives an erased candidate: no name in it


def test_two_versions_compared(client, recruiter, viewer, offer):
    second = revise_offer(offer, by=recruiter, terms=offer_terms(base_salary=Decimal(420_000)))
    url = reverse("offers:compare", args=[offer.pk, second.pk])
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    row = the_row(user=recruiter, kind=Kind.OFFER_COMPARE, obj=second, path=url)
    assert row.label.endswith("compared with v1")


def test_the_offer_form(client, recruiter, offer):
    url = reverse("offers:edit", args=[offer.pk])
    client.force_login(recruiter)

    opens(client, url)

    the_row(user=recruiter, kind=Kind.OFFER_FORM, obj=offer, path=url)


def test_the_offer_letter(client, recruiter, viewer, offer):
    url = reverse("offers:letter", args=[offer.pk])
    client.force_login(viewer)
    assert client.get(url).status_code == 404  # the letter is all amounts
    assert not PayAccess.objects.exists()

    client.force_login(recruiter)
    response = client.get(url)

    assert response["Content-Type"] == "application/pdf"
    the_row(user=recruiter, kind=Kind.OFFER_LETTER, obj=offer, path=url)


def test_the_signed_letter_and_not_the_candidates_own_pages(client, recruiter, offer):
    candidate = Client()
    token = token_for(live_link(offer))
    page = candidate.get(reverse("offers:for_candidate", args=[token]))
    signed = candidate.post(
        reverse("offers:sign", args=[token]),
        {"letter_sha256": page.context["letter"].sha256, "typed_name": "Ada Lovelace"}
        | {"consent": "on"},
    )
    assert signed.status_code == 302
    assert not PayAccess.objects.exists()  # the candidate reads their own offer: not logged

    url = reverse("offers:signed_letter", args=[offer.pk])
    client.force_login(recruiter)
    response = client.get(url)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    the_row(user=recruiter, kind=Kind.SIGNED_LETTER, obj=offer, path=url)


def test_the_counter_offer_page(client, recruiter, viewer, offer, competing):
    url = reverse("offers:counter", args=[offer.pk])
    client.force_login(viewer)
    assert client.get(url).status_code == 404
    assert not PayAccess.objects.exists()

    client.force_login(recruiter)
    opens(client, url)

    the_row(user=recruiter, kind=Kind.COUNTER_OFFER, obj=offer, path=url)


def test_the_competing_offer_form(client, recruiter, competing):
    url = reverse("offers:competing_edit", args=[competing.pk])
    client.force_login(recruiter)

    opens(client, url)

    row = the_row(user=recruiter, kind=Kind.COMPETING_OFFER_FORM, obj=competing, path=url)
    assert row.label == f"Competing offer {competing.pk} from Helix Intelligence"


def test_the_approvals_page_names_the_offers_waiting(client, recruiter, approver, application):
    ApprovalRuleFactory(name="Big signing", condition="signing_at_or_above", amount=Decimal(1))
    waiting = OfferFactory(
        application=ApplicationFactory(
            candidate=CandidateFactory(name="Grace Hopper", owner=recruiter),
            role=application.role,
        ),
        drafted_by=recruiter,
        signing_payments=[(0, Decimal(100_000))],
    )
    submit_for_approval(waiting, by=recruiter)
    url = reverse("offers:approvals")
    client.force_login(approver)

    opens(client, url)

    row = the_row(user=approver, kind=Kind.APPROVALS, obj=None, path=url)
    assert row.label == f"Offers waiting: {waiting.pk}"


def test_an_empty_approvals_page_writes_nothing(client, approver):
    client.force_login(approver)

    opens(client, reverse("offers:approvals"))

    assert not PayAccess.objects.exists()


def test_the_application_page(client, recruiter, viewer, application, offer):
    url = reverse("web:application", args=[application.pk])
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    the_row(user=recruiter, kind=Kind.APPLICATION_PAGE, obj=application, path=url)


def test_an_application_with_no_offer_shows_no_amount_and_writes_nothing(
    client, recruiter, application
):
    client.force_login(recruiter)

    opens(client, reverse("web:application", args=[application.pk]))

    assert not PayAccess.objects.exists()


# --- The admin ---------------------------------------------------------------------------------


def test_an_offer_in_the_admin(client, recruiter, viewer, offer):
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    row = the_row(user=recruiter, kind=Kind.ADMIN_OFFER, obj=offer, path=url)
    assert row.label == f"Offer {offer.pk}"


def test_an_offers_history_in_the_admin(client, recruiter, viewer, offer):
    url = reverse("admin:offers_offer_history", args=[offer.pk])
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    row = the_row(user=recruiter, kind=Kind.ADMIN_OFFER, obj=offer, path=url)
    assert row.label == f"Offer {offer.pk}, history"


def test_a_competing_offer_in_the_admin(client, recruiter, viewer, competing):
    url = reverse("admin:offers_competingoffer_change", args=[competing.pk])
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    the_row(user=recruiter, kind=Kind.ADMIN_COMPETING_OFFER, obj=competing, path=url)


def test_a_candidate_in_the_admin_with_their_estimated_pay(client, recruiter, viewer, application):
    candidate = application.candidate
    url = reverse("admin:candidates_candidate_change", args=[candidate.pk])
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    row = the_row(user=recruiter, kind=Kind.ADMIN_CANDIDATE, obj=candidate, path=url)
    assert row.label == f"Candidate {candidate.pk}"


def test_an_application_in_the_admin_with_its_competing_offers(
    client, recruiter, viewer, application, competing
):
    url = reverse("admin:pipeline_application_change", args=[application.pk])
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    the_row(user=recruiter, kind=Kind.ADMIN_APPLICATION, obj=application, path=url)


def test_an_application_in_the_admin_without_competing_offers_writes_nothing(
    client, recruiter, application
):
    client.force_login(recruiter)

    opens(client, reverse("admin:pipeline_application_change", args=[application.pk]))

    assert not PayAccess.objects.exists()


EXPORT = reverse("admin:candidates_candidate_export")


def export_csv(client, resource: str, *, pay: bool = True) -> str:
    """Exports the columns the export page offers (less the pay columns unless `pay`)."""
    page = client.get(EXPORT)
    assert page.status_code == 200
    columns = [
        name
        for name in page.context["form"].fields
        if name.startswith(f"{resource}_") and (pay or "current_" not in name)
    ]
    response = client.post(EXPORT, {"format": "0", "resource": "0", **dict.fromkeys(columns, "on")})
    assert response.status_code == 200
    return response.content.decode()


def test_a_candidate_export_with_pay(client, recruiter, viewer, application):
    client.force_login(viewer)
    assert "310000" not in export_csv(client, "candidateresourcewithoutpay")
    assert not PayAccess.objects.exists()

    client.force_login(recruiter)
    assert "310000" in export_csv(client, "candidateresource")

    row = the_row(user=recruiter, kind=Kind.EXPORT, obj=None, path=EXPORT)
    assert row.label == "Candidates export, 1 rows"


def test_an_export_without_the_pay_columns_writes_nothing(client, recruiter, application):
    client.force_login(recruiter)

    assert "310000" not in export_csv(client, "candidateresource", pay=False)

    assert not PayAccess.objects.exists()


def test_the_offer_list_in_the_admin_names_the_offers_shown(client, recruiter, viewer, offer):
    url = reverse("admin:offers_offer_changelist")
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    row = the_row(user=recruiter, kind=Kind.ADMIN_OFFER_LIST, obj=None, path=url)
    assert row.label == f"Offers listed: {offer.pk}"


def test_the_competing_offer_list_in_the_admin(client, recruiter, viewer, competing):
    url = reverse("admin:offers_competingoffer_changelist")
    opened_without_then_with_pay(client, url, without=viewer, with_pay=recruiter)

    row = the_row(user=recruiter, kind=Kind.ADMIN_COMPETING_OFFER_LIST, obj=None, path=url)
    assert row.label == f"Competing offers listed: {competing.pk}"


def test_an_old_version_of_an_offer_in_the_admin(client, recruiter, offer):
    version = offer.history.earliest()
    url = reverse("admin:offers_offer_simple_history", args=[offer.pk, version.history_id])
    client.force_login(recruiter)

    opens(client, url)

    row = the_row(user=recruiter, kind=Kind.ADMIN_OFFER, obj=offer, path=url)
    assert row.label == f"Offer {offer.pk}, past version {version.history_id}"


# --- What it costs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        lambda offer: reverse("offers:detail", args=[offer.pk]),
        lambda offer: reverse("web:application", args=[offer.application_id]),
        lambda offer: reverse("admin:offers_offer_change", args=[offer.pk]),
    ],
    ids=["offer page", "application page", "offer in the admin"],
)
def test_a_page_logs_in_one_insert_and_no_other_query(client, recruiter, offer, page):
    client.force_login(recruiter)

    with CaptureQueriesContext(connection) as queries:
        opens(client, page(offer))

    touching = [q["sql"] for q in queries if "audit_payaccess" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith('INSERT INTO "audit_payaccess"')
    # The content type is read inside the INSERT: no query of its own, cache warm or cold.
    assert 'FROM "django_content_type"' in touching[0]
