"""The reports' pages: the list, each report with its filters (in the address: the permalink),
and each report as CSV (the same address with `format=csv`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from offers.access import can_see_compensation
from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.exports import escape_cell
from recruiting.lib.types import AuthenticatedRequest
from recruiting.pipeline.access import sees_every_application
from recruiting.pipeline.models import Role

from . import registry
from .base import ReportSpec, Scope, Table
from .cells import body_html, exported, rows_of
from .charts import draw
from .forms import ReportFilterForm, default_dates


def may_see_reports(user: User) -> bool:
    """Recruiters (who see every application) and hiring managers (their roles' figures)."""
    return user.is_active and (
        sees_every_application(user) or Role.objects.filter(hiring_manager=user).exists()
    )


def _roles_of(user: User) -> frozenset[int] | None:
    if sees_every_application(user):
        return None
    return frozenset(Role.objects.filter(hiring_manager=user).values_list("pk", flat=True))


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    if not may_see_reports(request.user):
        raise PermissionDenied("Reports are for recruiters and hiring managers.")
    return render(request, "web/reports/index.html", {"reports": registry.REPORTS})


def _tables(spec: ReportSpec, scope: Scope) -> list[Table]:
    shown = (table.for_viewer(scope.pay) for table in spec.build(scope))
    return [table for table in shown if table is not None]


def _csv(spec: ReportSpec, scope: Scope, tables: list[Table]) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    f = scope.filters
    shows_pay = scope.pay and any(c.is_pay for t in tables for c in t.columns)
    said = f"amounts in {scope.currency}" if shows_pay else "counts and rates"
    writer.writerow([spec.title, f"{f.date_from} to {f.date_to}", said])
    for table in tables:
        writer.writerow([])
        writer.writerow([escape_cell(table.title)])
        writer.writerow([escape_cell(c.label) for c in table.columns])
        for row in table.rows:
            writer.writerow([escape_cell(exported(row.get(c.key), c.kind)) for c in table.columns])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"closer-{spec.slug}-{f.date_from}-{f.date_to}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _shown(table: Table) -> dict[str, Any]:
    """What the page shows of a table: its body's HTML, whether a rate rests on too few, its
    chart."""
    rows = rows_of(table)
    return {
        "table": table,
        "body": body_html(rows),
        "small": any(c.small for row in rows for c in row),
        "chart": draw(table.chart) if table.chart and table.chart.bars else None,
    }


def report_page(spec: ReportSpec) -> Callable[..., HttpResponse]:
    """The view of one report."""

    @login_required
    def view(request: AuthenticatedRequest) -> HttpResponse:
        user = request.user
        if not may_see_reports(user):
            raise PermissionDenied("Reports are for recruiters and hiring managers.")
        role_ids = _roles_of(user)
        roles = Role.objects.order_by("title", "city", "pk")
        if role_ids is not None:
            roles = roles.filter(pk__in=role_ids)
        form = ReportFilterForm(request.GET or None, roles=roles)
        if request.GET and not form.is_valid():
            return render(
                request,
                "web/reports/report.html",
                {"spec": spec, "form": form, "tables": [], "invalid": True},
                status=400,
            )
        if not request.GET:
            form = ReportFilterForm(default_dates(), roles=roles)
            form.is_valid()
        scope = Scope(
            user=user, filters=form.filters(), pay=can_see_compensation(user), role_ids=role_ids
        )
        tables = _tables(spec, scope)
        shows_pay = scope.pay and any(c.is_pay for t in tables for c in t.columns)
        if request.GET.get("format") == "csv":
            response = _csv(spec, scope, tables)
            if shows_pay:
                record_pay_access(
                    request, kind=PayAccess.Kind.REPORT_CSV, label=f"{spec.title} (CSV)"
                )
            return response
        query = {k: v for k, v in request.GET.items() if v and k != "format"}
        response = render(
            request,
            "web/reports/report.html",
            {
                "spec": spec,
                "form": form,
                "scope": scope,
                "shows_pay": shows_pay,
                "tables": [_shown(t) for t in tables],
                "permalink": request.build_absolute_uri(
                    request.path + ("?" + urlencode(query) if query else "")
                ),
                "csv_query": urlencode({**query, "format": "csv"}),
            },
        )
        if shows_pay:
            record_pay_access(request, kind=PayAccess.Kind.REPORT, label=spec.title)
        return response

    return view
