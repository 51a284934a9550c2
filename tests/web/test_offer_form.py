"""The offer form: drafting an offer with its components, changing a draft, revising a sent
offer into a new version, refusals shown on the field they name with what was typed kept, rows
added with htmx (or without JavaScript), and the live preview (year-by-year totals, the band,
the gap to competing offers) against hand-computed figures. Nothing is saved but by "Save"."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.models import CompetingOffer, EquityGrant, Offer, OfferPayment
from offers.page_forms import OfferForm, PackageForms
from offers.services import send_offer, submit_for_approval
from offers.terms import EquityTerms, OfferError
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

MINUTES = "%Y-%m-%dT%H:%M"
EVEN_4_YEARS = [25, 25, 25, 25]


@pytest.fixture(autouse=True)
def market(db):  # type: ignore[no-untyped-def]
    build_market()


@pytest.fixture
def role(hiring_manager):  # type: ignore[no-untyped-def]
    """Senior research scientist in Silicon Valley: base band $300k–$450k (target $375k),
    total $900k–$2M a year (target $1.4M)."""
    return RoleFactory(
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
    )


@pytest.fixture
def application(recruiter, role):  # type: ignore[no-untyped-def]
    return ApplicationFactory(
        candidate=CandidateFactory(name="Ada Lovelace", owner=recruiter), role=role
    )


def rows(prefix: str, typed: list[dict], *, initial: int = 0) -> dict[str, str]:
    """A formset's POST data: its management form and its rows as typed."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(typed)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(typed):
        data |= {f"{prefix}-{index}-{name}": str(value) for name, value in row.items()}
    return data


def years(vesting: list[int | str]) -> dict[str, str]:
    """A grant's years as its row sends them (prefixed with the row's own prefix by `rows`):
    one row per year shown, each filled in."""
    return rows("years", [{"percentage": p} for p in vesting], initial=len(vesting))


# The blank row each formset shows, sent back untouched.
BLANK = {
    "payments": {"kind": "signing", "month": "0", "amount": ""},
    "equity": {
        "kind": "rsu",
        "value": "",
        "cliff_months": "12",
        "frequency": "quarterly",
        **years(EVEN_4_YEARS),
    },
    "other": {"name": "", "amount": "", "year": "1"},
}


def offer_data(*, payments=(), equity=(), other=(), initial=None, **fields):  # type: ignore[no-untyped-def]
    """What the form sends: the offer's fields (a $400k base by default) and each formset's
    rows, followed by the blank row the page shows."""
    data = {
        "kind": "new_hire",
        "currency": "USD",
        "start_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "expires_at": (timezone.now() + timedelta(days=14)).strftime(MINUTES),
        "base_salary": "400000",
        "target_bonus_percent": "0",
        "relocation": "0",
        "signing_clawback_months": "0",
        "retention_clawback_months": "0",
        **{name: str(value) for name, value in fields.items()},
    }
    initial = initial or {}
    for prefix, typed in (("payments", payments), ("equity", equity), ("other", other)):
        data |= rows(prefix, [*typed, BLANK[prefix]], initial=initial.get(prefix, 0))
    return data


def payment(kind="signing", month=0, amount=100_000):  # type: ignore[no-untyped-def]
    return {"kind": kind, "month": month, "amount": amount}


def grant(value=1_000_000, vesting=EVEN_4_YEARS, cliff=12, frequency="quarterly", kind="rsu"):  # type: ignore[no-untyped-def]
    return {
        "kind": kind,
        "value": value,
        "cliff_months": cliff,
        "frequency": frequency,
        **years(vesting),
    }


