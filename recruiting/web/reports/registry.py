"""The reports, in the order the reports page lists them."""

from __future__ import annotations

from . import offer_stats, rivals
from .base import ReportSpec
from .funnel import FUNNEL
from .outcomes import OUTCOMES
from .outreach import OUTREACH

REPORTS: list[ReportSpec] = [rivals.REPORT, OUTCOMES, FUNNEL, offer_stats.REPORT, OUTREACH]


def by_slug(slug: str) -> ReportSpec | None:
    return next((r for r in REPORTS if r.slug == slug), None)
