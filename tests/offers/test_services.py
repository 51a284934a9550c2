"""Offer services: drafting, bad input, every status transition, the approval rules, the
permission and the history, against the market of DESIGN.md (0.847 EUR per USD)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.utils import timezone
from simple_history.models import HistoricalRecords

from candidates.models import Candidate
from offers.compensation import Component
from offers.demo import build_market
from offers.models import (
    Approval,
    ApprovalRule,
    EquityGrant,
    ExchangeRate,
    Offer,
    OfferPayment,
    OtherAmount,
    VestingYear,
)
from offers.permissions import APPROVER_GROUP
from offers.selectors import value_offer
from offers.services import (
    accept_offer,
    approve_offer,
    decline_offer,
    draft_offer,
    expire_offer,
    reject_offer,
    rescind_offer,
    revise_offer,
    send_offer,
    submit_for_approval,
    update_draft,
)
from offers.terms import EquityTerms, OfferError
from recruiting.pipeline.models import Application, Role
from recruiting.pipeline.services import mark_hired, mark_lost
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    RoleFactory,
    UserFactory,
    offer_terms,
)

pytestmark = pytest.mark.django_db

M = Decimal(1_000_000)
EUR_PER_USD = Decimal("0.847")
Status = Offer.Status
Condition = ApprovalRule.Condition
# $150M paid in 4 instalments of $37.5M, at the start and on each anniversary.
SIGNING_150M = [(month, Decimal("37500000")) for month in (0, 12, 24, 36)]
EVEN_4_YEARS = [Decimal(25)] * 4


@pytest.fixture(autouse=True)
def market(db):  # type: ignore[no-untyped-def]
    build_market()


@pytest.fixture
def role():  # type: ignore[no-untyped-def]
    """Senior research scientist in Silicon Valley: band total $900k–$2M, target $1.4M."""
    return RoleFactory(
        title="Senior Research Scientist, Pre-training",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
    )


@pytest.fixture
def application(role):  # type: ignore[no-untyped-def]
    return ApplicationFactory(role=role, candidate=CandidateFactory(name="Ada Lovelace"))


@pytest.fixture
def approvers():  # type: ignore[no-untyped-def]
    return Group.objects.get(name=APPROVER_GROUP)


@pytest.fixture
def committee():  # type: ignore[no-untyped-def]
    return Group.objects.create(name="Compensation committee")


@pytest.fixture
def cfo(committee):  # type: ignore[no-untyped-def]
    user = UserFactory(username="cfo", first_name="Cora", last_name="Finance")
    user.groups.add(committee)
    return user


def draft(application: Application, by, **changes) -> Offer:  # type: ignore[no-untyped-def]
    return draft_offer(application, offer_terms(**changes), by=by)


def reload(offer: Offer) -> Offer:
    return Offer.objects.get(pk=offer.pk)


def move_expiry_to_the_past(offer: Offer) -> None:
    """The clock passes the expiry (the expiry itself was in the future when it was set)."""
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(minutes=1))


def saved_rows() -> dict[str, int]:
    models = (Offer, OfferPayment, EquityGrant, VestingYear, OtherAmount, Approval)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["history"] = Offer.history.count()
    return counts


@contextmanager
def acting_as(user):  # type: ignore[no-untyped-def]
    """What HistoryRequestMiddleware does for a request: the history records `user`."""
    request = RequestFactory().post("/admin/")
    request.user = user
    HistoricalRecords.context.request = request
    try:
        yield
    finally:
        del HistoricalRecords.context.request


# --- Drafting ------------------------------------------------------------------------------


def test_a_draft_is_version_1_with_every_component_as_typed(application, recruiter):
    terms = offer_terms(
        base_salary=2 * M,
        target_bonus_percent=Decimal(15),
        relocation=Decimal(100_000),
        signing_payments=SIGNING_150M,
        signing_clawback_months=24,
        retention_payments=[(24, Decimal(5_000_000))],
        retention_clawback_months=12,
        equity=[
            EquityTerms(
                32 * M,
                [Decimal(p) for p in (40, 30, 20, 10)],
                cliff_months=12,
                frequency="monthly",
                kind=EquityGrant.Kind.OPTIONS,
            )
        ],
        other=[("Research compute stipend", Decimal(250_000), 2)],
    )
    before = timezone.now()

    offer = reload(draft_offer(application, terms, by=recruiter))

    assert (offer.version, offer.status, offer.kind, offer.currency_id) == (
        1,
        Status.DRAFT,
        Offer.Kind.NEW_HIRE,
        "USD",
    )
    assert offer.revises is None
    assert offer.drafted_by == recruiter
    assert before <= offer.drafted_at <= timezone.now()
    assert (offer.base_salary, offer.target_bonus_percent, offer.relocation) == (
        Decimal("2000000.00"),
        Decimal("15.00"),
        Decimal("100000.00"),
    )
    assert [(p.kind, p.month, p.amount) for p in offer.payments.all()] == [
        ("retention", 24, Decimal("5000000.00")),
        *[("signing", month, Decimal("37500000.00")) for month in (0, 12, 24, 36)],
    ]
    assert (offer.signing_clawback_months, offer.retention_clawback_months) == (24, 12)
    grant = offer.equity_grants.get()
    assert (grant.kind, grant.value, grant.cliff_months, grant.frequency) == (
        "options",
        Decimal("32000000.00"),
        12,
        "monthly",
    )
    assert [(y.year, y.percentage) for y in grant.vesting_years.all()] == [
        (1, 40),
        (2, 30),
        (3, 20),
        (4, 10),
    ]
    assert [(o.name, o.amount, o.year) for o in offer.other_amounts.all()] == [
        ("Research compute stipend", Decimal("250000.00"), 2)
    ]
    # What was saved values exactly as what was typed.
    assert offer.to_package() == terms.to_package()


def test_base_2m_and_8m_of_equity_a_year_is_10m_a_year(application, recruiter):
    offer = draft(
        application, recruiter, base_salary=2 * M, equity=[EquityTerms(32 * M, EVEN_4_YEARS)]
    )

    valuation = value_offer(reload(offer))

    pay = valuation.compensation
    assert pay.by_component[Component.BASE_SALARY] == (2 * M,) * 4
    assert pay.by_component[Component.EQUITY] == (8 * M,) * 4
    assert pay.yearly_totals == (10 * M,) * 4
    assert (pay.year_one, pay.annual_average, pay.total) == (10 * M, 10 * M, 40 * M)
    # Reported in USD, the offer's own currency: the same amounts at a rate of 1.
    assert valuation.rate == 1
    assert (valuation.reporting.currency, valuation.reporting.total) == ("USD", 40 * M)
    # $10M a year against a senior scientist's band ($900k–$2M, target $1.4M).
    assert str(valuation.band_position) == "above band (7.14× target)"
    assert str(valuation.base_position) == "above band (5.33× target)"


def test_a_150m_signing_bonus_in_4_instalments_with_a_2_year_clawback(application, recruiter):
    offer = draft(
        application,
        recruiter,
        base_salary=2 * M,
        signing_payments=SIGNING_150M,
        signing_clawback_months=24,
    )

    package = reload(offer).to_package()
    pay = value_offer(reload(offer)).compensation

    assert package.signing_bonus.total == 150 * M
    assert package.signing_bonus.clawback_months == 24
    # Leaving after 6 months: 18 of the first instalment's 24 clawback months are left.
    assert package.signing_bonus.repayable_if_leaving_at(6) == Decimal("28125000.00")
    assert pay.by_component[Component.SIGNING_BONUS] == (Decimal("37500000.00"),) * 4
    assert pay.yearly_totals == (Decimal("39500000.00"),) * 4
    assert (pay.year_one, pay.total) == (Decimal("39500000.00"), 158 * M)


def test_a_eur_offer_is_reported_in_usd_at_0_847_eur_per_usd(application, recruiter):
    offer = draft(
        application,
        recruiter,
        currency="EUR",
        base_salary=Decimal(847_000),
        signing_payments=[(0, Decimal(127_050_000))],
    )

    valuation = value_offer(reload(offer))

    assert valuation.compensation.currency == "EUR"
    assert valuation.compensation.year_one == Decimal(127_897_000)
    assert valuation.rate == Decimal(1) / EUR_PER_USD
    assert valuation.reporting.currency == "USD"
    assert valuation.reporting.component_total(Component.BASE_SALARY) == Decimal("1000000.00")
    assert valuation.reporting.component_total(Component.SIGNING_BONUS) == 150 * M


def test_an_application_whose_offer_was_declined_gets_a_new_version(application, recruiter):
    first = send_offer(
        submit_for_approval(draft(application, recruiter), by=recruiter), by=recruiter
    )
    decline_offer(first, by=recruiter)

    second = draft(application, recruiter, base_salary=Decimal(450_000))

    assert (second.version, second.status, second.revises) == (2, Status.DRAFT, None)
    assert reload(first).status == Status.DECLINED


# --- Bad input -----------------------------------------------------------------------------


def today():  # type: ignore[no-untyped-def]
    return timezone.localdate()


BAD_TERMS = [
    pytest.param(
        lambda: {"base_salary": Decimal(-1)},
        "base_salary",
        "An amount cannot be negative.",
        id="negative base",
    ),
    pytest.param(
        lambda: {"signing_payments": [(0, Decimal(-5_000_000))]},
        "signing_bonus",
        "An amount cannot be negative.",
        id="negative signing bonus",
    ),
    pytest.param(
        lambda: {"equity": [EquityTerms(Decimal("-0.01"), [Decimal(100)])]},
        "equity",
        "An amount cannot be negative.",
        id="negative equity",
    ),
    pytest.param(
        lambda: {"relocation": Decimal(-1)},
        "relocation",
        "An amount cannot be negative.",
        id="negative relocation",
    ),
    pytest.param(
        lambda: {"target_bonus_percent": Decimal("200.01")},
        "target_bonus_percent",
        "A target bonus is between 0% and 200% of base.",
        id="bonus over 200%",
    ),
    pytest.param(
        lambda: {"target_bonus_percent": Decimal(-5)},
        "target_bonus_percent",
        "A target bonus is between 0% and 200% of base.",
        id="negative bonus percent",
    ),
    pytest.param(
        lambda: {"equity": [EquityTerms(4 * M, [Decimal(25)] * 3 + [Decimal(20)])]},
        "vesting",
        "The yearly vesting percentages add up to 95%, not 100%.",
        id="vesting not 100",
    ),
    pytest.param(
        lambda: {"equity": [EquityTerms(4 * M, EVEN_4_YEARS, cliff_months=60)]},
        "cliff_months",
        "A cliff of 60 months is longer than the 4-year vesting horizon.",
        id="cliff beyond horizon",
    ),
    pytest.param(
        lambda: {"expires_at": timezone.now() - timedelta(minutes=1)},
        "expires_at",
        "The expiry must be in the future.",
        id="expiry in the past",
    ),
    pytest.param(
        lambda: {"start_date": today() - timedelta(days=1)},
        "start_date",
        "A new offer cannot start in the past.",
        id="start before today",
    ),
    pytest.param(
        lambda: {"currency": "XYZ"},
        "currency",
        "“XYZ” is not a currency Closer knows.",
        id="unknown currency",
    ),
    pytest.param(
        lambda: {"base_salary": Decimal("400000.005")},
        "base_salary",
        "An amount has at most 2 decimal places.",
        id="more than 2 decimals",
    ),
    pytest.param(
        lambda: {"signing_payments": [(0, Decimal(10) ** 12 + Decimal("0.01"))]},
        "signing_bonus",
        "An amount cannot exceed 999,999,999,999.99.",
        id="over 10^12",
    ),
    pytest.param(
        lambda: {"currency": "GBP"},
        "currency",
        f"No GBP→USD exchange rate is known on or before {today():%d %b %Y}; "
        "an administrator adds one under Offers → Exchange rates.",
        id="no rate for the currency",
    ),
    pytest.param(
        lambda: {"signing_payments": [(-1, Decimal(1_000_000))]},
        "signing_bonus",
        "A payment cannot be made before the start.",
        id="payment before the start",
    ),
    pytest.param(
        lambda: {"other": [("Visa costs", Decimal(20_000), 0)]},
        "other",
        "Visa costs: the year is between 1 and 50.",
        id="other amount in year 0",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_TERMS)
def test_bad_terms_are_refused_on_their_field_and_nothing_is_saved(
    application, recruiter, changes, field, message
):
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, recruiter, **changes())

    assert refused.value.message_dict == {field: [message]}
    assert saved_rows() == before


@pytest.mark.parametrize(("changes", "field", "message"), BAD_TERMS)
def test_bad_terms_leave_a_draft_as_it_was(application, recruiter, changes, field, message):
    offer = draft(application, recruiter, signing_payments=[(0, 5 * M)])
    before, package = saved_rows(), reload(offer).to_package()

    with pytest.raises(OfferError) as refused:
        update_draft(offer, offer_terms(**changes()), by=recruiter)

    assert refused.value.message_dict == {field: [message]}
    assert saved_rows() == before
    assert reload(offer).to_package() == package


def test_an_amount_of_exactly_10_to_the_12_is_refused_not_a_server_error(application, recruiter):
    # The engine refuses what the money columns cannot hold: 999,999,999,999.99 at most.
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, recruiter, base_salary=Decimal(10) ** 12)

    assert refused.value.message_dict == {
        "base_salary": ["An amount cannot exceed 999,999,999,999.99."]
    }
    assert saved_rows() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_bonus_percent": Decimal("12.345")}, "target_bonus_percent"),
        (
            {
                "equity": [
                    EquityTerms(3 * M, [Decimal("33.333"), Decimal("33.333"), Decimal("33.334")])
                ]
            },
            "vesting",
        ),
    ],
    ids=["bonus percent", "vesting percent"],
)
def test_a_percentage_with_more_than_2_decimals_is_refused_not_rounded(
    application, recruiter, changes, field
):
    # The columns keep 2 decimals: 33.333 would be saved as 33.33, and the three years as 99.99%.
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, recruiter, **changes)

    assert refused.value.message_dict == {field: ["A percentage has at most 2 decimal places."]}
    assert saved_rows() == before


def test_a_retention_offer_is_only_for_an_employee(application, recruiter):
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft_offer(application, offer_terms(), by=recruiter, kind=Offer.Kind.RETENTION)

    assert refused.value.message_dict == {
        "kind": ["A retention offer is for one of our employees."]
    }
    assert saved_rows() == before


def test_an_application_has_one_open_offer_at_a_time(application, recruiter, hiring_manager):
    first = draft(application, recruiter)
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, hiring_manager, base_salary=Decimal(450_000))

    assert refused.value.messages == [
        "This application already has an open offer; revise it instead."
    ]
    assert saved_rows() == before
    assert reload(first).base_salary == Decimal(400_000)


@pytest.mark.parametrize("outcome", ["lost", "hired"])
def test_a_closed_application_gets_no_offer(application, recruiter, outcome):
    if outcome == "lost":
        mark_lost(application, reason=Application.LostReason.NOT_INTERESTED, by=recruiter)
    else:
        mark_hired(application, by=recruiter)
    application.refresh_from_db()
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        draft(application, recruiter)

    assert refused.value.messages == [
        f"The application is {outcome}; only an open application gets an offer."
    ]
    assert saved_rows() == before


def test_an_offer_that_can_no_longer_be_valued_cannot_be_submitted(application, recruiter):
    offer = draft(application, recruiter, currency="EUR", base_salary=Decimal(847_000))
    ExchangeRate.objects.all().delete()

    with pytest.raises(OfferError) as refused:
        submit_for_approval(offer, by=recruiter)

    assert "No EUR→USD exchange rate is known" in refused.value.message_dict["currency"][0]
    assert reload(offer).status == Status.DRAFT
    assert reload(offer).submitted_at is None


def test_an_offer_that_cannot_be_placed_in_its_band_cannot_be_submitted(recruiter):
    # CHF converts to the reporting currency but not to the euros of a European band.
    ExchangeRate.objects.create(
        base_id="CHF", quote_id="USD", rate=Decimal("1.25"), as_of=today() - timedelta(days=1)
    )
    role = RoleFactory(level="senior", zone=Role.Zone.EUROPE)
    offer = draft(ApplicationFactory(role=role), recruiter, currency="CHF")

    with pytest.raises(OfferError) as refused:
        submit_for_approval(offer, by=recruiter)

    assert "No CHF→EUR exchange rate is known" in refused.value.message_dict["currency"][0]
    assert reload(offer).status == Status.DRAFT


# --- Every status, every step: what is refused ---------------------------------------------


def take(step: str, offer: Offer, *, recruiter, approver) -> Offer:  # type: ignore[no-untyped-def]
    if step == "submitted":
        return submit_for_approval(offer, by=recruiter)
    if step == "approved":
        return approve_offer(offer, by=approver)
    if step == "rejected":
        return reject_offer(offer, by=approver, comment="Above what we pay for this level.")
    return {
        "sent": send_offer,
        "accepted": accept_offer,
        "declined": decline_offer,
        "rescinded": rescind_offer,
        "expired": expire_offer,
        "revised": revise_offer,
    }[step](offer, by=recruiter)


ALLOWED_FROM = {
    "submitted": {Status.DRAFT},
    "approved": {Status.PENDING_APPROVAL},
    "rejected": {Status.PENDING_APPROVAL},
    "sent": {Status.APPROVED},
    "accepted": {Status.SENT},
    "declined": {Status.SENT},
    "rescinded": {Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT},
    "expired": {Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT},
    # A draft is refused too, with its own message (test_a_draft_is_edited_not_revised).
    "revised": {Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT},
}
REFUSED = [
    pytest.param(step, status, id=f"{step} from {status}")
    for step, allowed in ALLOWED_FROM.items()
    for status in Status.values
    if status not in allowed
]


@pytest.fixture
def offer_in(application, recruiter, approver, approvers):  # type: ignore[no-untyped-def]
    """Brings an offer to a status through the services, as people would."""

    def make(status: str) -> Offer:
        if status == Status.PENDING_APPROVAL:
            ApprovalRuleFactory(
                name="Every offer in dollars",
                condition=Condition.CURRENCY_IS,
                currency_id="USD",
                group=approvers,
            )
        offer = draft(application, recruiter)
        if status == Status.DRAFT:
            return reload(offer)
        offer = submit_for_approval(offer, by=recruiter)
        if status in (Status.PENDING_APPROVAL, Status.APPROVED):
            return reload(offer)
        if status == Status.SUPERSEDED:
            revise_offer(offer, by=recruiter)
            return reload(offer)
        if status == Status.RESCINDED:
            rescind_offer(offer, by=recruiter)
            return reload(offer)
        offer = send_offer(offer, by=recruiter)
        if status == Status.ACCEPTED:
            accept_offer(offer, by=recruiter)
        elif status == Status.DECLINED:
            decline_offer(offer, by=recruiter)
        elif status == Status.EXPIRED:
            move_expiry_to_the_past(offer)
            expire_offer(offer)
        offer = reload(offer)
        assert offer.status == status
        return offer

    return make


@pytest.mark.parametrize(("step", "status"), REFUSED)
def test_a_step_not_allowed_from_the_status_is_refused_and_changes_nothing(
    offer_in, recruiter, approver, step, status
):
    offer = offer_in(status)
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        take(step, offer, recruiter=recruiter, approver=approver)

    label = Status(status).label.lower()
    assert refused.value.messages == [f"An offer that is {label} cannot be {step}."]
    assert reload(offer).status == status
    assert saved_rows() == before


def test_a_draft_is_edited_not_revised(offer_in, recruiter):
    offer = offer_in(Status.DRAFT)

    with pytest.raises(OfferError) as refused:
        revise_offer(offer, by=recruiter)

    assert refused.value.messages == [
        "A draft is edited as it is; revise an offer once it was submitted."
    ]
    assert Offer.objects.get() == offer


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.DRAFT])
def test_only_a_draft_is_edited_in_place(offer_in, recruiter, status):
    offer = offer_in(status)
    before = saved_rows()

    with pytest.raises(OfferError) as refused:
        update_draft(offer, offer_terms(base_salary=Decimal(450_000)), by=recruiter)

    label = Status(status).label.lower()
    assert refused.value.messages == [
        f"An offer that is {label} is not edited; revise it to make a new version."
    ]
    assert reload(offer).base_salary == Decimal(400_000)
    assert saved_rows() == before


# --- Submitting ----------------------------------------------------------------------------


def test_an_offer_no_rule_applies_to_is_approved_at_once(application, recruiter):
    offer = draft(application, recruiter)
    before = timezone.now()

    submit_for_approval(offer, by=recruiter)

    offer = reload(offer)
    assert offer.status == Status.APPROVED
    assert offer.submitted_by == recruiter
    assert before <= offer.submitted_at == offer.approved_at <= timezone.now()
    assert not offer.approvals.exists()


def test_an_offer_that_meets_rules_waits_for_one_approval_per_group_with_the_reasons(
    application, recruiter, approvers, committee
):
    ApprovalRuleFactory(
        name="Nine-figure signing", condition=Condition.SIGNING_AT_OR_ABOVE, amount=100 * M
    )
    ApprovalRuleFactory(name="Big equity", condition=Condition.EQUITY_AT_OR_ABOVE, amount=20 * M)
    ApprovalRuleFactory(
        name="Dollar offers", condition=Condition.CURRENCY_IS, currency_id="USD", group=committee
    )
    offer = draft(
        application,
        recruiter,
        signing_payments=SIGNING_150M,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS)],
    )

    submit_for_approval(offer, by=recruiter)

    offer = reload(offer)
    assert offer.status == Status.PENDING_APPROVAL
    assert offer.approved_at is None
    approvals = {a.group.name: a for a in offer.approvals.select_related("group")}
    assert set(approvals) == {APPROVER_GROUP, "Compensation committee"}
    # Two rules for one group: asked once, with both reasons (rules in order of name).
    assert approvals[APPROVER_GROUP].reason == (
        "equity 32,000,000.00 USD ≥ 20,000,000.00; "
        "signing bonus 150,000,000.00 USD ≥ 100,000,000.00"
    )
    assert approvals["Compensation committee"].reason == "an offer in USD"
    assert all(
        a.status == Approval.Status.PENDING and a.decided_by is None for a in approvals.values()
    )


# --- Approving and rejecting ---------------------------------------------------------------


@pytest.fixture
def pending(application, recruiter, approvers):  # type: ignore[no-untyped-def]
    """An offer with a $150M signing bonus, waiting for the Compensation approvers."""
    ApprovalRuleFactory(
        name="Nine-figure signing", condition=Condition.SIGNING_AT_OR_ABOVE, amount=100 * M
    )
    offer = draft(application, recruiter, signing_payments=SIGNING_150M)
    return submit_for_approval(offer, by=recruiter)


def test_an_approver_approves_and_the_decision_is_recorded(pending, approver):
    before = timezone.now()

    approve_offer(pending, by=approver, comment="Worth it to win her.")

    offer = reload(pending)
    assert offer.status == Status.APPROVED
    assert before <= offer.approved_at <= timezone.now()
    assert offer.last_comment == "Worth it to win her."
    approval = offer.approvals.get()
    assert (approval.status, approval.decided_by, approval.comment) == (
        Approval.Status.APPROVED,
        approver,
        "Worth it to win her.",
    )
    assert approval.decided_at == offer.approved_at


@pytest.mark.parametrize("who", ["outsider", "hiring_manager"])
def test_only_a_member_of_a_waiting_group_decides(pending, request, who):
    user = request.getfixturevalue(who)

    for decide in (
        lambda: approve_offer(pending, by=user),
        lambda: reject_offer(pending, by=user, comment="No."),
    ):
        with pytest.raises(OfferError) as refused:
            decide()
        assert refused.value.messages == [
            "Only a member of a group whose approval is waiting can decide."
        ]
    offer = reload(pending)
    assert offer.status == Status.PENDING_APPROVAL
    assert offer.approvals.get().status == Approval.Status.PENDING


def test_whoever_drafted_an_offer_never_approves_it_even_as_an_approver(
    application, recruiter, approvers
):
    recruiter.groups.add(approvers)
    ApprovalRuleFactory(name="Dollar offers", condition=Condition.CURRENCY_IS, currency_id="USD")
    offer = submit_for_approval(draft(application, recruiter), by=recruiter)

    for decide in (
        lambda: approve_offer(offer, by=recruiter),
        lambda: reject_offer(offer, by=recruiter, comment="Too low."),
    ):
        with pytest.raises(OfferError) as refused:
            decide()
        assert refused.value.messages == ["Whoever drafted an offer cannot approve or reject it."]
    assert reload(offer).status == Status.PENDING_APPROVAL
    assert reload(offer).approvals.get().status == Approval.Status.PENDING


def test_two_groups_must_both_approve(pending, approver, cfo, committee):
    # A second round, asking both groups: the committee too wants to see nine-figure offers.
    ApprovalRuleFactory(
        name="Committee: nine figures",
        condition=Condition.SIGNING_AT_OR_ABOVE,
        amount=100 * M,
        group=committee,
    )
    offer = reject_offer(pending, by=approver, comment="Ask the committee too.")
    offer = submit_for_approval(offer, by=offer.drafted_by)
    assert offer.approvals.filter(status=Approval.Status.PENDING).count() == 2

    approve_offer(offer, by=approver)

    assert reload(offer).status == Status.PENDING_APPROVAL
    with pytest.raises(OfferError, match="Only a member of a group whose approval is waiting"):
        approve_offer(offer, by=approver)

    approve_offer(offer, by=cfo, comment="Agreed.")

    offer = reload(offer)
    assert offer.status == Status.APPROVED
    decided = offer.approvals.filter(status=Approval.Status.APPROVED).select_related("group")
    assert {(a.group.name, a.decided_by.username) for a in decided} == {
        (APPROVER_GROUP, "approver"),
        ("Compensation committee", "cfo"),
    }


def test_a_rejection_needs_a_comment(pending, approver):
    with pytest.raises(OfferError) as refused:
        reject_offer(pending, by=approver, comment="   ")

    assert refused.value.message_dict == {
        "comment": ["Say why the offer is rejected; the recruiter reads it."]
    }
    assert reload(pending).status == Status.PENDING_APPROVAL


def test_a_rejection_sends_the_offer_back_to_draft_and_resubmitting_asks_again(
    application, recruiter, approver, cfo, committee
):
    ApprovalRuleFactory(
        name="Nine-figure signing", condition=Condition.SIGNING_AT_OR_ABOVE, amount=100 * M
    )
    ApprovalRuleFactory(
        name="Dollar offers", condition=Condition.CURRENCY_IS, currency_id="USD", group=committee
    )
    offer = submit_for_approval(
        draft(application, recruiter, signing_payments=SIGNING_150M), by=recruiter
    )
    before = timezone.now()

    reject_offer(offer, by=approver, comment="Pay it over 5 years, not 4.")

    offer = reload(offer)
    assert offer.status == Status.DRAFT
    assert offer.last_comment == "Pay it over 5 years, not 4."
    # The committee's approval of that round is moot: only the rejection remains.
    rejection = offer.approvals.get()
    assert (rejection.group.name, rejection.status, rejection.decided_by, rejection.comment) == (
        APPROVER_GROUP,
        Approval.Status.REJECTED,
        approver,
        "Pay it over 5 years, not 4.",
    )
    assert before <= rejection.decided_at <= timezone.now()

    update_draft(
        offer,
        offer_terms(signing_payments=[(12 * m, Decimal(30_000_000)) for m in range(5)]),
        by=recruiter,
    )
    submit_for_approval(offer, by=recruiter)

    offer = reload(offer)
    assert offer.status == Status.PENDING_APPROVAL
    waiting = offer.approvals.filter(status=Approval.Status.PENDING).select_related("group")
    assert {a.group.name for a in waiting} == {APPROVER_GROUP, "Compensation committee"}
    assert offer.approvals.filter(status=Approval.Status.REJECTED).count() == 1


@pytest.mark.parametrize("step", ["rescinded", "revised", "expired"])
def test_an_offer_leaving_approval_leaves_no_approval_waiting(pending, recruiter, approver, step):
    if step == "expired":
        move_expiry_to_the_past(pending)
    if step == "revised":
        revise_offer(pending, by=recruiter)
    else:
        take(step, pending, recruiter=recruiter, approver=approver)

    assert not Approval.objects.filter(offer=pending, status=Approval.Status.PENDING).exists()


# --- Sending -------------------------------------------------------------------------------


@pytest.fixture
def approved_in_euros(application, recruiter):  # type: ignore[no-untyped-def]
    """€847,000 base ($1M at 0.847), approved at once."""
    offer = draft(application, recruiter, currency="EUR", base_salary=Decimal(847_000))
    return submit_for_approval(offer, by=recruiter)


def test_sending_fixes_the_rate_the_offer_is_valued_at(approved_in_euros, hiring_manager):
    before = timezone.now()

    send_offer(approved_in_euros, by=hiring_manager)

    offer = reload(approved_in_euros)
    assert offer.status == Status.SENT
    assert offer.sent_by == hiring_manager
    assert before <= offer.sent_at <= timezone.now()
    # EUR→USD is the inverse of the 0.847 USD→EUR rate, kept to 10 places.
    assert offer.sent_rate == Decimal("1.1806375443")
    assert (offer.sent_rate_currency_id, offer.sent_rate_date) == ("USD", today())


def test_a_later_rate_never_changes_a_sent_offer(approved_in_euros, recruiter, role):
    sent = send_offer(approved_in_euros, by=recruiter)
    other = submit_for_approval(
        draft(
            ApplicationFactory(role=role), recruiter, currency="EUR", base_salary=Decimal(847_000)
        ),
        by=recruiter,
    )
    tomorrow = today() + timedelta(days=1)
    ExchangeRate.objects.create(base_id="USD", quote_id="EUR", rate=Decimal("0.5"), as_of=tomorrow)

    assert value_offer(reload(sent), on=tomorrow).reporting.total == Decimal("1000000.00")
    # An offer not yet sent is valued at the rate of the day.
    assert value_offer(reload(other), on=tomorrow).reporting.total == Decimal("1694000.00")


def test_an_offer_past_its_expiry_cannot_be_sent(approved_in_euros, recruiter):
    move_expiry_to_the_past(approved_in_euros)

    with pytest.raises(OfferError) as refused:
        send_offer(approved_in_euros, by=recruiter)

    assert refused.value.message_dict == {
        "expires_at": ["The expiry has passed; revise the offer with a later one."]
    }
    offer = reload(approved_in_euros)
    assert (offer.status, offer.sent_at, offer.sent_rate) == (Status.APPROVED, None, None)


# --- Accepting, declining, rescinding, expiring --------------------------------------------


@pytest.fixture
def sent(application, recruiter):  # type: ignore[no-untyped-def]
    offer = submit_for_approval(draft(application, recruiter), by=recruiter)
    return send_offer(offer, by=recruiter)


def test_accepting_a_new_hire_offer_marks_the_application_hired(sent, hiring_manager):
    before = timezone.now()

    accept_offer(sent, by=hiring_manager)

    offer = reload(sent)
    assert offer.status == Status.ACCEPTED
    assert offer.closed_by == hiring_manager
    assert before <= offer.closed_at <= timezone.now()
    application = Application.objects.get(pk=offer.application_id)
    assert application.status == Application.Status.HIRED
    assert application.stage.kind == "hired"
    assert application.candidate.relationship == Candidate.Relationship.EMPLOYEE


def test_an_offer_past_its_expiry_cannot_be_accepted(sent, recruiter):
    move_expiry_to_the_past(sent)
    expires = reload(sent).expires_at

    with pytest.raises(OfferError) as refused:
        accept_offer(sent, by=recruiter)

    assert refused.value.messages == [f"The offer expired on {expires:%d %b %Y %H:%M}; revise it."]
    assert reload(sent).status == Status.SENT
    assert Application.objects.get(pk=sent.application_id).status == Application.Status.OPEN


def test_accepting_a_retention_offer_keeps_the_employee_application_open(recruiter, role):
    employee = CandidateFactory(name="Grace Hopper", relationship=Candidate.Relationship.EMPLOYEE)
    application = ApplicationFactory(candidate=employee, role=role)
    offer = draft_offer(
        application, offer_terms(retention_payments=[(12, 3 * M)]), by=recruiter, kind="retention"
    )
    offer = send_offer(submit_for_approval(offer, by=recruiter), by=recruiter)

    accept_offer(offer, by=recruiter)

    assert reload(offer).status == Status.ACCEPTED
    assert Application.objects.get(pk=application.pk).status == Application.Status.OPEN


def test_a_declined_offer_is_closed_with_who_and_when(sent, recruiter):
    before = timezone.now()

    decline_offer(sent, by=recruiter)

    offer = reload(sent)
    assert (offer.status, offer.closed_by) == (Status.DECLINED, recruiter)
    assert before <= offer.closed_at <= timezone.now()
    assert Application.objects.get(pk=offer.application_id).status == Application.Status.OPEN


@pytest.mark.parametrize("status", [Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT])
def test_an_open_offer_can_be_rescinded(offer_in, hiring_manager, status):
    offer = offer_in(status)
    before = timezone.now()

    rescind_offer(offer, by=hiring_manager)

    offer = reload(offer)
    assert (offer.status, offer.closed_by) == (Status.RESCINDED, hiring_manager)
    assert before <= offer.closed_at <= timezone.now()


@pytest.mark.parametrize("status", [Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT])
def test_an_offer_expires_only_once_past_its_expiry(offer_in, status):
    offer = offer_in(status)

    with pytest.raises(OfferError) as refused:
        expire_offer(offer)

    assert refused.value.messages == [f"The offer runs until {offer.expires_at:%d %b %Y %H:%M}."]
    assert reload(offer).status == status

    move_expiry_to_the_past(offer)
    expire_offer(offer)  # by the reminder scan: nobody

    offer = reload(offer)
    assert (offer.status, offer.closed_by) == (Status.EXPIRED, None)
    assert offer.closed_at is not None


# --- Revising and editing ------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT])
def test_a_revision_is_the_next_version_and_the_old_one_stays_as_it_was(
    offer_in, hiring_manager, status
):
    old = offer_in(status)
    package, sent_rate = old.to_package(), old.sent_rate
    before = timezone.now()

    new = revise_offer(
        old,
        by=hiring_manager,
        terms=offer_terms(base_salary=Decimal(450_000), signing_payments=[(0, 2 * M)]),
    )

    new, old = reload(new), reload(old)
    assert (new.version, new.status, new.revises, new.drafted_by) == (
        2,
        Status.DRAFT,
        old,
        hiring_manager,
    )
    assert before <= new.drafted_at <= timezone.now()
    assert new.base_salary == Decimal(450_000)
    assert [(p.month, p.amount) for p in new.payments.all()] == [(0, 2 * M)]
    assert old.status == Status.SUPERSEDED
    assert (old.version, old.base_salary, old.sent_rate) == (1, Decimal(400_000), sent_rate)
    assert old.to_package() == package


def test_a_revision_without_new_terms_copies_every_component(application, recruiter):
    offer = draft(
        application,
        recruiter,
        base_salary=2 * M,
        signing_payments=SIGNING_150M,
        signing_clawback_months=24,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS, cliff_months=6)],
        other=[("Visa costs", Decimal(20_000), 1)],
    )
    offer = submit_for_approval(offer, by=recruiter)

    new = revise_offer(offer, by=recruiter)

    assert reload(new).to_package() == reload(offer).to_package()
    assert EquityGrant.objects.count() == 2 and VestingYear.objects.count() == 8


def test_a_draft_is_edited_in_place(application, recruiter, hiring_manager):
    offer = draft(application, recruiter, signing_payments=SIGNING_150M)

    update_draft(
        offer,
        offer_terms(base_salary=Decimal(450_000), equity=[EquityTerms(4 * M, EVEN_4_YEARS)]),
        by=hiring_manager,
    )

    offer = reload(offer)
    assert (offer.version, offer.status, offer.base_salary) == (1, Status.DRAFT, 450_000)
    assert not offer.payments.exists()
    assert offer.equity_grants.get().value == 4 * M
    assert Offer.objects.count() == 1


# --- The approval rules, one condition at a time -------------------------------------------


def submitted(application, recruiter, **changes) -> Offer:  # type: ignore[no-untyped-def]
    return reload(submit_for_approval(draft(application, recruiter, **changes), by=recruiter))


def reasons(offer: Offer) -> list[str]:
    return [a.reason for a in offer.approvals.all()]


@pytest.mark.parametrize(
    ("base", "needed"),
    [
        (Decimal(2_000_000), False),  # at the band's max: within it
        (Decimal("2000000.01"), True),
        (Decimal(400_000), False),  # below the band
    ],
)
def test_total_above_the_band_max_needs_approval(application, recruiter, base, needed):
    ApprovalRuleFactory(name="Above band", condition=Condition.TOTAL_ABOVE_BAND_MAX)

    offer = submitted(application, recruiter, base_salary=base)

    if needed:
        assert offer.status == Status.PENDING_APPROVAL
        assert reasons(offer) == ["total compensation above the band's max (1.43× target)"]
    else:
        assert offer.status == Status.APPROVED
        assert reasons(offer) == []


def test_the_band_is_compared_in_its_own_currency(recruiter):
    # A European senior scientist's band is in euros: total max €1,101,000.
    ApprovalRuleFactory(name="Above band", condition=Condition.TOTAL_ABOVE_BAND_MAX)
    role = RoleFactory(level="senior", zone=Role.Zone.EUROPE)

    # $1.2M is €1,016,400; $1.3M is €1,101,100.
    within = submitted(ApplicationFactory(role=role), recruiter, base_salary=Decimal(1_200_000))
    above = submitted(ApplicationFactory(role=role), recruiter, base_salary=Decimal(1_300_000))

    assert within.status == Status.APPROVED
    assert above.status == Status.PENDING_APPROVAL
    assert reasons(above) == ["total compensation above the band's max (1.43× target)"]


def test_a_role_without_a_band_is_never_above_it(recruiter):
    ApprovalRuleFactory(name="Above band", condition=Condition.TOTAL_ABOVE_BAND_MAX)
    role = RoleFactory(level="junior")

    offer = submitted(ApplicationFactory(role=role), recruiter, base_salary=10 * M)

    assert offer.status == Status.APPROVED


@pytest.mark.parametrize(
    ("currency", "signing", "reason"),
    [
        ("USD", 150 * M, "signing bonus 150,000,000.00 USD ≥ 150,000,000.00"),
        ("USD", Decimal("149999999.99"), None),
        # €127.05M is $150M at 0.847; "about €127M" is just under it.
        ("EUR", Decimal(127_050_000), "signing bonus 150,000,000.00 USD ≥ 150,000,000.00"),
        ("EUR", Decimal(127_000_000), None),
    ],
    ids=["$150M", "a cent under $150M", "€127.05M", "€127M"],
)
def test_a_signing_bonus_at_or_above_an_amount_in_dollars_needs_approval(
    application, recruiter, currency, signing, reason
):
    ApprovalRuleFactory(
        name="Nine-figure signing", condition=Condition.SIGNING_AT_OR_ABOVE, amount=150 * M
    )

    offer = submitted(application, recruiter, currency=currency, signing_payments=[(0, signing)])

    assert reasons(offer) == ([reason] if reason else [])
    assert offer.status == (Status.PENDING_APPROVAL if reason else Status.APPROVED)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (20 * M, "equity 20,000,000.00 USD ≥ 20,000,000.00"),
        (Decimal("19999999.99"), None),
    ],
)
def test_equity_at_or_above_an_amount_needs_approval(application, recruiter, value, reason):
    ApprovalRuleFactory(name="Big equity", condition=Condition.EQUITY_AT_OR_ABOVE, amount=20 * M)

    offer = submitted(application, recruiter, equity=[EquityTerms(value, EVEN_4_YEARS)])

    assert reasons(offer) == ([reason] if reason else [])


def test_every_retention_offer_needs_approval(recruiter, role, application):
    ApprovalRuleFactory(name="Retention", condition=Condition.RETENTION_OFFER)
    employee = CandidateFactory(relationship=Candidate.Relationship.EMPLOYEE)
    keep = draft_offer(
        ApplicationFactory(candidate=employee, role=role),
        offer_terms(retention_payments=[(0, M)]),
        by=recruiter,
        kind=Offer.Kind.RETENTION,
    )

    retention = reload(submit_for_approval(keep, by=recruiter))
    new_hire = submitted(application, recruiter)

    assert (retention.status, reasons(retention)) == (
        Status.PENDING_APPROVAL,
        ["a retention offer"],
    )
    assert (new_hire.status, reasons(new_hire)) == (Status.APPROVED, [])


def test_every_offer_in_a_given_currency_needs_approval(recruiter, role, application):
    ApprovalRuleFactory(name="Euro offers", condition=Condition.CURRENCY_IS, currency_id="EUR")

    in_euros = submitted(ApplicationFactory(role=role), recruiter, currency="EUR")
    in_dollars = submitted(application, recruiter)

    assert (in_euros.status, reasons(in_euros)) == (Status.PENDING_APPROVAL, ["an offer in EUR"])
    assert (in_dollars.status, reasons(in_dollars)) == (Status.APPROVED, [])


def test_an_inactive_rule_is_ignored(application, recruiter):
    ApprovalRuleFactory(
        name="Old rule", condition=Condition.CURRENCY_IS, currency_id="USD", active=False
    )

    assert submitted(application, recruiter).status == Status.APPROVED


# --- Groups and the permission -------------------------------------------------------------


def test_the_groups_exist_after_migrate_and_both_see_compensation(
    recruiter, approver, hiring_manager, outsider
):
    permission = Permission.objects.get(
        content_type__app_label="offers", codename="view_compensation"
    )

    assert set(permission.group_set.values_list("name", flat=True)) == {
        "Recruiters",
        APPROVER_GROUP,
    }
    assert recruiter.has_perm("offers.view_compensation")
    assert approver.has_perm("offers.view_compensation")
    assert not hiring_manager.has_perm("offers.view_compensation")
    assert not outsider.has_perm("offers.view_compensation")
    # Recruiters draft offers; approvers decide approvals but do not edit offers.
    assert recruiter.has_perm("offers.add_offer") and not recruiter.has_perm(
        "offers.change_approval"
    )
    assert approver.has_perm("offers.change_approval") and not approver.has_perm(
        "offers.change_offer"
    )


# --- History -------------------------------------------------------------------------------


def test_every_change_to_an_offer_is_kept_with_who_and_when(
    application, recruiter, approver, approvers
):
    ApprovalRuleFactory(name="Dollar offers", condition=Condition.CURRENCY_IS, currency_id="USD")
    start = timezone.now()
    with acting_as(recruiter):
        offer = draft(application, recruiter)
        submit_for_approval(offer, by=recruiter)
    with acting_as(approver):
        approve_offer(offer, by=approver)
    with acting_as(recruiter):
        send_offer(offer, by=recruiter)

    records = list(reload(offer).history.order_by("history_date", "history_id"))

    assert [(r.history_type, r.status, r.history_user) for r in records] == [
        ("+", Status.DRAFT, recruiter),
        ("~", Status.PENDING_APPROVAL, recruiter),
        ("~", Status.APPROVED, approver),
        ("~", Status.SENT, recruiter),
    ]
    dates = [r.history_date for r in records]
    assert start <= dates[0] and dates == sorted(dates) and dates[-1] <= timezone.now()


def test_every_change_to_the_components_is_kept_with_who(application, recruiter, hiring_manager):
    with acting_as(recruiter):
        offer = draft(
            application,
            recruiter,
            signing_payments=[(0, 5 * M), (12, 5 * M)],
            equity=[EquityTerms(4 * M, EVEN_4_YEARS)],
            other=[("Visa costs", Decimal(20_000), 1)],
        )
    grant = offer.equity_grants.get()
    with acting_as(hiring_manager):
        update_draft(offer, offer_terms(signing_payments=[(0, 8 * M)]), by=hiring_manager)

    # In the order they happened; rows deleted together in no particular order among them.
    payments = OfferPayment.history.filter(offer_id=offer.pk).order_by("history_id")
    rows = [(p.history_type, p.month, p.amount, p.history_user) for p in payments]
    assert rows[:2] == [("+", 0, 5 * M, recruiter), ("+", 12, 5 * M, recruiter)]
    assert sorted(rows[2:4]) == [("-", 0, 5 * M, hiring_manager), ("-", 12, 5 * M, hiring_manager)]
    assert rows[4:] == [("+", 0, 8 * M, hiring_manager)]
    years = VestingYear.history.filter(grant_id=grant.pk).order_by("history_id")
    rows = [(y.history_type, y.year, y.history_user) for y in years]
    assert rows[:4] == [("+", year, recruiter) for year in (1, 2, 3, 4)]
    assert sorted(rows[4:]) == [("-", year, hiring_manager) for year in (1, 2, 3, 4)]
    others = OtherAmount.history.filter(offer_id=offer.pk).order_by("history_id")
    assert [(o.history_type, o.name, o.history_user) for o in others] == [
        ("+", "Visa costs", recruiter),
        ("-", "Visa costs", hiring_manager),
    ]
    grants = EquityGrant.history.filter(id=grant.pk).order_by("history_id")
    assert [(g.history_type, g.history_user) for g in grants] == [
        ("+", recruiter),
        ("-", hiring_manager),
    ]


def test_who_took_each_step_is_in_the_offers_history_outside_a_web_request(
    application, recruiter, approver
):
    offer = draft(application, recruiter)

    submit_for_approval(offer, by=recruiter)

    users = [h.history_user for h in offer.history.order_by("history_date")]
    assert users and set(users) == {recruiter}
    assert {h.history_user for h in OfferPayment.history.filter(offer_id=offer.pk)} <= {recruiter}


def test_the_drafter_hears_of_a_rejection_at_once(pending, recruiter, approver):
    from recruiting.alerts.models import Alert

    reject_offer(pending, by=approver, comment="Pay it over 5 years, not 4.")

    alert = Alert.objects.get(kind="offer_rejected")
    candidate = pending.application.candidate
    assert alert.recipient == recruiter
    assert alert.subject.startswith(f"Ava Approver rejected offer v1 to {candidate.name} (")
    assert alert.context["message"] == (
        f"{APPROVER_GROUP} rejected it: “Pay it over 5 years, not 4.” The offer is back in "
        "draft: change it and submit it again."
    )
    assert alert.link == pending.get_absolute_url()
