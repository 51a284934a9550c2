"""The reports, in the order the reports page lists them."""

from __future__ import annotations

from .base import ReportSpec
from .outreach import OUTREACH

REPORTS: list[ReportSpec] = [OUTREACH]


def by_slug(slug: str) -> ReportSpec | None:
    return next((r for r in REPORTS if r.slug == slug), None)
