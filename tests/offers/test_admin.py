"""Offers in the admin: the list and its values, the page with its totals, drafting and editing
through the services, the steps as actions, history, and who sees amounts."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate
from offers.demo import build_market
from offers.models import (
    Approval,
    ApprovalRule,
    CompensationBand,
    EquityGrant,
    ExchangeRate,
    Offer,
    OfferPayment,
    OtherAmount,
    VestingYear,
)
from offers.permissions import APPROVER_GROUP
from offers.selectors import Market, value_offer
from offers.services import send_offer, submit_for_approval, update_draft
from offers.terms import EquityTerms, OfferTerms
from recruiting.pipeline.models import Application, Role
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OFFERS = reverse("admin:offers_offer_changelist")
ADD = reverse("admin:offers_offer_add")
Status = Offer.Status
M = Decimal(1_000_000)
EVEN_4_YEARS = [Decimal(25)] * 4

# Session, user, permissions (2), the count, the page, its payments, grants, vesting years and
# other amounts, the rates and the bands, the currency and role filters' choices. A query per
# row would break it.
CHANGELIST_QUERIES = 14


@pytest.fixture(autouse=True)
def market(db):  # type: ignore[no-untyped-def]
    build_market()


@pytest.fixture
def role():  # type: ignore[no-untyped-def]
    """Senior research scientist in Silicon Valley: total $900k–$2M (target $1.4M), base
    $300k–$450k (target $375k)."""
    return RoleFactory(
        title="Senior Research Scientist",
        city="San Francisco",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
    )


def offer_for(role, by, name: str = "Ada Lovelace", **terms) -> Offer:  # type: ignore[no-untyped-def]
    application = ApplicationFactory(candidate=CandidateFactory(name=name), role=role)
    return OfferFactory(application=application, drafted_by=by, **terms)


def change_url(offer: Offer) -> str:
    return reverse("admin:offers_offer_change", args=[offer.pk])


def history_url(offer: Offer) -> str:
    return reverse("admin:offers_offer_history", args=[offer.pk])


def reload(offer: Offer) -> Offer:
    return Offer.objects.get(pk=offer.pk)


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return sorted(o.application.candidate.name for o in response.context["cl"].result_list)


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def saved_rows() -> dict[str, int]:
    models = (Offer, OfferPayment, EquityGrant, VestingYear, OtherAmount, Approval)
    return {model.__name__: model.objects.count() for model in models} | {
        "history": Offer.history.count()
    }


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


# --- The offer's page ----------------------------------------------------------------------


def test_the_page_shows_the_totals_year_by_year_in_both_currencies_and_the_band(
    recruiter_client, recruiter, role
):
    offer = offer_for(
        role,
        recruiter,
        currency="EUR",
        base_salary=Decimal(847_000),
        equity=[EquityTerms(Decimal(3_388_000), [Decimal(p) for p in (40, 30, 20, 10)])],
    )

    page = html.unescape(recruiter_client.get(change_url(offer)).content.decode())

    # Equity 40/30/20/10 of €3,388,000: €1,355,200, €1,016,400, €677,600, €338,800.
    for text in (
        "Year 1",
        "Year 4",
        "Base salary",
        "Equity",
        "1,355,200.00",
        "338,800.00",
        # Year one €847k + €1,355,200 = €2,202,200 = $2,600,000 at 0.847 EUR per USD.
        "2,202,200.00 EUR",
        "2,600,000.00 USD",
        # The whole horizon: 4 × €847k + €3,388,000 = €6,776,000 = $8M, $2M a year.
        "6,776,000.00 EUR",
        "8,000,000.00 USD",
        "2,000,000.00 USD",
        "Horizon total (4 years)",
        "USD at today's rate: 1.180638 USD per EUR.",
        # $2M a year against the band's $1.4M target and $2M max.
        "Annual average: within band (1.43× target)",
        "above band",  # the base: $1M against a $450k max
    ):
        assert text in page


def test_a_submitted_offer_is_read_only_and_shows_its_approvals(recruiter_client, recruiter, role):
    ApprovalRuleFactory(
        name="Big signing bonus",
        condition=ApprovalRule.Condition.SIGNING_AT_OR_ABOVE,
        amount=M,
    )
    offer = offer_for(role, recruiter, signing_payments=[(0, 2 * M)])
    submit_for_approval(offer, by=recruiter)
    before = saved_rows()

    page = recruiter_client.get(change_url(offer))
    posted = recruiter_client.post(change_url(offer), {"base_salary": "1"})

    text = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in text
    assert 'name="base_salary"' not in text
    assert "it is not edited" in text
    assert "Compensation approvers" in text
    assert "signing bonus 2,000,000.00 USD" in text
    assert posted.status_code == 403
    assert saved_rows() == before


def test_an_offer_cannot_be_deleted_in_the_admin(client, superuser, recruiter, role):
    offer = offer_for(role, recruiter)
    client.force_login(superuser)

    response = client.get(reverse("admin:offers_offer_delete", args=[offer.pk]))

    assert response.status_code == 403
    assert Offer.objects.filter(pk=offer.pk).exists()


# --- Drafting and editing through the services ---------------------------------------------


@pytest.fixture
def add_form(recruiter_client, admin_form_data, role):  # type: ignore[no-untyped-def]
    """The POST data of the add page: an offer with two signing instalments, a 40/30/20/10
    grant and a housing allowance, with `values` on top."""
    application = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"), role=role)
    start = timezone.localdate() + timedelta(days=30)
    expires = timezone.localdate() + timedelta(days=14)

    def build(**values: str) -> dict:
        data = admin_form_data(recruiter_client.get(ADD))
        data.update(
            {
                "application": str(application.pk),
                "kind": "new_hire",
                "currency": "USD",
                "start_date": start.isoformat(),
                "expires_at_0": expires.isoformat(),
                "expires_at_1": "18:00:00",
                "base_salary": "400000",
                "target_bonus_percent": "20",
                "relocation": "50000",
                "signing_clawback_months": "24",
                "retention_clawback_months": "0",
                "payments-TOTAL_FORMS": "2",
                "payments-0-kind": "signing",
                "payments-0-month": "0",
                "payments-0-amount": "1000000",
                "payments-1-kind": "signing",
                "payments-1-month": "12",
                "payments-1-amount": "1000000",
                "equity_grants-TOTAL_FORMS": "1",
                "equity_grants-0-kind": "rsu",
                "equity_grants-0-value": "4000000",
                "equity_grants-0-cliff_months": "12",
                "equity_grants-0-frequency": "quarterly",
                "equity_grants-0-vesting": "40, 30, 20, 10",
                "other_amounts-TOTAL_FORMS": "1",
                "other_amounts-0-name": "Housing",
                "other_amounts-0-amount": "60000",
                "other_amounts-0-year": "1",
                **values,
            }
        )
        return data

    build.application = application  # type: ignore[attr-defined]
    return build


def test_adding_an_offer_drafts_it_through_the_service(recruiter_client, recruiter, add_form):
    response = recruiter_client.post(ADD, add_form())

    assert response.status_code == 302
    offer = Offer.objects.get()
    assert offer.application == add_form.application
    assert (offer.version, offer.status, offer.drafted_by) == (1, Status.DRAFT, recruiter)
    assert (offer.base_salary, offer.target_bonus_percent, offer.relocation) == (
        Decimal("400000.00"),
        Decimal("20.00"),
        Decimal("50000.00"),
    )
    assert [(p.kind, p.month, p.amount) for p in offer.payments.all()] == [
        ("signing", 0, Decimal("1000000.00")),
        ("signing", 12, Decimal("1000000.00")),
    ]
    grant = offer.equity_grants.get()
    assert grant.value == Decimal("4000000.00")
    assert [y.percentage for y in grant.vesting_years.all()] == [40, 30, 20, 10]
    assert [(o.name, o.amount, o.year) for o in offer.other_amounts.all()] == [
        ("Housing", Decimal("60000.00"), 1)
    ]
    assert offer.history.get().history_user == recruiter


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        pytest.param(
            {"equity_grants-0-vesting": "25, 25, 25"},
            "equity_grants-0-vesting",
            "add up to 75%, not 100%",
            id="vesting-not-100",
        ),
        pytest.param(
            {"equity_grants-0-cliff_months": "60"},
            "equity_grants-0-cliff_months",
            "longer than the 4-year vesting horizon",
            id="cliff-past-horizon",
        ),
        pytest.param(
            {"equity_grants-0-vesting": "40, 30, twenty, 10"},
            "equity_grants-0-vesting",
            "“twenty” is not a percentage",
            id="vesting-not-a-number",
        ),
        pytest.param(
            {"base_salary": "-1"}, "base_salary", "An amount cannot be negative", id="negative"
        ),
        pytest.param(
            {"payments-1-amount": "1000000.005"},
            "payments-1-amount",
            "2 decimal places",
            id="three-decimals",
        ),
        pytest.param(
            {"other_amounts-0-amount": "1000000000001"},
            "other_amounts-0-amount",
            "digits",
            id="over-10-to-the-12",
        ),
        pytest.param(
            {"target_bonus_percent": "250"},
            "target_bonus_percent",
            "200% of base",
            id="bonus-over-200",
        ),
        pytest.param(
            {"start_date": "2020-01-01"},
            "start_date",
            "A new offer cannot start in the past.",
            id="start-in-the-past",
        ),
        pytest.param(
            {"expires_at_0": "2020-01-01"},
            "expires_at",
            "The expiry must be in the future.",
            id="expiry-in-the-past",
        ),
        pytest.param(
            {"currency": "GBP"},
            "currency",
            "No GBP→USD exchange rate is known",
            id="no-rate",
        ),
        pytest.param(
            {"currency": "XYZ"},
            "currency",
            "Select a valid choice",
            id="unknown-currency",
        ),
        pytest.param(
            {"kind": "retention"},
            "kind",
            "A retention offer is for one of our employees.",
            id="retention-for-a-prospect",
        ),
    ],
)
def test_bad_terms_are_refused_on_their_field_and_nothing_is_saved(
    recruiter_client, add_form, values, field, message
):
    before = saved_rows()

    response = recruiter_client.post(ADD, add_form(**values))

    assert response.status_code == 200
    errors = _errors_by_field(response)
    assert message in " ".join(errors.get(field, [])), errors
    assert saved_rows() == before


def _errors_by_field(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Every error on the page, by the name of the input it belongs to ("" for the form's)."""
    form = response.context["adminform"].form
    errors = {(name if name != "__all__" else ""): list(msgs) for name, msgs in form.errors.items()}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for form in formset.forms:
            for name, msgs in form.errors.items():
                errors[f"{form.prefix}-{name}"] = list(msgs)
        if formset.non_form_errors():
            errors[formset.prefix] = list(formset.non_form_errors())
    return errors


