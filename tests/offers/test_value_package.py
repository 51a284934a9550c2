"""`manage.py value_package`: a package as JSON in, its valuation as JSON out, the example of
docs/value_package.md worked by hand; bad input names the field and the rule, and exits 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from offers.demo import build_market

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "package.json"


def value(path: Path | str, *options: str) -> dict:
    out = StringIO()
    call_command("value_package", str(path), *options, stdout=out)
    return json.loads(out.getvalue())


def test_the_documented_example_values_as_worked_by_hand():
    # docs/value_package.md: $480k of base and bonus a year for five years; signing $1M at the
    # start and $1M a year later; relocation $50k and housing $60k in year 1; 40,000 RSUs at
    # $142.50 ($1,425,000 a year, years 1-4); 100,000 options, $10 strike on a $30 tender
    # price, granted at month 12 ($500,000 a year, years 2-5).
    build_market()  # 0.847 EUR per USD, dated 1 Nov 2025

    result = value(EXAMPLE, "--currency", "EUR", "--as-of", "2026-12-01")

    package = result["package"]
    assert result["years"] == 5
    assert package["yearly_totals"] == [
        "3015000.00",
        "3405000.00",
        "2405000.00",
        "2405000.00",
        "980000.00",
    ]
    assert package["by_component"]["equity"] == [
        "1425000.00",
        "1925000.00",
        "1925000.00",
        "1925000.00",
        "500000.00",
    ]
    assert (package["year_one"], package["total"]) == ("3015000.00", "12210000.00")
    assert package["annual_average"] == "2442000.00"
    reporting = result["reporting"]
    assert (reporting["currency"], reporting["rate"], reporting["rate_as_of"]) == (
        "EUR",
        "0.847",
        "2025-11-01",
    )
    assert reporting["year_one"] == "2553705.00"  # 3,015,000 × 0.847
    flat = next(s for s in result["scenarios"] if s["name"] == "Flat")
    # Flat: 25% of the $5.7M of RSUs (preferred) and 10% of the $2M of options (tender).
    assert flat["total_after_discount"] == "10585000.00"
    assert sum(float(d) for d in flat["liquidity_discount"]) == 1_625_000


def test_the_scenarios_can_be_given_on_the_command_line(tmp_path):
    build_market()
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            {
                "currency": "USD",
                "equity": [
                    {
                        "shares": "1000",
                        "price": "100",
                        "basis": "market",
                        "vesting": {"years": ["50", "50"], "frequency": "annually"},
                    }
                ],
            }
        )
    )

    result = value(path, "--scenarios=-50,100")

    # Years 1 and 2 vest 500 shares each: at -50% $50,000 then $25,000; at +100% $50,000 then
    # $100,000. A public price takes no liquidity discount.
    down, up = result["scenarios"]
    assert (down["name"], down["yearly_totals"]) == ("−50% a year", ["50000.00", "25000.00"])
    assert (up["name"], up["yearly_totals"]) == ("+100% a year", ["50000.00", "100000.00"])
    assert up["liquidity_discount"] == ["0.00", "0.00"]


@pytest.mark.parametrize(
    ("package", "message"),
    [
        ({"currency": "USD", "base": "1"}, "base: not a field of a package."),
        ({"base_salary": "1"}, "currency: required."),
        ({"currency": "USD", "base_salary": "lots"}, "base_salary: expected a number"),
        (
            {"currency": "USD", "base_salary": "-1"},
            "base_salary: An amount cannot be negative.",
        ),
        (
            {"currency": "USD", "equity": [{"price": "1", "basis": "market"}]},
            "equity[0].shares: required.",
        ),
        (
            {
                "currency": "USD",
                "equity": [
                    {
                        "shares": "1",
                        "price": "1",
                        "basis": "rumour",
                        "schedule": "4 years, 1-year cliff, then monthly",
                    }
                ],
            },
            "equity[0].basis: “rumour” is not one of market, preferred",
        ),
        (
            {
                "currency": "USD",
                "equity": [
                    {
                        "shares": "1",
                        "price": "1",
                        "basis": "market",
                        "strike": "5",
                        "vesting": {"years": ["100"]},
                    }
                ],
            },
            "strike: Only options have a strike price.",
        ),
        (
            {
                "currency": "USD",
                "equity": [
                    {"shares": "1", "price": "1", "basis": "market", "vesting": {"years": ["90"]}}
                ],
            },
            "equity[0].vesting: The yearly vesting percentages add up to 90%, not 100%.",
        ),
    ],
    ids=[
        "unknown-field",
        "no-currency",
        "not-a-number",
        "negative",
        "no-shares",
        "bad-basis",
        "strike-on-rsu",
        "vesting-90",
    ],
)
def test_bad_input_names_the_field_and_the_rule(tmp_path, package, message):
    build_market()
    path = tmp_path / "p.json"
    path.write_text(json.dumps(package))

    with pytest.raises(CommandError) as refused:
        value(path)

    assert message in str(refused.value)


def test_bad_input_exits_non_zero_from_the_shell(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{not json")

    result = subprocess.run(
        [sys.executable, "manage.py", "value_package", str(path)],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "is not JSON" in result.stderr


# --- Against competing packages ----------------------------------------------------------------

OURS = ROOT / "docs" / "examples" / "ordinary_offer.json"
AGAINST = ROOT / "docs" / "examples" / "against.json"


def test_against_a_meta_like_package_it_prints_the_whole_decision():
    """docs/value_package.md: ours is $400k base, 15% bonus, $3.2M of RSUs over four years and
    a $500k signing bonus; Meta's $2M base, $32M of RSUs over four years and $100M of signing
    bonus repayable in full within 12 months; a rumoured $9M base from Rumour Labs."""
    build_market()

    result = value(
        OURS,
        "--against",
        str(AGAINST),
        "--band",
        "research_scientist:senior:silicon_valley",
        "--above-band",
        "--measure",
        "year_one",
        "--margin",
        "5",
    )

    # The band basis: 400k + 60k + 800k = $1.26M recurring, $500k over 4 years = $125k.
    band = result["band_position"]
    assert band["basis"]["recurring"] == "1260000.00"
    assert band["basis"]["annual"] == "1385000.00"
    assert band["band"]["total_a_year"] == {
        "amount": "1385000.00",
        "where": "within",
        "ratio_to_target": "0.9893",  # of the band's $1.4M target
    }
    decisions = result["decisions"]
    meta, rumour = decisions["against"]
    assert (meta["answered"], rumour["answered"]) == (True, False)
    assert meta["gaps"]["four_year_total"] == {
        "ours": "5540000.00",
        "theirs": "140000000.00",
        "they_pay_more_by": "134460000.00",
    }
    theirs = meta["years_one_to_four"][1]
    assert theirs["recurring"] == ["10000000.00"] * 4
    assert theirs["one_time"] == ["100000000.00", "0.00", "0.00", "0.00"]
    assert theirs["clawback_exposure"] == {
        "most_repayable": "100000000.00",
        "nothing_repaid_from_month": 12,
    }
    counter = decisions["counter_offer"]
    # Year one alone: +$113,740,000, which loses four years ($119.28M against $140M); on the
    # four-year total too: +$141,460,000, with 48 months of clawback pro rata.
    assert counter["answers"] == "Meta"
    assert counter["on_the_measure_alone"] == [{"lever": "signing_bonus", "add": "113740000.00"}]
    assert counter["which_would_lose"] == {
        "measure": "four_year_total",
        "ours": "119280000.00",
        "theirs": "140000000.00",
    }
    assert counter["changes"] == [{"lever": "signing_bonus", "add": "141460000.00"}]
    assert counter["answered_on"] == ["year_one", "four_year_total"]
    assert counter["beats"] is True
    assert counter["clawback"]["months"] == 48
    assert counter["clawback"]["repayments"][1] == {"months": [1, 1], "repaid": "139002500.00"}
    assert counter["recurring_from_year_two"] == {
        "suggested": "1260000.00",
        "theirs": "10000000.00",
    }


def test_within_the_band_it_says_what_is_still_short_with_the_margin():
    build_market()

    counter = value(
        OURS, "--against", str(AGAINST), "--band", "research_scientist:senior:silicon_valley"
    )["decisions"]["counter_offer"]

    # The band's $2M max a year leaves $615k a year over our $1,385,000: $2,460,000 of signing
    # bonus at a quarter a year. Year one is then $4.22M against the $115.5M goal.
    assert counter["changes"] == [{"lever": "signing_bonus", "add": "2460000.00"}]
    assert counter["beats"] is False
    assert counter["short_by"] == {
        "year_one": "111280000.00",
        "four_year_total": "139000000.00",
    }


def test_a_competing_file_with_a_mistake_names_its_field(tmp_path):
    build_market()
    bad = tmp_path / "against.json"
    bad.write_text(json.dumps([{"competitor": "X", "certainty": "sure", "currency": "USD"}]))

    with pytest.raises(CommandError, match=r"against\[0\]\.certainty: “sure” is not one of"):
        value(OURS, "--against", str(bad))
