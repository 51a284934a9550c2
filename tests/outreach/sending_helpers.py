"""What the sending tests share: the fixed times they send at (Monday and Wednesday, 10:00 in
Los Angeles), the opt-out link's shape, and enrolling a candidate on the Monday."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from recruiting.outreach.services import enroll

# Monday 30 November 2026, 10:00 in Los Angeles (the factories' candidate timezone).
MONDAY_10_LA = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
# Two business days on: Wednesday 2 December, 10:00 in Los Angeles, when step one is due.
WEDNESDAY_10_LA = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
OPT_OUT = re.compile(r"https?://[^\s\"<>]+/outreach/opt-out/[^/\s\"<>]+/")


def enrolled(candidate, sequence, by, application=None):
    return enroll(candidate, sequence, by=by, application=application, now=MONDAY_10_LA)