def test_an_application_with_an_open_offer_gets_no_second_one(
    recruiter_client, recruiter, add_form
):
    OfferFactory(application=add_form.application, drafted_by=recruiter)
    before = saved_rows()

    response = recruiter_client.post(ADD, add_form())

    assert response.status_code == 200
    assert "already has an open offer" in " ".join(_errors_by_field(response)["application"])
    assert saved_rows() == before


def test_editing_a_draft_updates_it_through_the_service(
    client, hiring_manager, recruiter, role, admin_form_data
):
    hiring_manager.groups.add(Group.objects.get(name="Recruiters"))
    offer = offer_for(
        role,
        recruiter,
        signing_payments=[(0, Decimal(500_000))],
        equity=[EquityTerms(4 * M, [Decimal(p) for p in (40, 30, 20, 10)])],
        other=[("Housing", Decimal(60_000), 1)],
    )
    client.force_login(hiring_manager)
    data = admin_form_data(client.get(change_url(offer)))
    data.update({"base_salary": "450000", "payments-0-amount": "750000"})

    response = client.post(change_url(offer), data)

    assert response.status_code == 302, _errors_by_field(response)
    offer = reload(offer)
    assert (offer.status, offer.version, offer.base_salary) == (Status.DRAFT, 1, 450_000)
    assert [p.amount for p in offer.payments.all()] == [750_000]
    # What was not touched stays as it was, the vesting years included.
    grant = offer.equity_grants.get()
    assert (grant.value, [y.percentage for y in grant.vesting_years.all()]) == (
        4 * M,
        [40, 30, 20, 10],
    )
    assert [o.name for o in offer.other_amounts.all()] == ["Housing"]
    assert offer.history.first().history_user == hiring_manager


