"""Building what the offer form posts (its formsets' rows, a grant's years, a payment, a grant,
the blank rows sent back) and reading what the page shows (a grant's years, a field's error).
The competing-offer pages' tests (tests/web/test_competing_pages.py) post the same formsets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

MINUTES = "%Y-%m-%dT%H:%M"
EVEN_4_YEARS = [25, 25, 25, 25]


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


def years(vesting: Sequence[int | str]) -> dict[str, str]:
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


def offer_data(*, payments=(), equity=(), other=(), initial=None, **fields):
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


def payment(kind="signing", month=0, amount=100_000):
    return {"kind": kind, "month": month, "amount": amount}


def grant(value=1_000_000, vesting=EVEN_4_YEARS, cliff=12, frequency="quarterly", kind="rsu"):
    return {
        "kind": kind,
        "value": value,
        "cliff_months": cliff,
        "frequency": frequency,
        **years(vesting),
    }


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
