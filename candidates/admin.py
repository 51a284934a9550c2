"""Candidates in the admin. Tags and currencies are registered here; the Candidate and Company
admins are defined here and registered by recruiting/web/admin.py, which adds what the
pipeline, offers and outreach apps show on them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django_countries.fields import Country
from import_export.admin import ImportExportModelAdmin

from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.access import can_see_compensation
from recruiting.lib.admin_actions import run_action_form
from recruiting.lib.admin_filters import IdListFilter
from recruiting.lib.exports import FORMATS as SPREADSHEET_FORMATS
from recruiting.lib.pagination import CappedPaginator
from recruiting.lib.types import admin_user

from .forms import (
    AddTagsForm,
    AssignOwnerForm,
    CandidateAdminForm,
    CandidateEmailFormSet,
    CompanyPauseFormSet,
)
from .imports import format_key, import_formats
from .models import (
    MOTIVATORS,
    OFFERINGS,
    Candidate,
    CandidateEmail,
    CandidateImport,
    Company,
    CompanyPause,
    Currency,
    Tag,
)
from .resources import PAY_FIELDS, CandidateResource, CandidateResourceWithoutPay
from .selectors import matching_candidates, search_candidates
from .services import (
    CandidateError,
    assign_owner,
    confirm_import,
    find_or_create_tags,
    mark_do_not_contact,
    start_import,
    tag_candidates,
)

if TYPE_CHECKING:
    from django_stubs_ext import FieldsetSpec

# Links typed without a scheme ("github.com/ada") are read as https.
URL_FORMFIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}

PAY_FIELDSET = "Estimated current pay (per year)"


# --- Intermediate pages for bulk actions ---------------------------------------------------


# --- Filters that need no DISTINCT over the whole table ------------------------------------


class TagFilter(IdListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Tag.objects.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
        tag = self.chosen_id(request)
        if tag is None:
            return queryset
        through = Candidate.tags.through
        return queryset.filter(
            Exists(through.objects.filter(candidate_id=OuterRef("pk"), tag_id=tag))
        )


# The request attribute that carries a search's count from get_search_results to the paginator.
FOUND_COUNT = "_closer_candidates_found"


class CompanyFilter(IdListFilter):
    """Where they work now. The companies' names are read as pairs, not as rows: the list
    renders all of them on every page."""

    title = "current company"
    parameter_name = "current_company__id__exact"  # the address Django's own filter used

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        companies = Company.objects.values_list("pk", "name")
        return [("none", "No current company"), *[(str(pk), name) for pk, name in companies]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
        if self.value() == "none":
            return queryset.filter(current_company__isnull=True)
        company = self.chosen_id(request)
        return queryset if company is None else queryset.filter(current_company_id=company)


class OwnerFilter(IdListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        users = (
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .order_by("first_name", "last_name", "username")
        )
        return [("none", "Nobody"), *[(str(u.pk), u.get_full_name() or u.username) for u in users]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
        owner = self.value()
        if owner == "none":
            return queryset.filter(owner__isnull=True)
        if owner and not owner.isdigit():
            # A username is taken too (?owner=rita), as people type it.
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                self.refuse(request, owner, "names no user")
                return queryset
            return queryset.filter(owner=user)
        chosen = self.chosen_id(request)
        return queryset if chosen is None else queryset.filter(owner_id=chosen)


# --- Candidate -----------------------------------------------------------------------------


class CandidateEmailInline(admin.TabularInline[CandidateEmail, Candidate]):
    model = CandidateEmail
    formset = CandidateEmailFormSet
    extra = 1
    fields = ("email", "is_primary")


# import_export ships no types: ModelAdmin[Candidate], already the end of ImportExportModelAdmin's
# MRO (which this leaves unchanged), tells the type checker what this admin is.
class CandidateAdmin(ImportExportModelAdmin, admin.ModelAdmin[Candidate]):
    form = CandidateAdminForm
    formfield_overrides = URL_FORMFIELDS
    resource_classes = [CandidateResource]
    import_template_name = "admin/candidates/candidate/import.html"
    # Typed as broadly as ModelAdmin allows: recruiting/web/admin.py adds columns and filters.
    list_display: tuple[str | Callable[[Candidate], str | bool], ...] = (
        "name",
        "primary_email",
        "current_position",
        "specialty",
        "level",
        "location",
        "owner_name",
        "relationship",
        "do_not_contact",
    )
    # get_absolute_url is this admin page itself: no separate site to view it on.
    view_on_site = False
    # Facet counts run one count(*) per filter choice over the whole list: too slow at scale.
    show_facets = admin.ShowFacets.NEVER
    list_select_related = ("current_company", "owner")
    list_filter: ClassVar[tuple[type[admin.ListFilter] | str, ...]] = (
        OwnerFilter,
        "relationship",
        "specialty",
        "level",
        "source",
        CompanyFilter,
        TagFilter,
        "do_not_contact",
        "flight_risk",
    )
    search_fields = ("name", "emails__email", "current_company__name")
    search_help_text = "Search by name, email or current company."
    autocomplete_fields = ("current_company", "owner", "tags", "current_pay_currency")
    inlines = [CandidateEmailInline]
    actions = ["assign_owner_action", "add_tags_action", "mark_do_not_contact_action"]
    list_per_page = 50
    # The full count of an unfiltered 100,000-row table is a second count(*) per page for a
    # number nobody reads; the filtered one counts up to 1,000 and then says "more than".
    show_full_result_count = False
    paginator = CappedPaginator
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "relationship", "owner", "source", "referrer", "tags")}),
        (
            "Work",
            {"fields": ("current_company", "current_title", "specialty", "level")},
        ),
        (
            "Contact and location",
            {
                "fields": (
                    "phone",
                    "city",
                    "country",
                    "timezone",
                    "linkedin_url",
                    "github_url",
                    "scholar_url",
                    "website_url",
                )
            },
        ),
        ("Consent", {"fields": ("do_not_contact", "consent_basis", "consent_date")}),
        (
            PAY_FIELDSET,
            {
                "fields": (
                    "current_pay_currency",
                    "current_base",
                    "current_bonus",
                    "current_equity_per_year",
                )
            },
        ),
        (
            "Motivators (0 = does not matter, 5 = decisive)",
            {"fields": tuple(field for field, _ in MOTIVATORS)},
        ),
        ("Retention", {"fields": ("flight_risk", "flight_risk_reason")}),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Candidate]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("emails", queryset=CandidateEmail.objects.order_by("-is_primary", "id"))
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: Candidate | None = None) -> FieldsetSpec:
        # The form is built from the fieldsets: without the pay fieldset it has no pay fields.
        fieldsets = super().get_fieldsets(request, obj)
        if can_see_compensation(request.user):
            return fieldsets
        return [fieldset for fieldset in fieldsets if fieldset[0] != PAY_FIELDSET]

    # CSV and TSV with what a spreadsheet would run escaped (recruiting/lib/exports.py).
    def get_import_formats(self) -> list[type[Any]]:
        return import_formats()

    def get_export_formats(self) -> list[type[Any]]:
        return [f for f in SPREADSHEET_FORMATS if f().can_export()]

    def get_resource_classes(self, request: HttpRequest) -> list[type[CandidateResource]]:
        return [
            CandidateResource if can_see_compensation(request.user) else CandidateResourceWithoutPay
        ]

    def get_data_for_export(
        self, request: HttpRequest, queryset: QuerySet[Candidate], **kwargs: Any
    ) -> Any:
        """The export's rows; one whose columns hold pay is logged (recruiting/audit)."""
        data = super().get_data_for_export(request, queryset, **kwargs)
        if set(data.headers or ()) & set(PAY_FIELDS[:3]):  # the amounts, not only a currency
            record_pay_access(
                request, kind=PayAccess.Kind.EXPORT, label=f"Candidates export, {len(data)} rows"
            )
        return data

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Candidate | None = None,
    ) -> HttpResponse:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if change and obj is not None:  # the estimated current pay, to whoever may see pay
            record_pay_access(request, kind=PayAccess.Kind.ADMIN_CANDIDATE, obj=obj)
        return response

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Candidate], search_term: str
    ) -> tuple[QuerySet[Candidate], bool]:
        if request.method == "POST" and "action" in request.POST:
            # "Select all matching" reaches every match, not only the ones the list shows.
            return matching_candidates(queryset, search_term), False
        found = search_candidates(queryset, search_term)
        setattr(request, FOUND_COUNT, found.count)  # for get_paginator: no second count
        return found.candidates, False

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[Candidate],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> CappedPaginator:
        # The admin searches after filtering and only orders after: a search's count is the
        # list's.
        return CappedPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            known_count=getattr(request, FOUND_COUNT, None),
        )

    @admin.display(description="email")
    def primary_email(self, candidate: Candidate) -> str:
        emails = candidate.emails.all()  # prefetched: no query per row
        return emails[0].email if emails else "—"

    @admin.display(description="current position", ordering="current_company__name")
    def current_position(self, candidate: Candidate) -> str:
        company = candidate.current_company.name if candidate.current_company else ""
        return " at ".join(p for p in (candidate.current_title, company) if p) or "—"

    @admin.display(description="owner", ordering="owner__username")
    def owner_name(self, candidate: Candidate) -> str:
        owner = candidate.owner
        return (owner.get_full_name() or owner.get_username()) if owner else "—"

    @admin.display(description="location", ordering="city")
    def location(self, candidate: Candidate) -> str:
        country = cast(Country, candidate.country)  # CountryField gives a Country object
        return ", ".join(p for p in (candidate.city, country.code) if p) or "—"

    @admin.action(description="Assign an owner to the selected candidates", permissions=["change"])
    def assign_owner_action(
        self, request: HttpRequest, queryset: QuerySet[Candidate]
    ) -> HttpResponse | None:
        def apply(form: AssignOwnerForm) -> str:
            count = assign_owner(queryset, owner=form.cleaned_data["owner"], by=admin_user(request))
            return f"{form.cleaned_data['owner']} now owns {count} candidate(s)."

        return run_action_form(
            self,
            request,
            queryset,
            form_class=AssignOwnerForm,
            title="Assign an owner",
            apply=apply,
        )

    @admin.action(description="Add tags to the selected candidates", permissions=["change"])
    def add_tags_action(
        self, request: HttpRequest, queryset: QuerySet[Candidate]
    ) -> HttpResponse | None:
        def apply(form: AddTagsForm) -> str:
            tags = find_or_create_tags(form.cleaned_data["tags"])
            count = tag_candidates(queryset, tags=tags)
            return f"Tagged {count} candidate(s) with {', '.join(t.name for t in tags)}."

        return run_action_form(
            self, request, queryset, form_class=AddTagsForm, title="Add tags", apply=apply
        )

    @admin.action(description="Mark the selected candidates do-not-contact", permissions=["change"])
    def mark_do_not_contact_action(
        self, request: HttpRequest, queryset: QuerySet[Candidate]
    ) -> None:
        count = mark_do_not_contact(queryset, by=admin_user(request))
        self.message_user(request, f"{count} candidate(s) marked do-not-contact.", messages.SUCCESS)

    # --- Imports: checked and imported by a worker (imports.py), followed on the job's page

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "import/<int:job_id>/",
                view(self.import_job_view),
                name="candidates_candidate_import_job",
            ),
            path(
                "import/<int:job_id>/progress/",
                view(self.import_job_progress),
                name="candidates_candidate_import_progress",
            ),
            path(
                "import/<int:job_id>/confirm/",
                view(self.import_job_confirm),
                name="candidates_candidate_import_confirm",
            ),
            *super().get_urls(),
        ]

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """The upload is kept and queued for its check; the answer is the job's page."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = self.create_import_form(request)
            if form.is_valid():
                chosen = self.get_import_formats()[int(form.cleaned_data["format"])]
                job = start_import(
                    upload=form.cleaned_data["import_file"],
                    file_format=format_key(chosen),
                    with_pay=can_see_compensation(request.user),
                    by=admin_user(request),
                )
                return redirect(job.get_absolute_url())
        response: HttpResponse = super().import_action(request, **kwargs)
        return response

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        # The library's confirm step, which imported in the request: a job's page confirms.
        raise Http404("An import is confirmed on its page.")

    def _import_job(self, request: HttpRequest, job_id: int) -> CandidateImport:
        """Who uploaded a file follows its job (and an administrator); to anyone else the
        job does not exist."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        jobs = CandidateImport.objects.all()
        if not request.user.is_superuser:
            jobs = jobs.filter(created_by_id=request.user.pk)
        return get_object_or_404(jobs, pk=job_id)

    def _job_context(self, request: HttpRequest, job: CandidateImport) -> dict[str, Any]:
        return {
            "job": job,
            "may_confirm": job.status == CandidateImport.Status.CHECKED
            and job.created_by_id == request.user.pk,
            "more_errors": job.error_count - len(job.row_errors),
            "more_rows": job.new_count + job.updated_count - len(job.preview),
        }

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._import_job(request, job_id)
        return TemplateResponse(
            request,
            "admin/candidates/candidate/import_job.html",
            {
                **self.admin_site.each_context(request),
                **self._job_context(request, job),
                "title": f"Import of {job.file_name}",
                "opts": self.opts,
            },
        )

    def import_job_progress(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """The part of the job's page that changes, which the page asks for again (htmx)
        while the job runs."""
        job = self._import_job(request, job_id)
        return TemplateResponse(
            request,
            "admin/candidates/candidate/_import_job.html",
            self._job_context(request, job),
        )

    def import_job_confirm(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._import_job(request, job_id)
        try:
            confirm_import(job, by=admin_user(request))
        except CandidateError as refused:
            self.message_user(request, " ".join(refused.messages), messages.ERROR)
        return redirect(job.get_absolute_url())


# --- Companies and reference data ----------------------------------------------------------


class CompanyPauseInline(admin.TabularInline[CompanyPause, Company]):
    model = CompanyPause
    formset = CompanyPauseFormSet
    extra = 1


class CompanyAdmin(admin.ModelAdmin[Company]):
    formfield_overrides = URL_FORMFIELDS
    list_display = ("name", "kind", "website", "pause_list")
    list_filter = ("kind",)
    search_fields = ("name",)
    inlines = [CompanyPauseInline]
    fieldsets = (
        (None, {"fields": ("name", "kind", "website")}),
        (
            "What they offer beyond pay",
            {
                "fields": tuple(f"rating_{key}" for key, _ in OFFERINGS),
                "description": "Rated 0 (poor) to 5 (best in the field); leave empty what you "
                "do not know. Weighed by each candidate's motivators against our role.",
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        return super().get_queryset(request).prefetch_related("pauses")

    @admin.display(description="pauses")
    def pause_list(self, company: Company) -> str:
        return (
            "; ".join(f"{p.starts_on:%d %b %Y}–{p.ends_on:%d %b %Y}" for p in company.pauses.all())
            or "—"
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    search_fields = ("name",)


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin[Currency]):
    list_display = ("code", "name")
    search_fields = ("code", "name")