def test_a_component_row_deleted_on_a_draft_is_removed(
    recruiter_client, recruiter, role, admin_form_data
):
    offer = offer_for(role, recruiter, other=[("Housing", Decimal(60_000), 1)])
    data = admin_form_data(recruiter_client.get(change_url(offer)))
    data["other_amounts-0-DELETE"] = "on"

    response = recruiter_client.post(change_url(offer), data)

    assert response.status_code == 302
    assert not reload(offer).other_amounts.exists()


def test_a_bad_edit_leaves_the_draft_as_it_was(recruiter_client, recruiter, role, admin_form_data):
    offer = offer_for(role, recruiter, equity=[EquityTerms(4 * M, EVEN_4_YEARS)])
    data = admin_form_data(recruiter_client.get(change_url(offer)))
    data.update({"base_salary": "999999", "equity_grants-0-vesting": "50, 60"})
    before = saved_rows()

    response = recruiter_client.post(change_url(offer), data)

    assert response.status_code == 200
    assert "add up to 110%" in " ".join(_errors_by_field(response)["equity_grants-0-vesting"])
    assert saved_rows() == before
    assert reload(offer).base_salary == 400_000


# --- The steps, as actions on the list -----------------------------------------------------


def run_action(client, action: str, offers, **form: str):  # type: ignore[no-untyped-def]
    """Chooses the action on the list, then submits its intermediate page as a person would."""
    selected = [str(o.pk) for o in offers]
    page = client.post(OFFERS, {"action": action, "_selected_action": selected})
    assert page.status_code == 200
    assert page.templates[0].name == "admin/action_form.html"
    return client.post(
        OFFERS, {"action": action, "_selected_action": selected, "apply": "1", **form}
    )


