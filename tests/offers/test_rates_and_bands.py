"""Exchange rates and compensation bands: dated data, loaded and looked up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from offers.demo import build_market
from offers.models import CompensationBand, ExchangeRate
from offers.rates import RateFileError, load_ecb_rates, load_rates
from offers.selectors import RateMissing, band_for, rate_on
from recruiting.pipeline.models import Role
from tests.factories import RoleFactory

pytestmark = pytest.mark.django_db


def rate(base: str, quote: str, value: str, on: date) -> ExchangeRate:
    return ExchangeRate.objects.create(base_id=base, quote_id=quote, rate=Decimal(value), as_of=on)


def test_the_rate_used_is_the_latest_dated_that_day_or_before():
    rate("USD", "EUR", "0.90", date(2025, 1, 1))
    rate("USD", "EUR", "0.847", date(2025, 11, 1))

    assert rate_on("USD", "EUR", date(2025, 6, 30))[0] == Decimal("0.90")
    assert rate_on("USD", "EUR", date(2025, 11, 1))[0] == Decimal("0.847")
    assert rate_on("EUR", "EUR", date(2025, 11, 1))[0] == 1


def test_the_opposite_pair_serves_as_its_inverse():
    rate("USD", "EUR", "0.8", date(2025, 11, 1))

    assert rate_on("EUR", "USD", date(2025, 12, 1))[0] == Decimal("1.25")


def test_no_rate_on_the_date_is_an_error_naming_the_pair_and_date():
    rate("USD", "EUR", "0.847", date(2025, 11, 1))

    with pytest.raises(RateMissing, match="No USD→GBP exchange rate .* 01 Nov 2025"):
        rate_on("USD", "GBP", date(2025, 11, 1))
    with pytest.raises(RateMissing, match="31 Oct 2025"):
        rate_on("USD", "EUR", date(2025, 10, 31))


def test_a_rate_between_one_currency_and_itself_or_not_positive_is_refused():
    same = ExchangeRate(base_id="USD", quote_id="USD", rate=Decimal(1), as_of=date(2025, 1, 1))
    with pytest.raises(ValidationError) as refused:
        same.full_clean()
    assert "quote" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        rate("USD", "EUR", "-1", date(2025, 1, 1))


RATES = "base,quote,rate,as_of\nUSD,EUR,0.847,2025-11-01\nusd,gbp,0.79,2025-11-01\n"


def test_a_rates_file_loads_and_loading_it_again_changes_nothing():
    assert load_rates(RATES) == 2
    assert load_rates(RATES) == 2

    assert ExchangeRate.objects.count() == 2
    assert rate_on("USD", "GBP", date(2025, 11, 2))[0] == Decimal("0.79")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("USD,XYZ,1.1,2025-11-01", "line 3: unknown currency “XYZ”"),
        ("USD,EUR,-0.8,2025-11-01", "line 3: rate must be a positive number"),
        ("USD,USD,1,2025-11-01", "line 3: a rate is between two different currencies"),
        ("USD,EUR,0.8,01/11/2025", "line 3: rate must be a number and as_of a date"),
    ],
)
def test_a_rates_file_with_a_bad_line_loads_nothing(line, message):
    text = "base,quote,rate,as_of\nUSD,GBP,0.79,2025-11-01\n" + line + "\n"

    with pytest.raises(RateFileError) as refused:
        load_rates(text)

    assert message in " ".join(refused.value.messages)
    assert not ExchangeRate.objects.exists()


def test_the_load_rates_command_reads_a_file_and_reports(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(RATES)
    out = StringIO()

    call_command("load_rates", str(path), stdout=out)

    assert "Loaded 2 exchange rate(s)" in out.getvalue()
    path.write_text("base,quote,rate\nUSD,EUR,0.8\n")
    with pytest.raises(CommandError, match="missing: as_of"):
        call_command("load_rates", str(path))


# The European Central Bank's reference rates, as its files are written: the daily file
# (eurofxref.csv) dates its one row in words and pads each cell with a space; the historical
# file (eurofxref-hist.csv) uses ISO dates and "N/A" for a currency with no rate that day. Both
# end each line with a comma. JPY is a currency Closer does not know: passed over.
ECB_DAILY = "Date, USD, JPY, GBP, CHF, \n04 December 2026, 1.1806, 183.37, 0.87405, 0.9371, \n"
ECB_HISTORY = (
    "Date,USD,JPY,GBP,CHF,\n"
    "2026-12-04,1.1806,183.37,0.87405,0.9371,\n"
    "2026-12-03,1.1780,182.90,N/A,0.9355,\n"
)


def test_the_ecb_daily_file_loads_each_known_currency_per_euro():
    assert load_ecb_rates(ECB_DAILY) == 3

    on = date(2026, 12, 4)
    assert rate_on("EUR", "USD", on)[0] == Decimal("1.1806")
    assert rate_on("EUR", "GBP", on)[0] == Decimal("0.87405")
    assert rate_on("EUR", "CHF", on)[0] == Decimal("0.9371")
    assert not ExchangeRate.objects.filter(quote_id="JPY").exists()


def test_the_ecb_history_file_loads_every_day_and_passes_over_missing_rates():
    assert load_ecb_rates(ECB_HISTORY) == 5  # 3 on the 4th, 2 on the 3rd (no GBP that day)
    assert load_ecb_rates(ECB_HISTORY) == 5  # again: nothing changes

    assert ExchangeRate.objects.count() == 5
    assert rate_on("EUR", "CHF", date(2026, 12, 3))[0] == Decimal("0.9355")
    with pytest.raises(RateMissing):
        rate_on("EUR", "GBP", date(2026, 12, 3))  # the first GBP rate is the 4th's


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-13-01,1.1,180,0.87,0.93,", "line 3: “2026-13-01” is not a date."),
        ("2026-12-02,abc,180,0.87,0.93,", "line 3, USD: rate must be a number."),
        ("2026-12-02,-1.1,180,0.87,0.93,", "line 3, USD: rate must be a positive number."),
    ],
)
def test_an_ecb_file_with_a_bad_line_loads_nothing(line, message):
    text = "Date,USD,JPY,GBP,CHF,\n2026-12-04,1.1806,183.37,0.87405,0.9371,\n" + line + "\n"

    with pytest.raises(RateFileError) as refused:
        load_ecb_rates(text)

    assert message in refused.value.messages
    assert not ExchangeRate.objects.exists()


def test_the_load_rates_command_reads_an_ecb_file_as_well(tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB_HISTORY)
    out = StringIO()

    call_command("load_rates", str(path), stdout=out)

    assert "Loaded 5 exchange rate(s)" in out.getvalue()


def band(**changes) -> CompensationBand:
    fields = dict(
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        currency_id="USD",
        effective_on=date(2025, 10, 1),
        base_min=Decimal(300_000),
        base_target=Decimal(375_000),
        base_max=Decimal(450_000),
        total_min=Decimal(900_000),
        total_target=Decimal(1_400_000),
        total_max=Decimal(2_000_000),
    )
    return CompensationBand(**{**fields, **changes})


def test_an_amount_is_placed_below_within_or_above_the_band_with_its_ratio_to_target():
    senior = band()

    assert str(senior.position(Decimal(700_000))) == "below band (0.50× target)"
    assert str(senior.position(Decimal(1_400_000))) == "within band (1.00× target)"
    assert senior.position(Decimal(10_000_000)).where == "above"
    assert senior.position(Decimal(450_000), of="base").where == "within"


def test_a_band_out_of_order_is_refused_on_the_field_and_by_the_database():
    with pytest.raises(ValidationError) as refused:
        band(total_target=Decimal(800_000)).full_clean()
    assert "total_target" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        band(base_max=Decimal(1)).save()


def test_the_band_in_effect_follows_the_roles_family_level_zone_and_date():
    build_market()
    role = RoleFactory(level="senior", zone=Role.Zone.EUROPE)

    now, then = band_for(role, date(2026, 1, 1)), band_for(role, date(2023, 1, 1))

    assert (now.effective_on, now.currency_id) == (date(2025, 10, 1), "EUR")
    assert then.effective_on == date(2022, 1, 1)
    assert band_for(role, date(2021, 1, 1)) is None


def test_the_market_is_seeded_from_design_and_seeding_twice_changes_nothing():
    build_market()
    counts = (ExchangeRate.objects.count(), CompensationBand.objects.count())
    build_market()

    assert (ExchangeRate.objects.count(), CompensationBand.objects.count()) == counts
    assert rate_on("USD", "EUR", date(2026, 1, 1))[0] == Decimal("0.847")
    scientists = CompensationBand.objects.filter(
        family=Role.Family.RESEARCH_SCIENTIST, zone=Role.Zone.SILICON_VALLEY
    )
    # Mid-level to senior research scientists: $500k–$2M now, $400k–$900k in 2022.
    now = scientists.filter(effective_on=date(2025, 10, 1), level__in=["mid", "senior"])
    assert min(b.total_min for b in now) == 500_000 and max(b.total_max for b in now) == 2_000_000
    before = scientists.filter(effective_on=date(2022, 1, 1), level__in=["mid", "senior"])
    assert min(b.total_min for b in before) == 400_000
    assert max(b.total_max for b in before) == 900_000
    # Senior AI researchers $3M–$7M; the exceptional over $10M.
    top = now.model.objects.filter(
        pk__in=scientists.filter(effective_on=date(2025, 10, 1), level__in=["staff", "principal"])
    )
    assert min(b.total_min for b in top) == 3_000_000 and max(b.total_max for b in top) == 7_000_000
    assert scientists.get(effective_on=date(2025, 10, 1), level="distinguished").total_max > 10**7


@pytest.mark.parametrize(
    ("zone", "currency", "senior_total_max"),
    [
        # Silicon Valley's senior research scientist: $2M at most. Each zone is a share of it
        # in its own currency, at the demo's rates per USD (docs/market.md):
        (Role.Zone.NEW_YORK, "USD", 1_900_000),  # 95%
        (Role.Zone.SEATTLE, "USD", 1_800_000),  # 90%
        (Role.Zone.TORONTO, "CAD", 1_680_000),  # 60% x 1.40 CAD
        (Role.Zone.LONDON, "GBP", 1_064_000),  # 70% x 0.76 GBP
        (Role.Zone.PARIS, "EUR", 1_101_000),  # 65% x 0.847 EUR = 1,101,100: to the thousand
        (Role.Zone.ZURICH, "CHF", 1_280_000),  # 80% x 0.80 CHF
    ],
)
def test_every_zone_where_labs_hire_has_bands_in_its_currency_and_a_rate(
    zone, currency, senior_total_max
):
    build_market()
    role = RoleFactory.create(level="senior", zone=zone)

    band = band_for(role, date(2026, 1, 1))

    assert band is not None
    assert (band.currency_id, band.total_max) == (currency, senior_total_max)
    assert rate_on(currency, "USD", date(2026, 1, 1))[0] > 0


def test_two_currencies_with_no_rate_between_them_are_crossed_through_the_euro():
    # The ECB's rates only: 1 EUR = 1.1806 USD (4 Dec) and 0.87405 GBP (3 Dec). A pound is
    # 1.1806 / 0.87405 = 1.350723643955...  dollars, dated as the older of the two rates.
    load_ecb_rates("Date,USD,GBP,\n2026-12-04,1.1806,N/A,\n2026-12-03,1.1790,0.87405,\n")

    rate, as_of = rate_on("GBP", "USD", date(2026, 12, 5))

    assert rate.quantize(Decimal("0.000001")) == Decimal("1.350724")
    assert as_of == date(2026, 12, 3)
    back, _ = rate_on("USD", "GBP", date(2026, 12, 5))
    assert (rate * back).quantize(Decimal("0.000001")) == 1