def cells(html: str, section: str, row: str) -> list[str]:
    """The amounts of a row (by its heading; the last cell is the total) of the table in the
    element with id `section`."""
    start = html.index(f'id="{section}"')
    table = html[start : html.index("</table>", start)]
    match = re.search(rf'<th scope="row"[^>]*>\s*{re.escape(row)}\s*</th>(.*?)</tr>', table, re.S)
    assert match, f"no row {row!r} in #{section}"
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def year_values(html: str, grant: str) -> list[str]:
    """The percentages shown in a grant's year rows (`grant` its prefix, as equity-0)."""
    return re.findall(rf'name="{re.escape(grant)}-years-\d+-percentage" value="([^"]*)"', html)


def error_on(html: str, field_id: str) -> str:
    """The error crispy shows under a field (Bootstrap's invalid-feedback), as text; for a
    grant's years (equity-0-years), the error shown above them."""
    if field_id.endswith("-years"):
        match = re.search(rf'id="{re.escape(field_id)}-errors">\s*<ul[^>]*><li>(.*?)</li>', html)
        assert match, f"no error shown on {field_id}"
        return match.group(1).replace("&#x27;", "'").replace("&quot;", '"')
    match = re.search(
        rf'<(?:span|p) id="error_\d+_{re.escape(field_id)}"><strong>(.*?)</strong>',
        html,
        re.S,
    )
    assert match, f"no error shown on {field_id}"
    return match.group(1).replace("&#x27;", "'").replace("&quot;", '"')


# --- Drafting ------------------------------------------------------------------------------------


def test_the_form_has_every_component_and_the_live_preview(
    recruiter_client, application, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        page = recruiter_client.get(reverse("offers:draft", args=[application.pk]))

    html = page.content.decode()
    for name in (
        "kind",
        "currency",
        "start_date",
        "expires_at",
        "base_salary",
        "target_bonus_percent",
        "relocation",
        "signing_clawback_months",
        "retention_clawback_months",
        "payments-0-kind",
        "payments-0-month",
        "payments-0-amount",
        "equity-0-kind",
        "equity-0-value",
        "equity-0-cliff_months",
        "equity-0-frequency",
        "equity-0-years-0-percentage",
        "equity-0-years-3-percentage",
        "other-0-name",
        "other-0-amount",
        "other-0-year",
    ):
        assert f'name="{name}"' in html, name
    assert f'hx-post="{reverse("offers:preview")}"' in html
    assert 'hx-trigger="input changed delay:400ms' in html
    # A new grant vests 25% a year over four years, a row per year.
    assert year_values(html, "equity-0") == ["25"] * 4
    assert "Year 4" in html and "Year 5" not in html
    assert "Add a year" in html
    assert '<option value="USD" selected>' in html  # the band's currency


def test_drafting_an_offer_with_an_instalment_and_a_grant_saves_exactly_those_rows(
    recruiter_client, recruiter, application, django_assert_max_num_queries
):
    data = offer_data(
        payments=[payment(month=0, amount=100_000)],
        equity=[grant(value=1_000_000, vesting=[40, 30, 20, 10], cliff=12, frequency="monthly")],
        signing_clawback_months=12,
    )

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data, follow=False)

    offer = Offer.objects.get()
    assert page.status_code == 302
    assert page["Location"] == reverse("offers:detail", args=[offer.pk])
    assert (offer.version, offer.status, offer.kind) == (1, "draft", "new_hire")
    assert offer.drafted_by == recruiter
    assert (offer.base_salary, offer.signing_clawback_months) == (Decimal(400_000), 12)
    assert [(p.kind, p.month, p.amount) for p in OfferPayment.objects.all()] == [
        ("signing", 0, Decimal(100_000))
    ]
    grant_row = EquityGrant.objects.get()
    assert (grant_row.offer, grant_row.value, grant_row.cliff_months, grant_row.frequency) == (
        offer,
        Decimal(1_000_000),
        12,
        "monthly",
    )
    assert [y.percentage for y in grant_row.vesting_years.all()] == [40, 30, 20, 10]
    assert not offer.other_amounts.exists()
    assert [str(m) for m in get_messages(page.wsgi_request)] == ["Offer v1 drafted."]