def page_errors(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    form = response.context["form"]
    return " ".join(m for msgs in form.errors.values() for m in msgs)


@pytest.fixture
def approver_client(approver):  # type: ignore[no-untyped-def]
    """A second browser, logged in as the approver (the recruiter uses `client`)."""
    from django.test import Client

    client = Client()
    client.force_login(approver)
    return client


@pytest.fixture
def signing_rule():  # type: ignore[no-untyped-def]
    return ApprovalRuleFactory(
        name="Signing bonus of $1M or more",
        condition=ApprovalRule.Condition.SIGNING_AT_OR_ABOVE,
        amount=M,
    )


def test_submitting_an_offer_no_rule_applies_to_approves_it(recruiter_client, recruiter, role):
    offer = offer_for(role, recruiter)

    response = run_action(recruiter_client, "submit_action", [offer])

    assert response.status_code == 302
    assert reload(offer).status == Status.APPROVED
    assert "1 approved at once" in messages_of(response)[0]


def test_an_offer_meeting_a_rule_waits_and_an_approver_approves_it_with_a_comment(
    recruiter_client, approver_client, recruiter, approver, role, signing_rule
):
    offer = offer_for(role, recruiter, signing_payments=[(0, 2 * M)])
    run_action(recruiter_client, "submit_action", [offer])
    assert reload(offer).status == Status.PENDING_APPROVAL

    response = run_action(approver_client, "approve_action", [offer], comment="Worth it.")

    assert response.status_code == 302
    offer = reload(offer)
    assert (offer.status, offer.last_comment) == (Status.APPROVED, "Worth it.")
    approval = offer.approvals.get()
    assert (approval.status, approval.decided_by, approval.comment) == (
        "approved",
        approver,
        "Worth it.",
    )


def test_a_rejection_needs_a_comment_and_sends_the_offer_back_to_draft(
    approver_client, recruiter, role, signing_rule
):
    offer = submit_for_approval(
        offer_for(role, recruiter, signing_payments=[(0, 2 * M)]), by=recruiter
    )

    refused = run_action(approver_client, "reject_action", [offer], comment="  ")
    assert "Say why the offer is rejected" in " ".join(refused.context["form"].errors["comment"])
    assert reload(offer).status == Status.PENDING_APPROVAL

    response = run_action(approver_client, "reject_action", [offer], comment="Too rich.")

    assert response.status_code == 302
    offer = reload(offer)
    assert (offer.status, offer.last_comment) == (Status.DRAFT, "Too rich.")


def test_whoever_drafted_an_offer_cannot_approve_it_even_as_an_approver(
    recruiter_client, recruiter, role, signing_rule
):
    recruiter.groups.add(Group.objects.get(name=APPROVER_GROUP))
    offer = submit_for_approval(
        offer_for(role, recruiter, signing_payments=[(0, 2 * M)]), by=recruiter
    )

    response = run_action(recruiter_client, "approve_action", [offer], comment="Fine by me.")

    assert "Whoever drafted an offer cannot approve or reject it." in page_errors(response)
    assert reload(offer).status == Status.PENDING_APPROVAL
    assert offer.approvals.get().status == "pending"


def test_a_recruiter_is_not_offered_the_approval_actions(recruiter_client, recruiter, role):
    offer_for(role, recruiter)

    actions = dict(recruiter_client.get(OFFERS).context["action_form"].fields["action"].choices)

    assert "submit_action" in actions
    assert "approve_action" not in actions
    assert "reject_action" not in actions


def test_an_approver_is_offered_only_the_approval_actions(approver_client, recruiter, role):
    offer_for(role, recruiter)

    actions = dict(approver_client.get(OFFERS).context["action_form"].fields["action"].choices)

    assert set(actions) - {""} == {"approve_action", "reject_action"}


def test_send_then_record_the_acceptance(recruiter_client, recruiter, role):
    offer = submit_for_approval(offer_for(role, recruiter), by=recruiter)

    sent = run_action(recruiter_client, "send_action", [offer])
    assert sent.status_code == 302
    offer = reload(offer)
    assert (offer.status, offer.sent_by, offer.sent_rate_currency_id) == (
        Status.SENT,
        recruiter,
        "USD",
    )

    accepted = run_action(recruiter_client, "accept_action", [offer])

    assert accepted.status_code == 302
    offer = reload(offer)
    assert (offer.status, offer.closed_by) == (Status.ACCEPTED, recruiter)
    assert offer.application.status == Application.Status.HIRED


@pytest.mark.parametrize(
    ("action", "status"),
    [("decline_action", Status.DECLINED), ("rescind_action", Status.RESCINDED)],
)
def test_a_sent_offer_is_declined_or_rescinded(recruiter_client, recruiter, role, action, status):
    offer = send_offer(submit_for_approval(offer_for(role, recruiter), by=recruiter), by=recruiter)

    response = run_action(recruiter_client, action, [offer])

    assert response.status_code == 302
    assert reload(offer).status == status


def test_a_step_the_status_does_not_allow_is_refused_with_the_services_message(
    recruiter_client, recruiter, role
):
    offer = offer_for(role, recruiter)
    before = saved_rows()

    response = run_action(recruiter_client, "send_action", [offer])

    assert "An offer that is draft cannot be sent." in page_errors(response)
    assert reload(offer).status == Status.DRAFT
    assert saved_rows() == before


def test_a_step_on_several_offers_is_taken_on_all_or_none(recruiter_client, recruiter, role):
    approved = submit_for_approval(offer_for(role, recruiter, "Ada Lovelace"), by=recruiter)
    draft = offer_for(role, recruiter, "Grace Hopper")

    response = run_action(recruiter_client, "send_action", [approved, draft])

    assert "Grace Hopper" in page_errors(response)
    assert "cannot be sent" in page_errors(response)
    assert reload(approved).status == Status.APPROVED
    assert reload(approved).sent_at is None
    assert reload(draft).status == Status.DRAFT


def test_revising_makes_a_new_draft_version_and_links_to_it(recruiter_client, recruiter, role):
    sent = send_offer(submit_for_approval(offer_for(role, recruiter), by=recruiter), by=recruiter)

    response = run_action(recruiter_client, "revise_action", [sent])

    assert response.status_code == 302
    new = Offer.objects.get(revises=sent)
    assert (new.version, new.status) == (2, Status.DRAFT)
    assert reload(sent).status == Status.SUPERSEDED
    assert change_url(new) in messages_of(response)[0]


# --- History -------------------------------------------------------------------------------


def test_the_history_lists_every_change_with_who_and_when(
    recruiter_client, recruiter, add_form, admin_form_data
):
    recruiter_client.post(ADD, add_form())
    offer = Offer.objects.get()
    data = admin_form_data(recruiter_client.get(change_url(offer)))
    data["base_salary"] = "450000"
    recruiter_client.post(change_url(offer), data)
    run_action(recruiter_client, "submit_action", [offer])

    response = recruiter_client.get(history_url(offer))

    page = response.content.decode()
    assert response.status_code == 200
    records = response.context["page_obj"].object_list
    assert len(records) == 3  # drafted, edited, submitted
    assert {r.history_user for r in records} == {recruiter}
    assert "400000.00" in page and "450000.00" in page  # the base's change
    assert "Signing bonus paid in month 12: 1,000,000.00" in page
    assert "Equity grant" in page and "year 1 vests 40%" in page
    assert "Housing in year 1: 60,000.00" in page
    assert "Revert" not in page


def test_an_old_version_is_shown_read_only_and_never_restored(recruiter_client, recruiter, role):
    offer = offer_for(role, recruiter)
    record = offer.history.get()
    url = reverse("admin:offers_offer_simple_history", args=[offer.pk, record.history_id])

    shown = recruiter_client.get(url)
    posted = recruiter_client.post(url, {"base_salary": "1"})

    assert shown.status_code == 200
    assert 'name="base_salary"' not in shown.content.decode()
    assert posted.status_code == 403
    assert reload(offer).base_salary == 400_000


# --- Approval rules and approvals ----------------------------------------------------------


def test_an_administrator_sets_an_approval_rule(client, superuser):
    client.force_login(superuser)
    approvers = Group.objects.get(name=APPROVER_GROUP)

    response = client.post(
        reverse("admin:offers_approvalrule_add"),
        {
            "name": "Signing bonus of $10M or more",
            "condition": "signing_at_or_above",
            "amount": "10000000",
            "group": str(approvers.pk),
            "active": "on",
        },
    )

    assert response.status_code == 302
    rule = ApprovalRule.objects.get()
    assert (rule.condition, rule.amount, rule.group) == ("signing_at_or_above", 10 * M, approvers)


def test_a_rule_needing_an_amount_is_refused_without_one(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:offers_approvalrule_add"),
        {
            "name": "Big equity",
            "condition": "equity_at_or_above",
            "group": str(Group.objects.get(name=APPROVER_GROUP).pk),
        },
    )

    assert response.status_code == 200
    assert "amount" in response.context["adminform"].form.errors
    assert not ApprovalRule.objects.exists()


def test_approvals_are_listed_read_only_and_filtered_by_status_and_group(
    client, superuser, recruiter, role, signing_rule
):
    waiting = submit_for_approval(
        offer_for(role, recruiter, "Ada Lovelace", signing_payments=[(0, 2 * M)]), by=recruiter
    )
    client.force_login(superuser)
    url = reverse("admin:offers_approval_changelist")

    response = client.get(url, {"status__exact": "pending"})
    rejected = client.get(url, {"status__exact": "rejected"})
    by_group = client.get(url, {"group__id__exact": str(signing_rule.group_id)})

    assert [a.offer for a in response.context["cl"].result_list] == [waiting]
    assert list(rejected.context["cl"].result_list) == []
    assert len(by_group.context["cl"].result_list) == 1
    assert change_url(waiting) in response.content.decode()  # the offer, where it is decided
    # A list only: an approval is asked for and decided through its offer.
    approval = waiting.approvals.get()
    assert (
        client.get(reverse("admin:offers_approval_change", args=[approval.pk])).status_code == 403
    )
    assert client.get(reverse("admin:offers_approval_add")).status_code == 403


# --- Who sees amounts ----------------------------------------------------------------------

VIEW_PERMISSIONS = [
    "view_offer",
    "view_offerpayment",
    "view_equitygrant",
    "view_vestingyear",
    "view_otheramount",
    "view_approval",
    "view_approvalrule",
    "view_compensationband",
    "view_exchangerate",
]


def staff_who_may_view(*, compensation: bool):  # type: ignore[no-untyped-def]
    user = UserFactory(username=f"viewer_{compensation}".lower())
    codenames = VIEW_PERMISSIONS + (["view_compensation"] if compensation else [])
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="offers", codename__in=codenames),
        Permission.objects.get(codename="view_candidate"),
    )
    return user


