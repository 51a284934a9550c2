"""Competing offers in the admin: recording and editing them through the services (bad input
refused on its field), the page's comparison with our offer, its fit and counter-offer, who sees
amounts, the candidate list's filters, the candidate and application pages, and the list's
queries."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate, Company
from offers.competition import CompetingTerms, record_competing_offer, standing
from offers.counter import suggest_counter_offer
from offers.demo import build_market
from offers.models import CompetingOffer, EquityGrant, Offer, OfferPayment, OtherAmount, VestingYear
from offers.terms import EquityTerms
from recruiting.pipeline.models import Role
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("admin:offers_competingoffer_changelist")
ADD = reverse("admin:offers_competingoffer_add")
CANDIDATES = reverse("admin:candidates_candidate_changelist")
K = Decimal(1000)
EVEN_4_YEARS = [Decimal(25)] * 4

# Session, user, permissions (2), the competitor filter's choices, the count, the page (its
# candidates, competitors, roles and our offers joined), the components of the competing offers
# and of our offers they are compared with (payments, grants, vesting years, other amounts:
# 4 each), the rates. A query per row would break it.
CHANGELIST_QUERIES = 16


@pytest.fixture(autouse=True)
def market(db):  # type: ignore[no-untyped-def]
    """USD and EUR at 0.847 EUR per USD (DESIGN.md), and the bands."""
    build_market()


@pytest.fixture
def role():  # type: ignore[no-untyped-def]
    return RoleFactory(
        title="Senior Research Scientist",
        city="San Francisco",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        rating_team_lead=5,
        rating_research_freedom=2,
        rating_publishing=5,
    )


@pytest.fixture
def helix():  # type: ignore[no-untyped-def]
    return CompanyFactory(
        name="Helix Intelligence",
        kind=Company.Kind.COMPETITOR,
        rating_team_lead=3,
        rating_research_freedom=5,
        rating_publishing=1,
    )


@pytest.fixture
def ada(recruiter):  # type: ignore[no-untyped-def]
    return CandidateFactory(
        name="Ada Lovelace",
        owner=recruiter,
        motivator_team_lead=5,
        motivator_publishing=4,
        motivator_research_freedom=3,
    )


@pytest.fixture
def application(ada, role):  # type: ignore[no-untyped-def]
    return ApplicationFactory(candidate=ada, role=role)


@pytest.fixture
def our_offer(application, recruiter):  # type: ignore[no-untyped-def]
    """$400k base and a $100k signing bonus at the start: year one $500k, then $400k a year."""
    return OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=400 * K,
        signing_payments=[(0, 100 * K)],
    )


def terms(competitor, application=None, **changes) -> CompetingTerms:  # type: ignore[no-untyped-def]
    fields = dict(
        competitor=competitor,
        application=application,
        currency="USD",
        deadline=timezone.now() + timedelta(days=5),
        confidence=CompetingOffer.Confidence.WRITTEN,
        source="The candidate",
    )
    return CompetingTerms(**{**fields, **changes})


def record(candidate, competitor, by, application=None, **changes) -> CompetingOffer:  # type: ignore[no-untyped-def]
    return record_competing_offer(candidate, terms(competitor, application, **changes), by=by)


@pytest.fixture
def theirs(ada, application, helix, recruiter, our_offer):  # type: ignore[no-untyped-def]
    """In euros: a €381,150 base ($450,000 at 0.847) and €677,600 of RSUs ($800,000) vesting
    25% a year: $650,000 every year of the four. Against our offer: +$150,000 in year one."""
    return record(
        ada,
        helix,
        recruiter,
        application,
        currency="EUR",
        base_salary=Decimal(381_150),
        equity=[EquityTerms(Decimal(677_600), EVEN_4_YEARS)],
        notes="Told us €381,150 base and €677,600 of RSUs.",
    )


def change_url(competing: CompetingOffer) -> str:
    return reverse("admin:offers_competingoffer_change", args=[competing.pk])


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text: tags dropped, entities decoded, whitespace collapsed."""
    assert response.status_code == 200
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def saved_rows() -> dict[str, int]:
    models = (CompetingOffer, OfferPayment, EquityGrant, VestingYear, OtherAmount)
    return {model.__name__: model.objects.count() for model in models} | {
        "history": CompetingOffer.history.count()
    }


