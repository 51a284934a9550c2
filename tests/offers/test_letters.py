"""The offer letter: a PDF whose text says who, what role, from when, what each year pays, how
the equity vests, when the bonuses are paid and clawed back, and which version of which date."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone
from pypdf import PdfReader

from offers.demo import build_market
from offers.letters import letter_filename, render_offer_letter
from offers.services import revise_offer, submit_for_approval
from offers.terms import EquityTerms
from tests.factories import ApplicationFactory, CandidateFactory, OfferFactory, RoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def version_2(recruiter, hiring_manager):
    """Version 2 of an offer to Ada Lovelace: $400k base, $1.6M of RSUs vesting 10/20/30/40%
    quarterly after a 12-month cliff, and a $150k signing bonus paid $100k at the start and
    $50k on the first anniversary, clawed back over 12 months."""
    application = ApplicationFactory(
        candidate=CandidateFactory(name="Ada Lovelace", owner=recruiter),
        role=RoleFactory(
            title="Research Scientist, Pre-training",
            team="Pre-training",
            city="San Francisco",
            hiring_manager=hiring_manager,
        ),
    )
    first = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=Decimal(400_000),
        equity=[
            EquityTerms(
                Decimal(1_600_000),
                [Decimal(10), Decimal(20), Decimal(30), Decimal(40)],
                cliff_months=12,
                frequency="quarterly",
            )
        ],
        signing_payments=[(0, Decimal(100_000)), (12, Decimal(50_000))],
        signing_clawback_months=12,
    )
    submit_for_approval(first, by=recruiter)  # no rule applies: approved at once
    return revise_offer(first, by=recruiter)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    """The text with its line breaks and runs of spaces made single spaces."""
    return re.sub(r"\s+", " ", text)


def test_the_letter_says_who_what_when_and_what_each_year_pays(version_2):
    pdf = render_offer_letter(version_2)

    assert pdf.startswith(b"%PDF-")
    text = squeezed(text_of(pdf))
    today = dateformat.format(timezone.localdate(), "j F Y")
    start = dateformat.format(version_2.start_date, "j F Y")
    assert "Dear Ada Lovelace" in text
    assert "Research Scientist, Pre-training" in text and "San Francisco" in text
    assert f"starting on {start}" in text
    assert f"Offer letter, version 2, dated {today}" in text
    # Year 1: 400k base + 10% of 1.6M (160k) + the 100k instalment = 660,000.
    # Year 2: 400k + 20% (320k) + 50k = 770,000. Year 3: 400k + 480k. Year 4: 400k + 640k.
    totals = re.search(r"Total ((?:[\d,]+\.\d\d ){5})", text + " ")
    assert totals, text
    assert totals.group(1).split() == [
        "660,000.00",
        "770,000.00",
        "880,000.00",
        "1,040,000.00",
        "3,350,000.00",
    ]
    assert "Total rewards (USD)" in text


def test_the_letter_gives_the_vesting_schedule_and_the_bonus_instalments(version_2):
    text = squeezed(text_of(render_offer_letter(version_2)))

    assert "Grant 1: RSUs worth 1,600,000.00 USD" in text
    assert "vesting quarterly after a 12-month cliff" in text
    for year, share, amount in (
        (1, "10%", "160,000.00"),
        (2, "20%", "320,000.00"),
        (3, "30%", "480,000.00"),
        (4, "40%", "640,000.00"),
    ):
        assert f"Year {year} {share} {amount}" in text
    assert "Signing bonus: 150,000.00 USD in total" in text
    assert "On the start date 100,000.00" in text
    assert "1 year after the start date 50,000.00" in text
    assert "if you leave within 12 months of each payment" in text
    # The repayment schedule: all of the $100k in the first month, 11/12 of it a month in;
    # in month 12 the $50k just paid, the first payment's clock run out; nothing from 24.
    for line in ("0: 100,000.00", "1: 91,666.67", "12: 50,000.00", "23: 4,166.67"):
        assert line in text
    assert "From 24 months after the start date on, nothing is repaid." in text
    assert "Draft: not approved, not for sending." in text  # version 2 is a new draft


def test_a_recruiter_downloads_the_letter_named_after_the_candidate_and_version(
    client, recruiter, version_2
):
    client.force_login(recruiter)

    response = client.get(reverse("offers:letter", args=[version_2.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="offer-ada-lovelace-v2.pdf"'
    assert "Dear Ada Lovelace" in text_of(response.content)
    assert letter_filename(version_2) == "offer-ada-lovelace-v2.pdf"


def test_no_letter_for_who_may_not_see_amounts_or_the_offer(
    client, hiring_manager, outsider, version_2
):
    for user in (hiring_manager, outsider):  # the hiring manager sees the offer, not its pay
        client.force_login(user)
        assert client.get(reverse("offers:letter", args=[version_2.pk])).status_code == 404
    client.force_login(hiring_manager)
    assert client.get(reverse("offers:detail", args=[version_2.pk])).status_code == 200