@pytest.fixture
def two_million(recruiter, role):  # type: ignore[no-untyped-def]
    """A $2M base (raised from $1.5M, so the history shows the change) and a $2M signing
    bonus, waiting for approval (the reason names the amount); the role's band tops out at
    $2M."""
    ApprovalRuleFactory(
        name="Signing bonus rule",
        condition=ApprovalRule.Condition.SIGNING_AT_OR_ABOVE,
        amount=2 * M,
    )
    offer = offer_for(
        role,
        recruiter,
        base_salary=Decimal(1_500_000),
        signing_payments=[(0, 2 * M)],
        equity=[EquityTerms(2 * M, [Decimal(50)] * 2)],
        other=[("Relocation of the lab", 2 * M, 1)],
    )
    offer = update_draft(
        offer, dataclasses.replace(OfferTerms.of(offer), base_salary=2 * M), by=recruiter
    )
    return submit_for_approval(offer, by=recruiter)


def pages_showing_amounts(offer: Offer) -> list[str]:
    band = CompensationBand.objects.filter(total_max=2 * M).first()
    record = offer.history.first()
    return [
        OFFERS,
        change_url(offer),
        history_url(offer),
        reverse("admin:offers_offer_simple_history", args=[offer.pk, record.history_id]),
        reverse("admin:offers_compensationband_changelist"),
        reverse("admin:offers_compensationband_change", args=[band.pk]),
        reverse("admin:offers_approval_changelist"),
        reverse("admin:offers_approvalrule_changelist"),
        reverse("admin:offers_approvalrule_change", args=[ApprovalRule.objects.get().pk]),
    ]