def test_a_new_offer_to_an_application_with_an_open_one_is_refused_at_the_top(
    recruiter_client, recruiter, application
):
    OfferFactory(application=application, drafted_by=recruiter)

    # The page leads to the open offer instead of a form that cannot be saved...
    page = recruiter_client.get(reverse("offers:draft", args=[application.pk]))
    assert page["Location"] == reverse("offers:edit", args=[Offer.objects.get().pk])
    # ...and a form posted anyway says why, at the top, with nothing saved.
    page = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]), offer_data(base_salary=999_000)
    )

    assert page.status_code == 200
    assert "This application already has an open offer; revise it instead." in (
        page.context["package"].form.non_field_errors()
    )
    assert 'value="999000"' in page.content.decode()
    assert Offer.objects.count() == 1


def test_a_retention_offer_to_someone_not_an_employee_is_refused_on_the_kind(
    recruiter_client, application
):
    page = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]), offer_data(kind="retention")
    )

    assert (
        error_on(page.content.decode(), "id_kind")
        == "A retention offer is for one of our employees."
    )
    assert not Offer.objects.exists()


def test_an_employee_is_offered_a_retention_offer_by_default(recruiter_client, role, recruiter):
    employee = CandidateFactory(owner=recruiter, relationship=Candidate.Relationship.EMPLOYEE)
    application = ApplicationFactory(candidate=employee, role=role)

    html = recruiter_client.get(reverse("offers:draft", args=[application.pk])).content.decode()

    assert '<option value="retention" selected>' in html


# --- Refusals: on the field, what was typed kept, nothing saved ----------------------------------


@pytest.mark.parametrize(
    ("typed", "field_id", "message", "kept"),
    [
        (
            {"equity": [grant(vesting=[30, 30, 30])]},
            "equity-0-years",
            "The yearly vesting percentages add up to 90%, not 100%.",
            'name="equity-0-years-2-percentage" value="30"',
        ),
        (
            {"payments": [payment(month=-1, amount=250_000)]},
            "id_payments-0-month",
            "A payment cannot be made before the start: month 0 is the start date.",
            'value="-1"',
        ),
        (
            {"expires_at": "2020-01-01T09:30"},
            "id_expires_at",
            "The expiry must be in the future.",
            'value="2020-01-01T09:30"',
        ),
        (
            {"currency": "XYZ"},
            "id_currency",
            "“XYZ” is not a currency Closer knows.",
            'value="1234567.89"',
        ),
        (
            {"equity": [grant(cliff=60)]},
            "id_equity-0-cliff_months",
            "A cliff of 60 months is longer than the 4-year vesting horizon.",
            'value="60"',
        ),
    ],
    ids=["vesting-90", "month-minus-1", "expiry-past", "unknown-currency", "cliff-too-long"],
)
def test_bad_input_is_shown_on_its_field_with_what_was_typed_kept_and_nothing_saved(
    recruiter_client, application, typed, field_id, message, kept
):
    data = offer_data(base_salary="1234567.89", relocation="25000", **typed)

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert page.status_code == 200
    assert error_on(html, field_id) == message
    assert kept in html
    assert 'value="1234567.89"' in html and 'value="25000"' in html  # the rest as typed too
    assert "Nothing was saved: 1 thing to fix below." in html
    assert not Offer.objects.exists()
    assert not OfferPayment.objects.exists() and not EquityGrant.objects.exists()


def test_a_removed_row_is_left_out_and_a_blank_new_row_ignored(recruiter_client, application):
    data = offer_data(payments=[payment(month=0, amount=50_000), payment(month=12, amount=70_000)])
    data["payments-1-DELETE"] = "on"  # only initial rows have the box; here the second is ticked
    data["payments-INITIAL_FORMS"] = "2"

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 302
    assert [(p.month, p.amount) for p in OfferPayment.objects.all()] == [(0, Decimal(50_000))]


