"""Companies' share prices: dated data per price basis with its source, loaded from a file (all
or none) or kept in the admin, where a private price is shown only to who may see pay."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from candidates.models import Company
from offers.models import SharePrice
from offers.prices import PriceFileError, load_share_prices, price_on
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "company,basis,price,currency,as_of,source\n"


@pytest.fixture
def meridian():
    return CompanyFactory.create(name="Meridian AI", kind=Company.Kind.COMPETITOR)


def test_the_price_in_force_is_the_latest_dated_that_day_or_before(meridian):
    for day, price in ((date(2026, 3, 1), "180"), (date(2026, 9, 1), "250")):
        SharePrice.objects.create(
            company=meridian,
            basis="preferred",
            price=Decimal(price),
            currency_id="USD",
            as_of=day,
            source="Series D",
        )

    assert price_on(meridian, "preferred", date(2026, 8, 31)).price == 180
    assert price_on(meridian, "preferred", date(2026, 12, 1)).price == 250
    assert price_on(meridian, "preferred", date(2026, 1, 1)) is None
    assert price_on(meridian, "common_fmv", date(2026, 12, 1)) is None


def test_a_prices_file_loads_each_basis_and_loading_it_again_changes_nothing(meridian):
    text = (
        HEADER
        + "Meridian AI,preferred,250.00,USD,2026-09-01,Series D term sheet\n"
        + "meridian ai,409A,80.1234,USD,2026-06-30,409A report June 2026\n"
        + "Meridian AI,Last tender price (private company),210,USD,2026-10-15,Employee tender\n"
    )

    assert load_share_prices(text) == 3
    assert load_share_prices(text) == 3

    assert SharePrice.objects.count() == 3
    fmv = price_on(meridian, "common_fmv", date(2026, 7, 1))
    assert (fmv.price, fmv.source) == (Decimal("80.1234"), "409A report June 2026")
    assert price_on(meridian, "tender", date(2026, 11, 1)).price == 210


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Nobody Inc,market,10,USD,2026-01-02,NYSE", "line 3, company: no company is named"),
        ("Meridian AI,rumour,10,USD,2026-01-02,x", "line 3, basis: “rumour” is not a price basis"),
        (
            "Meridian AI,market,0,USD,2026-01-02,NYSE",
            "line 3, price: A price is a positive number.",
        ),
        (
            "Meridian AI,market,10.00001,USD,2026-01-02,NYSE",
            "line 3, price: A price has at most 4 decimal places.",
        ),
        ("Meridian AI,market,ten,USD,2026-01-02,NYSE", "line 3, price: enter a number"),
        ("Meridian AI,market,10,XYZ,2026-01-02,NYSE", "line 3, currency: “XYZ” is not known."),
        (
            "Meridian AI,market,10,USD,02/01/2026,NYSE",
            "line 3, as_of: a date is written YYYY-MM-DD",
        ),
        ("Meridian AI,market,10,USD,2026-01-02,", "line 3, source: say where the price comes from"),
    ],
)
def test_a_prices_file_with_a_bad_line_loads_nothing(meridian, line, message):
    text = HEADER + "Meridian AI,market,12,USD,2026-01-01,NYSE close\n" + line + "\n"

    with pytest.raises(PriceFileError) as refused:
        load_share_prices(text)

    assert message in " ".join(refused.value.messages)
    assert not SharePrice.objects.exists()


def test_the_load_prices_command_reads_a_file_and_reports(meridian, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + "Meridian AI,market,12,USD,2026-01-01,NYSE close\n")
    out = StringIO()

    call_command("load_prices", str(path), stdout=out)

    assert "Loaded 1 share price(s)" in out.getvalue()
    path.write_text("company,basis,price\nMeridian AI,market,12\n")
    with pytest.raises(CommandError, match="missing: as_of, currency, source"):
        call_command("load_prices", str(path))


def test_the_database_holds_one_price_per_company_basis_and_date(meridian):
    fields = dict(company=meridian, basis="market", currency_id="USD", as_of=date(2026, 1, 1))
    SharePrice.objects.create(price=Decimal(12), source="NYSE", **fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        SharePrice.objects.create(price=Decimal(13), source="NASDAQ", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        SharePrice.objects.create(
            price=Decimal(0), source="NYSE", **{**fields, "as_of": date(2026, 1, 2)}
        )


def test_the_admin_shows_a_price_only_to_who_may_see_pay(client, recruiter, meridian):
    SharePrice.objects.create(
        company=meridian,
        basis="common_fmv",
        price=Decimal("80.1234"),
        currency_id="USD",
        as_of=date(2026, 6, 30),
        source="409A report",
    )
    viewer = UserFactory.create(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_shareprice"))
    url = reverse("admin:offers_shareprice_changelist")

    client.force_login(recruiter)
    shown = client.get(url).content.decode()
    client.force_login(viewer)
    hidden = client.get(url).content.decode()

    assert "80.1234" in shown and "409A report" in shown
    assert "409A report" in hidden and "80.1234" not in hidden