# The $2M amounts, the base before ($1.5M), and the offer's year one ($7M) and annual average
# ($5M), as the pages write them.
AMOUNTS = (
    "2,000,000",
    "2000000",
    "1,500,000",
    "1500000",
    "7,000,000",
    "7000000",
    "5,000,000",
    "5000000",
)


def test_without_view_compensation_no_amount_is_shown_anywhere(client, two_million):
    client.force_login(staff_who_may_view(compensation=False))

    for url in pages_showing_amounts(two_million):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert not [amount for amount in AMOUNTS if amount in page], url
    offer_page = client.get(change_url(two_million)).content.decode()
    assert "hidden" in offer_page
    assert "above band" in offer_page  # where it sits, not by how much
    assert "× target" not in offer_page
    history = client.get(history_url(two_million)).content.decode()
    assert re.search(r"Annual base salary:</strong>\s*hidden", history)


def test_with_view_compensation_the_amounts_are_shown(client, two_million):
    client.force_login(staff_who_may_view(compensation=True))

    for url in pages_showing_amounts(two_million):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert [amount for amount in AMOUNTS if amount in page], url
    history = client.get(history_url(two_million)).content.decode()
    assert "1500000.00" in history and "2000000.00" in history


def test_without_view_compensation_offers_and_bands_are_read_only(client, two_million, role):
    user = staff_who_may_view(compensation=False)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="offers",
            codename__in=["add_offer", "change_offer", "add_compensationband"],
        )
    )
    client.force_login(user)

    assert client.get(ADD).status_code == 403
    assert client.get(reverse("admin:offers_compensationband_add")).status_code == 403
    assert client.get(OFFERS).context["action_form"] is None