def test_a_refusal_about_a_component_is_shown_on_its_rows_and_any_other_at_the_top():
    forms = PackageForms(OfferForm, offer_data(payments=[payment()]), new=True)
    assert forms.is_valid()

    forms.add_service_errors(
        OfferError(
            {
                "signing_bonus": "A clawback period is between 0 and 600 months.",
                "cliff_months": "A cliff cannot be negative.",
                "horizon": "This package pays over 5 years.",
                "expires_at": "The expiry must be in the future.",
            }
        )
    )

    assert forms.payments.non_form_errors() == [
        "Signing bonus: A clawback period is between 0 and 600 months."
    ]
    assert forms.equity.non_form_errors() == ["Equity cliff: A cliff cannot be negative."]
    assert forms.form.non_field_errors() == ["Horizon: This package pays over 5 years."]
    assert forms.form.errors["expires_at"] == ["The expiry must be in the future."]
    assert forms.problems() == [
        "Horizon: This package pays over 5 years.",
        "Offer expires: The expiry must be in the future.",
        "Bonus instalments: Signing bonus: A clawback period is between 0 and 600 months.",
        "Equity grants: Equity cliff: A cliff cannot be negative.",
    ]


# --- Adding a row -------------------------------------------------------------------------------


def test_htmx_adds_an_empty_row_with_the_next_count_and_button(recruiter_client, application):
    page = recruiter_client.get(
        reverse("offers:draft", args=[application.pk]),
        {"add_row": "equity", "index": "2"},
        headers={"HX-Request": "true"},
    )

    html = page.content.decode()
    assert 'id="equity-2-row"' in html and 'name="equity-2-value"' in html
    assert year_values(html, "equity-2") == ["25"] * 4
    assert (
        '<input type="hidden" name="equity-TOTAL_FORMS" value="3" id="id_equity-TOTAL_FORMS" '
        'hx-swap-oob="true">' in html
    )
    assert "add_row=equity&amp;index=3" in html and 'hx-swap-oob="true">Add a grant' in html
    assert 'name="equity-2-DELETE"' not in html  # a new row is left blank, not removed


def test_without_javascript_adding_a_row_reposts_the_form_with_one_more_and_saves_nothing(
    recruiter_client, application
):
    data = offer_data(payments=[payment(amount=80_000)]) | {"add_row": "payments"}

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="payments-2-amount"' in html  # the typed row, the blank row, one more
    assert 'value="80000"' in html
    assert not Offer.objects.exists()


# --- A grant's years ----------------------------------------------------------------------------


def test_a_grant_vesting_over_three_years_saves_those_three_years(recruiter_client, application):
    data = offer_data(equity=[grant(vesting=[40, 30, 30])])

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 302
    grant_row = EquityGrant.objects.get()
    assert [(y.year, y.percentage) for y in grant_row.vesting_years.all()] == [
        (1, 40),
        (2, 30),
        (3, 30),
    ]


def test_a_year_ticked_for_removal_is_left_out(recruiter_client, application):
    data = offer_data(equity=[grant(vesting=[40, 30, 30, 25])])
    data["equity-0-years-3-DELETE"] = "on"

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 302
    assert [y.percentage for y in EquityGrant.objects.get().vesting_years.all()] == [40, 30, 30]


def test_years_not_adding_up_are_refused_on_that_grant_and_nothing_is_saved(
    recruiter_client, application
):
    data = offer_data(equity=[grant(value=500_000), grant(vesting=[40, 30, 20])])

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    message = "The yearly vesting percentages add up to 90%, not 100%."
    assert error_on(html, "equity-1-years") == message
    first = html[html.index('id="equity-0-row"') : html.index('id="equity-1-row"')]
    second = html[html.index('id="equity-1-row"') : html.index('id="equity-2-row"')]
    assert message in second and message not in first
    assert year_values(html, "equity-1") == ["40", "30", "20"]  # as typed
    assert "Equity grants, row 2, vesting per year (%): " + message in html
    assert "Nothing was saved: 1 thing to fix below." in html
    assert not Offer.objects.exists() and not EquityGrant.objects.exists()