def errors_by_field(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
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
def add_form(recruiter_client, admin_form_data, ada, application, helix):  # type: ignore[no-untyped-def]
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
            {"currency": "GBP"},
            "currency",
            "No GBP→USD exchange rate is known",
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
    recruiter_client, add_form, values, field, message
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


# --- The page: the comparison, the fit, the counter-offer ----------------------------------


def test_the_page_compares_it_with_our_latest_offer_in_dollars(recruiter_client, theirs):
    page = text_of(recruiter_client.get(change_url(theirs)))

    # Ours: $500k in year one ($400k base + $100k signing), then $400k: $1.7M over the four
    # years of their grant, $425k a year. Theirs: $650k every year, $2.6M.
    assert "Against our latest offer: version 1, draft" in page
    assert "Year one 500,000.00 USD 650,000.00 USD +150,000.00 USD +30.0%" in page  # 150 / 500
    assert "Annual average 425,000.00 USD 650,000.00 USD +225,000.00 USD +52.9%" in page
    assert (
        "Horizon total (4 years) 1,700,000.00 USD 2,600,000.00 USD +900,000.00 USD +52.9%" in page
    )
    # Year one's gap: their equity ($200k), our signing bonus (−$100k), their base (+$50k).
    assert (
        "Equity: +200,000.00 USD Signing bonus: −100,000.00 USD Base salary: +50,000.00 USD" in page
    )
    assert "They are ahead of our offer on year one" in page


def test_the_page_shows_the_summary_and_the_fit_with_what_the_candidate_weighs(
    recruiter_client, theirs
):
    page = text_of(recruiter_client.get(change_url(theirs)))

    # Rated on both sides: team lead (ours 5, theirs 3; Ada weighs it 5), publishing (5 and 1;
    # 4) and research freedom (2 and 5; 3). Ours: (25 + 20 + 6) / 60 = 85%; theirs:
    # (15 + 4 + 15) / 60 = 56.7%, 57.
    assert (
        "Helix Intelligence pays 30.0% more (150,000 USD) in year one; we win on team lead "
        "reputation and publishing policy; they win on research freedom." in page
    )
    assert "Ours 85 / 100, theirs 57 / 100." in page
    assert "We win on: team lead reputation, publishing policy" in page
    assert "They win on: research freedom" in page


def test_the_page_says_so_when_we_have_made_no_offer(recruiter_client, ada, helix, recruiter):
    competing = record(ada, helix, recruiter, base_salary=Decimal(500_000))

    page = text_of(recruiter_client.get(change_url(competing)))

    assert "We have made no offer yet; Helix Intelligence offers 500,000 USD" in page
    assert "We have made no offer to counter with" in page
    assert "No role to compare with" in page


def test_the_page_shows_the_counter_offer_suggestion(recruiter_client, theirs, our_offer):
    suggestion = suggest_counter_offer(our_offer)

    response = recruiter_client.get(change_url(theirs))
    page = text_of(response)

    assert suggestion.beats and suggestion.changes
    assert suggestion.message in page
    lever, amount = suggestion.changes[0]
    assert f"+{amount:,.2f} USD" in page
    assert 'value="Create draft from suggestion"' in response.content.decode()


def test_a_draft_is_made_from_the_suggestion_and_opened(
    recruiter_client, recruiter, theirs, our_offer
):
    url = reverse("admin:offers_competingoffer_counter", args=[theirs.pk])

    response = recruiter_client.post(url, follow=True)

    offer = Offer.objects.filter(application=our_offer.application).latest("drafted_at")
    assert response.redirect_chain[-1][0] == reverse("admin:offers_offer_change", args=[offer.pk])
    assert any("from the counter-offer suggestion" in m for m in messages_of(response))
    assert offer.status == Offer.Status.DRAFT
    # The draft now beats theirs on year one, by the margin.
    assert not standing(theirs, ours=offer).ahead


def test_a_user_who_may_not_draft_offers_gets_no_button_and_cannot_post(client, theirs):
    viewer = staff_who_may_view(compensation=True)
    client.force_login(viewer)

    page = client.get(change_url(theirs)).content.decode()
    response = client.post(reverse("admin:offers_competingoffer_counter", args=[theirs.pk]))

    assert "Create draft from suggestion" not in page
    assert response.status_code == 403


def test_a_currency_without_a_rate_shows_why_instead_of_failing(
    recruiter_client, recruiter, theirs
):
    CompetingOffer.objects.filter(pk=theirs.pk).update(currency="GBP")

    assert "No GBP→USD exchange rate" in text_of(recruiter_client.get(change_url(theirs)))
    assert "no rate" in text_of(recruiter_client.get(LIST))


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


# --- The candidate list --------------------------------------------------------------------


def test_the_candidate_list_filters_on_competing_offers_ahead_and_deadlines_near(
    recruiter_client, recruiter, role, helix
):
    def candidate(name: str, *, ours: Decimal | None = None):  # type: ignore[no-untyped-def]
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


# --- Who sees amounts ----------------------------------------------------------------------

VIEW_PERMISSIONS = [
    "view_competingoffer",
    "view_offer",
    "view_offerpayment",
    "view_equitygrant",
    "view_vestingyear",
    "view_otheramount",
    "view_candidate",
    # Someone who moves applications through the pipeline (a view-only application page
    # fails in the pipeline's ApplicationAdmin.get_form, which expects its stage field).
    "change_application",
]


def staff_who_may_view(*, compensation: bool):  # type: ignore[no-untyped-def]
    user = UserFactory(username=f"viewer_{compensation}".lower())
    codenames = VIEW_PERMISSIONS + (["view_compensation"] if compensation else [])
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def pages_showing_amounts(competing: CompetingOffer) -> list[str]:
    record = competing.history.first()
    return [
        LIST,
        change_url(competing),
        reverse("admin:offers_competingoffer_history", args=[competing.pk]),
        reverse(
            "admin:offers_competingoffer_simple_history", args=[competing.pk, record.history_id]
        ),
        reverse("admin:candidates_candidate_change", args=[competing.candidate_id]),
        reverse("admin:pipeline_application_change", args=[competing.application_id]),
    ]


# Their base and grant (and the notes quoting them), in euros and dollars; the comparison's
# figures and percentages.
AMOUNTS = (
    "381,150",
    "381150",
    "677,600",
    "677600",
    "450,000",
    "650,000",
    "150,000",
    "225,000",
    "2,600,000",
    "30.0%",
    "52.9%",
)


def test_without_view_compensation_no_amount_is_shown_anywhere(client, theirs):
    client.force_login(staff_who_may_view(compensation=False))

    for url in pages_showing_amounts(theirs):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert not [amount for amount in AMOUNTS if amount in page], url
    page = text_of(client.get(change_url(theirs)))
    assert "hidden" in page
    # Who is ahead, and why, in words.
    assert "Helix Intelligence pays more than we do in year one; we win on team lead" in page
    assert "Equity: theirs higher" in page
    assert "Counter-offer" not in page
    history = text_of(client.get(reverse("admin:offers_competingoffer_history", args=[theirs.pk])))
    assert "hidden" in history


def test_with_view_compensation_the_amounts_are_shown(client, theirs):
    client.force_login(staff_who_may_view(compensation=True))

    for url in pages_showing_amounts(theirs):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert [amount for amount in AMOUNTS if amount in page], url


def test_without_view_compensation_competing_offers_are_read_only(client, theirs):
    user = staff_who_may_view(compensation=False)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_competingoffer", "change_competingoffer"])
    )
    client.force_login(user)

    assert client.get(ADD).status_code == 403
    page = client.get(reverse("admin:candidates_candidate_change", args=[theirs.candidate_id]))
    assert "Add competing offer" not in page.content.decode()


# --- What employers offer beyond pay -------------------------------------------------------


def test_a_company_and_a_role_are_rated_on_what_they_offer_beyond_pay(
    client, superuser, admin_form_data, helix, role
):
    client.force_login(superuser)
    company_url = reverse("admin:candidates_company_change", args=[helix.pk])
    role_url = reverse("admin:pipeline_role_change", args=[role.pk])

    company_page = client.get(company_url)
    role_page = client.get(role_url)
    data = admin_form_data(company_page)
    data["rating_ethics_impact"] = "4"
    response = client.post(company_url, data)

    assert "What they offer beyond pay" in text_of(company_page)
    assert "What this role offers beyond pay" in text_of(role_page)
    assert response.status_code == 302
    helix.refresh_from_db()
    assert helix.rating_ethics_impact == 4
