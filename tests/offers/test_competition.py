"""Competing offers: recording them (and refusing bad input), the comparison with our latest
offer and the fit beyond money, against hand-computed cases; the counter-offer suggestion and
the draft made from it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from candidates.models import Company
from offers import compensation as engine
from offers.competition import (
    CompetingTerms,
    record_competing_offer,
    refresh_standing,
    standing,
    update_competing_offer,
)
from offers.counter import draft_from_suggestion, suggest_counter_offer
from offers.demo import build_market
from offers.models import CompetingOffer, EquityGrant, Offer, OfferPayment
from offers.services import revise_offer, send_offer, submit_for_approval
from offers.terms import EquityTerms, OfferError
from recruiting.pipeline.models import Role
from tests.factories import (
    UNRATED,
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
    offer_terms,
    unrated_currency,
)

pytestmark = pytest.mark.django_db

M = Decimal(1_000_000)
EVEN_4_YEARS = [Decimal(25)] * 4
# $150M paid in 4 instalments of $37.5M, at the start and on each anniversary.
SIGNING_150M = [(month, Decimal("37500000")) for month in (0, 12, 24, 36)]


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def role():
    """Senior research scientist in Silicon Valley: base band $300k–$450k, total $900k–$2M."""
    return RoleFactory(
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        rating_team_lead=5,
        rating_work_quality=4,
        rating_research_freedom=2,
        rating_publishing=5,
    )


@pytest.fixture
def helix():
    return CompanyFactory(
        name="Helix Intelligence",
        kind=Company.Kind.COMPETITOR,
        rating_team_lead=3,
        rating_work_quality=4,
        rating_research_freedom=5,
        rating_publishing=1,
    )


@pytest.fixture
def ada(recruiter):
    return CandidateFactory(
        name="Ada Lovelace",
        owner=recruiter,
        motivator_pay=5,
        motivator_team_lead=4,
        motivator_work_quality=3,
        motivator_research_freedom=2,
        motivator_publishing=5,
    )


@pytest.fixture
def application(ada, role):
    return ApplicationFactory(candidate=ada, role=role)


def competing_terms(competitor, application=None, **changes):
    fields = dict(
        competitor=competitor,
        application=application,
        currency="USD",
        deadline=timezone.now() + timedelta(days=5),
        confidence=CompetingOffer.Confidence.WRITTEN,
        source="The candidate",
    )
    return CompetingTerms(**{**fields, **changes})


def record(application, competitor, by, **changes):
    return record_competing_offer(
        application.candidate, competing_terms(competitor, application, **changes), by=by
    )


# --- The comparison ----------------------------------------------------------------------------


def test_a_150m_signing_bonus_over_4_years_against_2m_base_and_8m_equity_a_year(
    application, helix, recruiter
):
    ours = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=2 * M,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS)],
    )
    theirs = record(application, helix, recruiter, signing_payments=SIGNING_150M)

    result = standing(theirs)

    assert result.ours == ours
    assert result.money.years == 4
    # Ours: $2M base + $8M vesting each year. Theirs: $37.5M each year.
    assert result.money.ours.yearly_totals == (10 * M,) * 4
    assert result.money.theirs.yearly_totals == (Decimal("37500000"),) * 4
    assert (result.money.year_one.ours, result.money.year_one.theirs) == (
        10 * M,
        Decimal("37500000"),
    )
    assert result.money.year_one.amount == Decimal("27500000")
    assert result.money.year_one.percent == Decimal("275.0")
    assert (result.money.annual_average.ours, result.money.annual_average.theirs) == (
        10 * M,
        Decimal("37500000"),
    )
    assert (result.money.total.ours, result.money.total.theirs) == (40 * M, 150 * M)
    assert result.money.total.amount == 110 * M
    assert result.drivers() == [
        ("signing bonus", Decimal("37500000")),
        ("equity", -8 * M),
        ("base salary", -2 * M),
    ]
    assert result.ahead
    theirs.refresh_from_db()
    assert theirs.ahead and theirs.compared_with == ours


def test_the_comparison_says_who_pays_more_and_where_we_win_beyond_money(
    application, helix, recruiter
):
    OfferFactory(application=application, drafted_by=recruiter, base_salary=1 * M)
    theirs = record(application, helix, recruiter, base_salary=Decimal(1_200_000))

    result = standing(theirs)

    # Rated on both sides: team lead (weight 4), work quality (3), research freedom (2),
    # publishing (5): 14 in all. Ours 4×5 + 3×4 + 2×2 + 5×5 = 61 of 70; theirs 4×3 + 3×4 +
    # 2×5 + 5×1 = 39 of 70.
    assert (result.fit.ours, result.fit.theirs) == (87, 56)
    assert result.fit.we_win_on == ("publishing", "team_lead")
    assert result.fit.they_win_on == ()  # research freedom weighs 2: it does not matter to Ada
    assert result.summary == (
        "Helix Intelligence pays 20.0% more (200,000 USD) in year one; we win on publishing "
        "policy and team lead reputation."
    )


def test_a_competing_offer_in_euros_is_compared_in_the_reporting_currency(
    application, helix, recruiter
):
    OfferFactory(application=application, drafted_by=recruiter, base_salary=1 * M)
    theirs = record(application, helix, recruiter, currency="EUR", base_salary=Decimal(847_000))

    result = standing(theirs)

    assert result.money.year_one.theirs == 1 * M  # 847,000 EUR at 0.847 EUR per USD
    assert result.money.year_one.amount == 0
    assert not result.ahead
    # Every conversion says its rate and the rate's date.
    assert result.conversions == ("1.180638 USD per EUR, the rate of 1 Nov 2025",)


def test_with_no_offer_of_ours_a_competing_offer_is_ahead(application, helix, recruiter):
    theirs = record(application, helix, recruiter, base_salary=Decimal(500_000))

    result = standing(theirs)

    assert result.ours is None and result.ahead
    assert result.summary.startswith("We have made no offer yet; Helix Intelligence offers")


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            lambda: {"deadline": timezone.now() - timedelta(hours=1)},
            "deadline",
            "The decision deadline must be in the future.",
        ),
        (
            lambda: {"currency": unrated_currency()},
            "currency",
            # Worked out when the test runs, not when it is collected (a run across midnight).
            lambda: (
                f"No {UNRATED}→USD exchange rate is known on or before "
                f"{timezone.localdate():%d %b %Y}; an administrator adds one under Offers → "
                "Exchange rates."
            ),
        ),
        (
            lambda: {"equity": [EquityTerms(4 * M, [Decimal(25)] * 3)]},
            "vesting",
            "The yearly vesting percentages add up to 75%, not 100%.",
        ),
        (
            lambda: {"base_salary": Decimal(-1)},
            "base_salary",
            "An amount cannot be negative.",
        ),
    ],
    ids=["deadline in the past", "currency with no rate", "vesting not 100%", "negative base"],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    application, helix, recruiter, changes, field, message
):
    with pytest.raises(OfferError) as refused:
        record(application, helix, recruiter, **{"base_salary": M, **changes()})

    message = message() if callable(message) else message
    assert refused.value.message_dict == {field: [message]}
    assert not CompetingOffer.objects.exists()
    assert not OfferPayment.objects.exists() and not EquityGrant.objects.exists()


def test_our_own_company_is_no_competitor(application, recruiter):
    ours = CompanyFactory(name="Closer Labs", kind=Company.Kind.OURS)

    with pytest.raises(OfferError) as refused:
        record(application, ours, recruiter, base_salary=M)

    assert refused.value.message_dict == {
        "competitor": ["Closer Labs is our own company, not a competitor."]
    }
    assert not CompetingOffer.objects.exists()


def test_an_application_of_someone_else_is_refused(application, helix, recruiter, role):
    other = ApplicationFactory(role=role)

    with pytest.raises(OfferError) as refused:
        record_competing_offer(
            application.candidate, competing_terms(helix, other, base_salary=M), by=recruiter
        )

    assert refused.value.message_dict == {
        "application": ["This application is not Ada Lovelace's; pick one of theirs."]
    }


def test_an_update_keeps_its_history_and_its_components(application, helix, recruiter):
    theirs = record(application, helix, recruiter, base_salary=M, signing_payments=[(0, M)])

    update_competing_offer(
        theirs,
        competing_terms(helix, application, base_salary=M, signing_payments=[(0, 3 * M)]),
        by=recruiter,
    )

    theirs.refresh_from_db()
    assert [p.amount for p in theirs.payments.all()] == [3 * M]
    assert theirs.history.count() == 2


# --- The counter-offer suggestion ------------------------------------------------------------


def test_the_suggestion_adds_signing_bonus_first_to_beat_year_one_by_the_margin(
    application, helix, recruiter
):
    ours = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=2 * M,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS)],
    )
    record(application, helix, recruiter, signing_payments=SIGNING_150M)
    ApprovalRuleFactory(name="Big signing", condition="signing_at_or_above", amount=10 * M)

    suggestion = suggest_counter_offer(
        ours, measure="year_one", margin_percent=Decimal(5), within_band=False
    )

    # Their year one is $37.5M; 5% more is $39,375,000; ours is $10M: $29,375,000 of signing
    # bonus, paid at the start, on year one alone. But over four years they pay $150M and we
    # would pay $40M + $29,375,000: more than 5% short. On the four-year total, 5% over $150M
    # is $157.5M: $117,500,000 of signing bonus, which wins year one as well.
    assert suggestion.alone == (("signing_bonus", Decimal("29375000")),)
    assert suggestion.changes == (("signing_bonus", Decimal("117500000")),)
    assert suggestion.terms.signing_payments == [(0, Decimal("117500000"))]
    assert suggestion.beats
    assert suggestion.after.ours == Decimal("127500000")
    assert suggestion.after.amount == Decimal("-90000000")
    assert suggestion.after_money.four_year_total.ours == Decimal("157500000")
    assert [rule.name for rule, _ in suggestion.approvals] == ["Big signing"]


def test_within_the_band_the_suggestion_says_it_falls_short(application, helix, recruiter):
    ours = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=2 * M,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS)],
    )
    record(application, helix, recruiter, signing_payments=SIGNING_150M)

    suggestion = suggest_counter_offer(ours, measure="year_one", margin_percent=Decimal(5))

    # Our $10M a year is already far above the band's $2M max total: nothing more fits.
    assert suggestion.changes == ()
    assert not suggestion.beats
    # Still short with the margin: 5% over their $37.5M year one is $39,375,000, $29,375,000
    # over our $10M; 5% over their $150M of four years is $157.5M, $117.5M over our $40M.
    assert suggestion.short_by == (
        (engine.Measure.YEAR_ONE, Decimal("29375000.00")),
        (engine.Measure.FOUR_YEAR_TOTAL, Decimal("117500000.00")),
    )
    assert suggestion.message == (
        "Nothing more fits in the band: still short of beating Helix Intelligence (the "
        "strongest credible competing offer) by the 5% margin within the band: 29,375,000 USD "
        "on year one; 117,500,000 USD on four-year total. Allow going above the band to beat it."
    )


def test_on_the_annual_average_a_signing_bonus_counts_over_the_horizon(
    application, helix, recruiter
):
    ours = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=Decimal(400_000),
        equity=[EquityTerms(Decimal(1_600_000), EVEN_4_YEARS)],
    )
    record(
        application,
        helix,
        recruiter,
        base_salary=Decimal(500_000),
        equity=[EquityTerms(Decimal(2_400_000), EVEN_4_YEARS)],
    )

    suggestion = suggest_counter_offer(ours, measure="annual_average", margin_percent=Decimal(5))

    # Theirs averages $1.1M a year, ours $800k: the goal is $1,155,000, $355,000 a year more,
    # which a signing bonus spread over 4 years gives at $1,420,000.
    assert suggestion.changes == (("signing_bonus", Decimal(1_420_000)),)
    assert suggestion.after.ours == Decimal(1_155_000)
    assert suggestion.beats and suggestion.within_band


def test_the_band_caps_the_base_and_the_next_lever_takes_the_rest(application, helix, recruiter):
    ours = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=Decimal(400_000),
        equity=[EquityTerms(Decimal(1_600_000), EVEN_4_YEARS)],
    )
    record(
        application,
        helix,
        recruiter,
        base_salary=Decimal(450_000),
        signing_payments=[(0, Decimal(1_500_000))],
        equity=[EquityTerms(Decimal(2_400_000), EVEN_4_YEARS)],
    )

    suggestion = suggest_counter_offer(
        ours,
        measure="year_one",
        margin_percent=Decimal(5),
        order=("base_salary", "signing_bonus"),
    )

    # Their year one: 450k + 1.5M + 600k = $2,550,000; the goal $2,677,500; ours $800k. The
    # base goes to the band's max base, $450k (+$50k), and the signing bonus covers the other
    # $1,827,500, rounded up to $1,828,000: on year one alone.
    assert suggestion.alone == (
        ("base_salary", Decimal(50_000)),
        ("signing_bonus", Decimal(1_828_000)),
    )
    # Over four years that is 4 × 450k + 1,828,000 + 1.6M = $5,228,000 against their
    # 4 × 450k + 1.5M + 2.4M = $5.7M: more than 5% short. The four-year goal is $5,985,000:
    # $2,585,000 of signing bonus beside the base at its max. On the band basis that is
    # 450k + 400k + 2,585,000 / 4 = $1,496,250 a year, under the band's $2M max.
    assert suggestion.changes == (
        ("base_salary", Decimal(50_000)),
        ("signing_bonus", Decimal(2_585_000)),
    )
    assert suggestion.after.ours == Decimal(3_435_000)
    assert suggestion.after_money.four_year_total.ours == Decimal(5_985_000)
    assert suggestion.beats


def test_a_suggestion_for_an_offer_that_already_wins_changes_nothing(application, helix, recruiter):
    ours = OfferFactory(application=application, drafted_by=recruiter, base_salary=2 * M)
    record(application, helix, recruiter, base_salary=M)

    suggestion = suggest_counter_offer(ours)

    assert suggestion.terms is None and suggestion.beats
    assert suggestion.message.startswith("Our offer already beats Helix Intelligence by")


def test_with_no_live_competing_offer_there_is_nothing_to_suggest(application, recruiter):
    ours = OfferFactory(application=application, drafted_by=recruiter)

    with pytest.raises(OfferError, match="no competing offer"):
        suggest_counter_offer(ours)


def test_a_suggestion_becomes_the_next_version_of_a_sent_offer(application, helix, recruiter):
    ours = OfferFactory(application=application, drafted_by=recruiter, base_salary=Decimal(400_000))
    submit_for_approval(ours, by=recruiter)  # no rule applies: approved at once
    send_offer(ours, by=recruiter)
    theirs = record(application, helix, recruiter, base_salary=Decimal(450_000))
    assert theirs.ahead

    new = draft_from_suggestion(
        suggest_counter_offer(ours, margin_percent=Decimal(10)), by=recruiter
    )

    ours.refresh_from_db()
    # Once "create draft from suggestion" superseded the sent version at once, though the
    # candidate could still accept it: it stands until version 2 is sent.
    assert ours.status == Offer.Status.SENT
    assert (new.version, new.status, new.revises) == (2, Offer.Status.DRAFT, ours)
    # Their $450k and 10%: $495k; ours $400k: $95,000 of signing bonus at the start.
    assert [(p.kind, p.month, p.amount) for p in new.payments.all()] == [
        ("signing", 0, Decimal(95_000))
    ]
    # A draft the candidate has not seen puts us ahead of nobody: until it is sent, Helix is
    # weighed against the offer the candidate holds.
    theirs.refresh_from_db()
    assert theirs.ahead and theirs.compared_with == ours
    submit_for_approval(new, by=recruiter)
    send_offer(new, by=recruiter)
    refresh_standing(theirs, alert=False)
    assert not theirs.ahead and theirs.compared_with == new


def test_the_year_one_measure_is_what_the_engine_says(application, helix, recruiter):
    # The measure names map to the engine's: a typo in settings is refused, not ignored.
    assert engine.Measure("year_one").label == "year one"
    assert engine.Measure("annual_average").label == "annual average"
    with pytest.raises(ValueError):
        engine.Measure("year one")


def test_an_employees_outside_offer_flags_them_and_the_counter_is_a_retention_bonus(
    helix, recruiter, role
):
    tina = CandidateFactory(name="Tina Garcia", owner=recruiter, relationship="employee")
    ours = OfferFactory(
        application=ApplicationFactory(candidate=tina, role=role),
        drafted_by=recruiter,
        kind=Offer.Kind.RETENTION,
        base_salary=Decimal(520_000),
    )

    outside = record_competing_offer(
        tina, competing_terms(helix, base_salary=Decimal(650_000)), by=recruiter
    )
    suggestion = suggest_counter_offer(ours, measure="year_one", margin_percent=Decimal(5))

    tina.refresh_from_db()
    assert outside.application is None and outside.compared_with == ours
    assert (tina.flight_risk, tina.flight_risk_reason) == (True, "outside_offer")
    # Their $650k and 5%: $682,500; ours $520k: $162,500 more, a retention bonus paid now,
    # rounded up to $163,000, on year one alone. Over four years they pay $2.6M and that
    # would pay $2,243,000, more than 5% short: 5% over $2.6M is $2.73M, a $650,000 bonus.
    assert suggestion.alone == (("retention_bonus", Decimal(163_000)),)
    assert suggestion.changes == (("retention_bonus", Decimal(650_000)),)
    assert suggestion.terms.retention_payments == [(0, Decimal(650_000))]
    assert suggestion.message.startswith("+650,000 USD retention bonus: beats Helix")
    # $650k is 1.25 years of her $520k: two years of clawback on the retention bonus.
    assert suggestion.terms.retention_clawback_months == 24


def test_when_we_pay_more_the_percentage_is_of_what_they_pay(application, helix, recruiter):
    OfferFactory(application=application, drafted_by=recruiter, base_salary=1 * M)
    theirs = record(application, helix, recruiter, base_salary=Decimal(800_000))

    # We pay 200,000 more than their 800,000: 25.0% more, not 20% (of ours).
    assert standing(theirs).summary.startswith("We pay 25.0% more (200,000 USD) in year one")


def test_a_suggestion_that_changes_nothing_drafts_nothing(application, helix, recruiter):
    ours = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=2 * M,
        equity=[EquityTerms(32 * M, EVEN_4_YEARS)],
    )
    record(application, helix, recruiter, signing_payments=SIGNING_150M)
    suggestion = suggest_counter_offer(ours)  # within the band: nothing fits

    with pytest.raises(OfferError, match="Nothing fits in the band"):
        draft_from_suggestion(suggestion, by=recruiter)

    ours.refresh_from_db()
    assert ours.status == Offer.Status.DRAFT and Offer.objects.count() == 1


def test_a_notes_edit_rewrites_no_component(application, helix, recruiter):
    theirs = record(application, helix, recruiter, base_salary=M, signing_payments=[(0, M)])
    payment = theirs.payments.get()

    update_competing_offer(
        theirs,
        competing_terms(
            helix, application, base_salary=M, signing_payments=[(0, M)], notes="Heard again"
        ),
        by=recruiter,
    )

    assert theirs.payments.get().pk == payment.pk  # the same row: nothing deleted, nothing new
    assert payment.history.count() == 1


def test_sending_our_revision_weighs_the_competing_offer_against_it(application, helix, recruiter):
    ours = OfferFactory(application=application, drafted_by=recruiter, base_salary=M)
    submit_for_approval(ours, by=recruiter)
    send_offer(ours, by=recruiter)
    theirs = record(application, helix, recruiter, base_salary=Decimal(1_200_000))
    new = revise_offer(ours, by=recruiter, terms=offer_terms(base_salary=Decimal(1_500_000)))
    submit_for_approval(new, by=recruiter)

    send_offer(new, by=recruiter)

    theirs.refresh_from_db()
    assert theirs.compared_with == new and not theirs.ahead


def test_a_rivals_shares_are_valued_at_the_rivals_own_price(application, helix, recruiter):
    # Helix's last tender: $260 a share. 20,000 Helix shares: $5,200,000, $1.3M a year.
    from datetime import timedelta

    from django.utils import timezone

    from offers.models import SharePrice

    SharePrice.objects.create(
        company=helix,
        basis="tender",
        price=Decimal(260),
        currency_id="USD",
        as_of=timezone.localdate() - timedelta(days=3),
        source="Reported secondary sale",
    )

    competing = record(
        application,
        helix,
        recruiter,
        equity_basis="tender",
        equity=[EquityTerms(None, [Decimal(25)] * 4, shares=Decimal(20_000))],
    )

    assert (competing.share_price, competing.share_price_source) == (
        Decimal("260.0000"),
        "Reported secondary sale",
    )
    assert competing.equity_grants.get().value == Decimal("5200000.00")


# --- Counter-offers over the whole deal ------------------------------------------------------


def ordinary_offer(application, recruiter):
    """$400k base, 15% target bonus, $3.2M of RSUs over four years, a $500k signing bonus
    repayable pro rata within 12 months."""
    return OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=Decimal(400_000),
        target_bonus_percent=Decimal(15),
        equity=[EquityTerms(Decimal(3_200_000), EVEN_4_YEARS)],
        signing_payments=[(0, Decimal(500_000))],
        signing_clawback_months=12,
    )


def meta_like(application, competitor, recruiter, **changes):
    """$2M base, $32M of RSUs over four years ($8M a year), a $100M signing bonus."""
    return record(
        application,
        competitor,
        recruiter,
        **{
            "base_salary": 2 * M,
            "equity": [EquityTerms(32 * M, EVEN_4_YEARS)],
            "signing_payments": [(0, 100 * M)],
            "signing_clawback_months": 12,
            **changes,
        },
    )


def test_a_counter_that_wins_year_one_but_loses_four_years_answers_on_the_total_too(
    application, helix, recruiter
):
    ours = ordinary_offer(application, recruiter)
    meta_like(application, helix, recruiter)

    suggestion = suggest_counter_offer(
        ours, measure="year_one", margin_percent=Decimal(5), within_band=False
    )

    # Ours: 400k + 60k + 800k + 500k = $1,760,000 in year one, $1,260,000 a year after:
    # $5,540,000 over four years. Theirs: 2M + 8M + 100M = $110M in year one, $10M a year
    # after: $140M over four years.
    # On year one alone: 5% over $110M is $115.5M, $113,740,000 of signing bonus; that makes
    # four years $119,280,000 against their $140M, $20,720,000 short: more than the margin.
    assert suggestion.alone == (("signing_bonus", Decimal(113_740_000)),)
    lost_on, lost_gap = suggestion.alone_lost
    assert lost_on == engine.Measure.FOUR_YEAR_TOTAL
    assert (lost_gap.ours, lost_gap.theirs) == (Decimal(119_280_000), 140 * M)
    # So it answers on the four-year total too: 5% over $140M is $147M, $141,460,000 more.
    assert suggestion.answered == (engine.Measure.YEAR_ONE, engine.Measure.FOUR_YEAR_TOTAL)
    assert suggestion.changes == (("signing_bonus", Decimal(141_460_000)),)
    assert suggestion.after_money.four_year_total.ours == 147 * M
    assert suggestion.after.ours == Decimal(143_220_000)  # year one: 1.76M + 141.46M
    assert suggestion.beats
    assert suggestion.message == (
        "+141,460,000 USD signing bonus: beats Helix Intelligence by the 5% margin or more on "
        "year one and four-year total. On year one alone, +113,740,000 USD signing bonus would "
        "do, but it would lose the four-year total by 20,720,000 USD (119,280,000 USD against "
        "140,000,000 USD): so the suggestion answers on the four-year total too."
    )
    # From year two, their $10M a year of recurring pay against our $1.26M: said plainly.
    assert suggestion.recurring_warning == (
        "From year two on, Helix Intelligence pays 10,000,000 USD a year of recurring pay "
        "(base, target bonus, equity) against 1,260,000 USD for the suggestion: the lead rests "
        "on one-time pay."
    )


def test_a_larger_signing_bonus_comes_with_a_clawback_in_proportion(application, helix, recruiter):
    ours = ordinary_offer(application, recruiter)
    meta_like(application, helix, recruiter)

    suggestion = suggest_counter_offer(
        ours, measure="year_one", margin_percent=Decimal(5), within_band=False
    )

    # $141,960,000 of signing bonus is 112.7 years of our $1,260,000 recurring pay: a year of
    # clawback for each, at most the 4-year band horizon: 48 months, pro rata from payment.
    proposal = suggestion.clawback
    assert proposal.months == 48
    assert proposal.terms == engine.Clawback.PRO_RATA_FROM_PAYMENT
    assert suggestion.clawback_text == (
        "The signing bonus of 141,960,000 USD is 112.7 years of recurring pay: proposed "
        "clawback 48 months, pro rata by month, counted from each payment (was 12 months, pro "
        "rata by month, counted from each payment)."
    )
    # Leaving in the first month repays it all; in month 1, 47/48 of it; in month 47, 1/48.
    assert proposal.repayments[0] == engine.RepaymentRow(0, 0, Decimal("141960000.00"))
    assert proposal.repayments[1] == engine.RepaymentRow(1, 1, Decimal("139002500.00"))
    assert proposal.repayments[-1] == engine.RepaymentRow(47, 47, Decimal("2957500.00"))
    # The draft made from it carries the clawback.
    assert suggestion.terms.signing_clawback_months == 48
    draft = draft_from_suggestion(suggestion, by=recruiter)
    assert (draft.signing_clawback_months, draft.signing_clawback) == (
        48,
        "pro_rata_from_payment",
    )
    # The whole deal: ours now, the suggestion, theirs, over years one to four.
    deal = suggestion.deal
    assert [side.label for side in deal.sides] == [
        "Our offer (v1)",
        "The suggestion",
        "Helix Intelligence",
    ]
    assert deal.sides[1].yearly == (
        Decimal("143220000.00"),
        Decimal("1260000.00"),
        Decimal("1260000.00"),
        Decimal("1260000.00"),
    )
    assert deal.sides[2].one_time == (100 * M, 0, 0, 0)
    assert deal.sides[2].exposure == engine.Exposure(100 * M, 12)


def test_a_small_signing_bonus_keeps_at_least_a_year_of_clawback(application, helix, recruiter):
    ours = ordinary_offer(application, recruiter)
    record(
        application, helix, recruiter, base_salary=Decimal(500_000), signing_payments=[(0, 2 * M)]
    )

    suggestion = suggest_counter_offer(
        ours, measure="year_one", margin_percent=Decimal(5), within_band=False
    )

    # Theirs: $2.5M in year one, $500k a year after ($4M over four years). 5% over $2.5M is
    # $2,625,000: $865,000 more signing bonus; four years then $6,405,000, no loss there.
    assert suggestion.changes == (("signing_bonus", Decimal(865_000)),)
    assert suggestion.alone == ()
    # $1,365,000 of signing bonus is 1.1 years of recurring pay: two years of clawback.
    assert suggestion.clawback.months == 24


def test_a_rumoured_offer_is_shown_not_answered(application, helix, recruiter):
    ours = ordinary_offer(application, recruiter)
    rumour = meta_like(application, helix, recruiter, confidence=CompetingOffer.Confidence.RUMOURED)
    orbit = CompanyFactory(name="Orbit Labs", kind=Company.Kind.COMPETITOR)
    record(
        application, orbit, recruiter, base_salary=Decimal(500_000), signing_payments=[(0, 2 * M)]
    )

    suggestion = suggest_counter_offer(ours, measure="year_one", margin_percent=Decimal(5))

    assert suggestion.target.competitor == orbit
    assert suggestion.not_answered == (rumour,)
    assert suggestion.changes == (("signing_bonus", Decimal(865_000)),)
    # Counting rumours, the $100M one is answered.
    counting = suggest_counter_offer(
        ours, measure="year_one", margin_percent=Decimal(5), lowest_certainty="rumoured"
    )
    assert counting.target == rumour


def test_with_only_rumours_there_is_nothing_credible_to_answer(application, helix, recruiter):
    ours = ordinary_offer(application, recruiter)
    meta_like(application, helix, recruiter, confidence=CompetingOffer.Confidence.RUMOURED)

    with pytest.raises(OfferError) as refused:
        suggest_counter_offer(ours)

    assert refused.value.message_dict["lowest_certainty"] == [
        "No competing offer with a deadline ahead is verbal or surer: Helix Intelligence "
        "(rumoured). Lower the certainty that counts to answer a less certain one."
    ]


def test_the_certainties_a_counter_offer_knows_are_the_competing_offers_own():
    from offers.counter_math import CERTAINTIES

    assert tuple(c.value for c in CompetingOffer.Confidence) == CERTAINTIES