def test_a_year_beyond_100_percent_is_refused_on_that_year(recruiter_client, application):
    data = offer_data(equity=[grant(vesting=[150, -50])])

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert error_on(html, "id_equity-0-years-0-percentage") == "A year vests at most 100%."
    assert error_on(html, "id_equity-0-years-1-percentage") == (
        "A year cannot vest a negative percentage."
    )
    assert "Equity grants, row 1, year 1: A year vests at most 100%." in html
    assert not Offer.objects.exists()


def test_editing_an_offer_shows_each_grant_s_years_as_rows(
    recruiter_client, recruiter, application
):
    offer = OfferFactory(
        application=application,
        drafted_by=recruiter,
        equity=[
            EquityTerms(Decimal(800_000), [Decimal(40), Decimal(30), Decimal(30)]),
            EquityTerms(Decimal(100_000), [Decimal(50), Decimal(50)]),
        ],
    )

    html = recruiter_client.get(reverse("offers:edit", args=[offer.pk])).content.decode()

    assert year_values(html, "equity-0") == ["40.00", "30.00", "30.00"]
    assert year_values(html, "equity-1") == ["50.00", "50.00"]
    assert year_values(html, "equity-2") == ["25"] * 4  # the blank grant shown below
    first = html[html.index('id="equity-0-row"') : html.index('id="equity-1-row"')]
    assert "Year 3" in first and "Year 4" not in first


def test_htmx_adds_a_year_to_a_grant_with_the_next_count_and_button(recruiter_client, application):
    page = recruiter_client.get(
        reverse("offers:draft", args=[application.pk]),
        {"add_row": "equity-0-years", "index": "4"},
        headers={"HX-Request": "true"},
    )

    html = page.content.decode()
    assert html.count('class="year-row') == 1
    assert 'id="equity-0-years-4-row"' in html and 'name="equity-0-years-4-percentage"' in html
    assert "Year 5" in html
    assert (
        '<input type="hidden" name="equity-0-years-TOTAL_FORMS" value="5" '
        'id="id_equity-0-years-TOTAL_FORMS" hx-swap-oob="true">' in html
    )
    assert "add_row=equity-0-years&amp;index=5" in html and "Add a year" in html
    # A year of no grant, or past the longest schedule, is no page.
    for prefix, index in (("equity-x-years", "4"), ("equity-0-years", "50")):
        page = recruiter_client.get(
            reverse("offers:draft", args=[application.pk]), {"add_row": prefix, "index": index}
        )
        assert page.status_code == 404


def test_a_year_added_and_left_blank_is_ignored(recruiter_client, application):
    data = offer_data(equity=[grant(vesting=[25, 25, 25, 25])])
    data |= {"equity-0-years-TOTAL_FORMS": "5", "equity-0-years-4-percentage": ""}

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 302
    assert [y.percentage for y in EquityGrant.objects.get().vesting_years.all()] == [25] * 4


def test_without_javascript_adding_a_year_reposts_the_form_with_one_more(
    recruiter_client, application
):
    data = offer_data(equity=[grant(vesting=[40, 30, 30])]) | {"add_row": "equity-0-years"}

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert page.status_code == 200
    assert year_values(html, "equity-0") == ["40", "30", "30"]
    assert 'name="equity-0-years-3-percentage"' in html and "Year 4" in html
    assert not Offer.objects.exists()


# --- Changing an offer -----------------------------------------------------------------------


