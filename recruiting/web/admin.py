"""The one admin registration of each model that several apps extend: the candidate, the
application and the company.

Each domain app defines its admin and exports what it adds to the others' (inlines, filters,
list columns, actions); this module puts them together in one place, so what a recruiter sees
on these pages is written here and does not depend on the order of INSTALLED_APPS.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from candidates import admin as candidates_admin
from candidates.models import Candidate, Company
from offers.admin import competing as competing_admin
from recruiting.outreach import admin as outreach_admin
from recruiting.pipeline import admin as pipeline_admin
from recruiting.pipeline.models import Application
from recruiting.privacy import admin as privacy_admin

Inlines = list[type[InlineModelAdmin[Any, Any]]] | tuple[type[InlineModelAdmin[Any, Any]], ...]


@admin.register(Candidate)
class CandidateAdmin(candidates_admin.CandidateAdmin):
    # The pipeline column right after who the person is and where they work now.
    list_display = (
        *candidates_admin.CandidateAdmin.list_display[:3],
        pipeline_admin.pipeline,
        *candidates_admin.CandidateAdmin.list_display[3:],
        competing_admin.flight_risk_text,
    )
    list_filter = (
        pipeline_admin.StageFilter,
        pipeline_admin.RoleFilter,
        *candidates_admin.CandidateAdmin.list_filter,
        "flight_risk_reason",
        competing_admin.CompetitorAheadFilter,
        competing_admin.CompetitorDeadlineFilter,
    )
    inlines = [
        candidates_admin.CandidateEmailInline,
        pipeline_admin.ApplicationInline,
        pipeline_admin.ActivityInline,
    ]
    actions = [
        *candidates_admin.CandidateAdmin.actions,
        pipeline_admin.add_to_pipeline_action,
        pipeline_admin.move_stage_action,
        pipeline_admin.merge_action,
        outreach_admin.enroll_action,
        privacy_admin.export_action,
        privacy_admin.erase_action,
    ]

    # The people's data actions are an administrator's (recruiting/privacy/admin.py).
    def has_export_personal_data_permission(self, request: HttpRequest) -> bool:
        return privacy_admin.may_export(request)

    def has_erase_personal_data_permission(self, request: HttpRequest) -> bool:
        return privacy_admin.may_erase(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Candidate]:
        return pipeline_admin.with_pipeline(super().get_queryset(request))

    def get_inlines(self, request: HttpRequest, obj: Candidate | None) -> Inlines:
        inlines = super().get_inlines(request, obj)
        if obj is None:
            return inlines
        return [*inlines, competing_admin.CompetingOfferSummaryInline]


@admin.register(Application)
class ApplicationAdmin(pipeline_admin.ApplicationAdmin):
    def get_inlines(self, request: HttpRequest, obj: Application | None) -> Inlines:
        inlines = super().get_inlines(request, obj)
        if obj is None:
            return inlines
        return [*inlines, competing_admin.ApplicationCompetingOfferInline]


@admin.register(Company)
class CompanyAdmin(candidates_admin.CompanyAdmin):
    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Company], search_term: str
    ) -> tuple[QuerySet[Company], bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return competing_admin.only_competitors_when_picking_one(request, queryset), (
            may_have_duplicates
        )
