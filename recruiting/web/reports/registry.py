"""The reports, in the order the reports page lists them."""

from __future__ import annotations

from .base import ReportSpec
from .funnel import FUNNEL

REPORTS: list[ReportSpec] = [FUNNEL]


def by_slug(slug: str) -> ReportSpec | None:
    return next((r for r in REPORTS if r.slug == slug), None)