def test_editing_a_draft_changes_it_in_place(recruiter_client, recruiter, application):
    offer = OfferFactory(
        application=application,
        drafted_by=recruiter,
        equity=[EquityTerms(Decimal(800_000), [Decimal(25)] * 4)],
    )
    page = recruiter_client.get(reverse("offers:edit", args=[offer.pk]))
    html = page.content.decode()
    assert 'value="400000.00"' in html and 'value="800000.00"' in html
    assert 'name="kind"' not in html  # a version keeps its kind

    data = offer_data(equity=[grant(value=900_000)], base_salary=420_000, initial={"equity": 1})
    del data["kind"]
    page = recruiter_client.post(reverse("offers:edit", args=[offer.pk]), data)

    offer.refresh_from_db()
    assert page["Location"] == reverse("offers:detail", args=[offer.pk])
    assert (offer.version, offer.status, offer.base_salary) == (1, "draft", Decimal(420_000))
    assert [g.value for g in offer.equity_grants.all()] == [Decimal(900_000)]


def test_editing_a_sent_offer_makes_version_2_and_supersedes_version_1(
    recruiter_client, recruiter, application
):
    first = OfferFactory(application=application, drafted_by=recruiter)
    submit_for_approval(first, by=recruiter)  # no rule applies: approved at once
    send_offer(first, by=recruiter)
    page = recruiter_client.get(reverse("offers:edit", args=[first.pk]))
    assert "Saving makes version 2" in page.content.decode()

    data = offer_data(base_salary=440_000, payments=[payment(amount=150_000)])
    del data["kind"]
    page = recruiter_client.post(reverse("offers:edit", args=[first.pk]), data)

    first.refresh_from_db()
    second = Offer.objects.get(version=2)
    assert page["Location"] == reverse("offers:detail", args=[second.pk])
    assert first.status == "superseded"
    assert (first.base_salary, first.payments.count()) == (Decimal(400_000), 0)  # as it was
    assert (second.status, second.revises, second.base_salary) == ("draft", first, Decimal(440_000))
    assert [(p.month, p.amount) for p in second.payments.all()] == [(0, Decimal(150_000))]
    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        "Saved as version 2; version 1 is superseded."
    ]


def test_a_refused_revision_leaves_the_sent_offer_as_it_was(
    recruiter_client, recruiter, application
):
    first = OfferFactory(application=application, drafted_by=recruiter)
    submit_for_approval(first, by=recruiter)
    send_offer(first, by=recruiter)
    data = offer_data(expires_at=(timezone.now() - timedelta(days=1)).strftime(MINUTES))
    del data["kind"]

    page = recruiter_client.post(reverse("offers:edit", args=[first.pk]), data)

    first.refresh_from_db()
    assert error_on(page.content.decode(), "id_expires_at") == "The expiry must be in the future."
    assert first.status == "sent" and Offer.objects.count() == 1


def test_a_closed_offer_is_not_edited(recruiter_client, recruiter, application):
    first = OfferFactory(application=application, drafted_by=recruiter)
    submit_for_approval(first, by=recruiter)
    send_offer(first, by=recruiter)
    Offer.objects.filter(pk=first.pk).update(status="declined")

    page = recruiter_client.get(reverse("offers:edit", args=[first.pk]))

    assert page["Location"] == reverse("offers:detail", args=[first.pk])


def test_the_edit_page_reads_an_offer_with_many_rows_in_a_bounded_number_of_queries(
    recruiter_client, recruiter, application, django_assert_max_num_queries
):
    offer = OfferFactory(
        application=application,
        drafted_by=recruiter,
        signing_payments=[(m, Decimal(10_000)) for m in range(0, 48, 6)],
        equity=[EquityTerms(Decimal(100_000 * i), [Decimal(25)] * 4) for i in range(1, 9)],
        other=[(f"Allowance {i}", Decimal(1_000), 1) for i in range(8)],
    )

    with django_assert_max_num_queries(12):
        page = recruiter_client.get(reverse("offers:edit", args=[offer.pk]))

    assert page.content.decode().count('class="formset-row') == 8 + 8 + 8 + 3


# --- Who may --------------------------------------------------------------------------------


