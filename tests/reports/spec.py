"""A report made for the framework's tests: applications and a made-up amount per role, a
count and a rate over them, counted in SQL through the same scoping as every report."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from recruiting.pipeline.models import Application
from recruiting.web.reports.base import (
    COUNT,
    DERIVED,
    MONEY,
    RATE,
    TEXT,
    Bar,
    BarChart,
    Column,
    ReportSpec,
    Scope,
    Table,
    share,
)
from recruiting.web.reports.scoping import application_filter

# Each application is worth this much to the test report: an amount only pay may see.
PER_APPLICATION = Decimal("1234567")


def build(scope: Scope) -> list[Table]:
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Application.objects.filter(application_filter(scope))
        .values("role__title")
        .annotate(n=Count("pk"), lost=Count("pk", filter=Q(status="lost")))
        .order_by("role__title")
    ]
    for row in rows:
        row["rate"] = share(row["lost"], row["n"])
        row["amount"] = PER_APPLICATION * row["n"]
        row["ratio"] = Decimal("1.5")
    columns = [
        Column("role__title", "Role"),
        Column("n", "Applications", COUNT),
        Column("rate", "Lost", RATE, of="n"),
        Column("amount", "Worth", MONEY),
        Column("ratio", "Worth to band", DERIVED),
    ]
    counts = BarChart("Applications", [Bar(r["role__title"], r["n"]) for r in rows], COUNT)
    amounts = BarChart("Worth", [Bar(r["role__title"], float(r["amount"])) for r in rows], MONEY)
    return [
        Table("roles", "Per role", columns, rows, note="Every application.", chart=counts),
        Table(
            "worth", "Worth", [Column("role__title", "Role", TEXT), columns[3]], rows, chart=amounts
        ),
    ]


SPEC = ReportSpec(
    slug="test-figures",
    title="Test figures",
    summary="Applications per role.",
    build=build,
    filters=("dates", "role", "owner"),
)
