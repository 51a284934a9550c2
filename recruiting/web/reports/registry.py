"""The reports, in the order the reports page lists them."""

from __future__ import annotations

from . import offer_stats
from .base import ReportSpec

REPORTS: list[ReportSpec] = [offer_stats.REPORT]


def by_slug(slug: str) -> ReportSpec | None:
    return next((r for r in REPORTS if r.slug == slug), None)