def test_an_outsider_gets_404_everywhere(client, outsider, recruiter, application):
    offer = OfferFactory(application=application, drafted_by=recruiter)
    client.force_login(outsider)

    assert client.get(reverse("offers:draft", args=[application.pk])).status_code == 404
    assert (
        client.post(reverse("offers:draft", args=[application.pk]), offer_data()).status_code == 404
    )
    assert client.get(reverse("offers:edit", args=[offer.pk])).status_code == 404
    assert (
        client.post(reverse("offers:preview"), offer_data(application=application.pk)).status_code
        == 404
    )
    assert client.post(reverse("offers:preview"), offer_data(offer=offer.pk)).status_code == 404
    assert Offer.objects.count() == 1


def test_a_hiring_manager_sees_the_application_but_may_not_draft(
    client, hiring_manager, recruiter, application
):
    offer = OfferFactory(application=application, drafted_by=recruiter)
    client.force_login(hiring_manager)

    assert client.get(reverse("offers:draft", args=[application.pk])).status_code == 404
    assert client.get(reverse("offers:edit", args=[offer.pk])).status_code == 404
    # No amount for someone without view_compensation, even typed by themselves.
    preview = client.post(reverse("offers:preview"), offer_data(application=application.pk))
    assert preview.status_code == 404 and b"400,000" not in preview.content


def test_signing_in_is_needed(client, application):
    page = client.get(reverse("offers:draft", args=[application.pk]))

    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))


# --- The live preview ----------------------------------------------------------------------------


def preview(client, application, **typed):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("offers:preview"),
        offer_data(application=application.pk, **typed),
        headers={"HX-Request": "true"},
    )


def test_the_preview_shows_the_year_by_year_totals_the_band_and_the_gap(
    recruiter_client, recruiter, application, django_assert_max_num_queries
):
    helix = CompanyFactory(name="Helix Intelligence")
    record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            base_salary=Decimal(900_000),
            deadline=timezone.now() + timedelta(days=5),
        ),
        by=recruiter,
    )
    # $400k base, a 10% bonus ($40k a year), $100k signing at the start, $1M of RSUs over four
    # years (25% a year, a 1-year cliff, quarterly) and $20k relocation. By hand:
    #   year 1: 400,000 + 40,000 + 100,000 + 250,000 + 20,000 = 810,000
    #   years 2–4: 400,000 + 40,000 + 250,000 = 690,000
    #   total 810,000 + 3 × 690,000 = 2,880,000; annual average 720,000.
    typed = dict(
        target_bonus_percent=10,
        relocation=20_000,
        payments=[payment(month=0, amount=100_000)],
        equity=[grant(value=1_000_000)],
    )

    with django_assert_max_num_queries(16):
        page = preview(recruiter_client, application, **typed)

    html = page.content.decode()
    assert cells(html, "preview-years", "Base salary") == ["400,000"] * 4 + ["1,600,000"]
    assert cells(html, "preview-years", "Signing bonus") == ["100,000", "0", "0", "0", "100,000"]
    assert cells(html, "preview-years", "Equity") == ["250,000"] * 4 + ["1,000,000"]
    assert cells(html, "preview-years", "Total") == ["810,000"] + ["690,000"] * 3 + ["2,880,000"]
    assert "720,000 USD" in html  # the annual average
    assert 'id="preview-reporting"' not in html  # already in the reporting currency
    # The band: $720k a year is below $900k–$2M, 720/1,400 = 0.51 of the target; the base,
    # $400k, within $300k–$450k at 400/375 = 1.07.
    band = html[html.index('id="preview-band"') :]
    assert "Below the band</span>\n            0.51× target" in band
    assert "Within the band</span>\n            1.07× target" in band
    # Helix pays $900k a year: 90,000 more in year one (of our 810,000: 11.1%) and 180,000 more
    # on average (of 720,000: 25.0%).
    row = html[html.index(f'id="rival-{CompetingOffer.objects.get().pk}"') :]
    assert "They pay 90,000 USD more (11.1%)" in row
    assert "They pay 180,000 USD more (25.0%)" in row
    assert (
        not Offer.objects.exists() and not OfferPayment.objects.filter(offer__isnull=False).exists()
    )


def test_the_preview_shows_an_offer_in_euros_in_dollars_too(recruiter_client, application):
    page = preview(recruiter_client, application, currency="EUR", base_salary=400_000)

    html = page.content.decode()
    assert cells(html, "preview-years", "Base salary") == ["400,000", "400,000"]
    # 400,000 EUR at 0.847 EUR per USD: 400,000 / 0.847 = 472,255.0177 → 472,255.02 USD.
    assert cells(html, "preview-reporting", "Base salary") == ["472,255.02", "472,255.02"]


def test_the_preview_shows_bad_input_as_a_message_not_an_error_page(recruiter_client, application):
    page = preview(recruiter_client, application, equity=[grant(vesting=[30, 30, 30])])
    assert page.status_code == 200
    assert (
        "Equity grants, row 1, vesting per year (%): The yearly vesting percentages add up to "
        "90%, not 100%." in page.content.decode()
    )

    page = preview(recruiter_client, application, currency="XYZ", base_salary="abc")
    html = page.content.decode()
    assert "Currency: “XYZ” is not a currency Closer knows." in html
    assert "Annual base salary: Enter a number." in html

    # A date being typed does not stop the totals.
    page = preview(recruiter_client, application, expires_at="2026-13-", start_date="")
    assert 'id="preview-years"' in page.content.decode()

    # Nor does a currency with no rate make an error page.
    page = preview(recruiter_client, application, currency="CHF")
    assert "No CHF→USD exchange rate is known" in page.content.decode()
    assert not Offer.objects.exists()


def test_the_preview_of_an_offer_being_changed_leaves_it_as_it_is(
    recruiter_client, recruiter, application
):
    offer = OfferFactory(application=application, drafted_by=recruiter)

    page = preview(recruiter_client, application, offer=offer.pk, base_salary=500_000)

    offer.refresh_from_db()
    assert cells(page.content.decode(), "preview-years", "Base salary") == ["500,000", "500,000"]
    assert offer.base_salary == Decimal(400_000)


def test_the_preview_compares_with_many_competing_offers_in_a_bounded_number_of_queries(
    recruiter_client, recruiter, application, django_assert_max_num_queries
):
    for n in range(6):
        record_competing_offer(
            application.candidate,
            CompetingTerms(
                competitor=CompanyFactory(),
                application=application,
                currency="EUR" if n % 2 else "USD",
                base_salary=Decimal(300_000 + 10_000 * n),
                signing_payments=[(0, Decimal(50_000))],
                equity=[EquityTerms(Decimal(400_000), [Decimal(25)] * 4)],
                other=[("Housing", Decimal(10_000), 1)],
                deadline=timezone.now() + timedelta(days=3 + n),
            ),
            by=UserFactory(),
        )

    with django_assert_max_num_queries(16):
        page = preview(recruiter_client, application)

    assert page.content.decode().count('id="rival-') == 6


def test_the_preview_is_post_only(recruiter_client):
    assert recruiter_client.get(reverse("offers:preview")).status_code == 405


def test_every_mistake_the_fields_can_tell_shows_at_once(recruiter_client, application):
    data = offer_data(base_salary="-1", target_bonus_percent="250", equity=[grant(vesting=[10])])

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    html = page.content.decode()
    assert error_on(html, "id_base_salary") == "An amount cannot be negative."
    assert error_on(html, "id_target_bonus_percent") == "A target bonus is at most 200% of base."
    assert error_on(html, "equity-0-years").startswith("The yearly vesting percentages add up")
    assert "Nothing was saved: 3 things to fix below." in html
    assert not Offer.objects.exists()
