"""Pipelines in the admin: roles and their stages, applications, activities; and the pipeline's
part of the candidate admin, exported for recruiting/web/admin.py to assemble (the inlines, the
stage and role filters, the pipeline column and the move and merge actions).

The Application admin is defined here and registered by the web layer, which adds the
competing offers to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from candidates.models import OFFERINGS, Candidate
from recruiting.lib.admin_actions import run_action_form
from recruiting.lib.admin_filters import IdListFilter
from recruiting.lib.types import admin_user

from . import history
from .access import sees_every_application, visible_activities
from .forms import (
    ActivityInlineFormSet,
    AddToPipelineForm,
    ApplicationAdminForm,
    ApplicationInlineForm,
    ApplicationInlineFormSet,
    ConfirmHireForm,
    MarkLostForm,
    MergeForm,
    MoveStageForm,
)
from .models import CLOSING_KINDS, Activity, Application, Role, Stage, StageChange
from .selectors import open_stages, stale_applications
from .services import (
    add_candidates_to_pipeline,
    add_to_pipeline,
    create_default_stages,
    log_activity,
    mark_hired,
    mark_lost,
    merge_candidates,
    move_candidates_to_stage,
    move_stage,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# --- Forms ---------------------------------------------------------------------------------


# --- Inlines -------------------------------------------------------------------------------


class ApplicationInline(admin.TabularInline[Application, Candidate]):
    model = Application
    form = ApplicationInlineForm
    formset = ApplicationInlineFormSet
    fk_name = "candidate"
    extra = 0
    can_delete = False
    fields = ("role", "stage", "status", "stage_entered_at", "lost_reason", "lost_to")
    readonly_fields = ("status", "stage_entered_at", "lost_reason", "lost_to")
    autocomplete_fields = ("role",)
    show_change_link = True  # the application's page, with its stage history
    view_on_site = False

    def get_formset(
        self, request: HttpRequest, obj: Candidate | None = None, **kwargs: Any
    ) -> type[ApplicationInlineFormSet]:
        # The factory subclasses this inline's formset, ApplicationInlineFormSet.
        formset = cast(type[ApplicationInlineFormSet], super().get_formset(request, obj, **kwargs))
        formset.request_user = admin_user(request)
        # Open stages to move to, plus the stage each existing application is in now (a
        # closed application or one of a role on hold must still show, unchanged).
        if "stage" not in formset.form.base_fields:
            return formset  # someone who may only view applications: nothing to choose
        current = Application.objects.filter(candidate=obj).values("stage_id") if obj else []
        stage_field = cast("forms.ModelChoiceField[Stage]", formset.form.base_fields["stage"])
        stage_field.queryset = (
            Stage.objects.filter(Q(pk__in=open_stages().values("pk")) | Q(pk__in=current))
            .select_related("role")
            .order_by("role__title", "role_id", "position")
        )
        stage_field.required = False
        stage_field.help_text = "Empty: the role's first stage."
        return formset

    def get_readonly_fields(
        self, request: HttpRequest, obj: Candidate | None = None
    ) -> list[str] | tuple[str, ...]:
        return self.readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return super().get_queryset(request).select_related("role", "stage", "lost_to")


class ActivityInline(admin.TabularInline[Activity, Candidate]):
    model = Activity
    formset = ActivityInlineFormSet
    fk_name = "candidate"
    extra = 1
    fields = ("occurred_at", "kind", "summary", "body", "author")
    readonly_fields = ("author",)
    classes = ("collapse",)

    def get_formset(
        self, request: HttpRequest, obj: Candidate | None = None, **kwargs: Any
    ) -> type[ActivityInlineFormSet]:
        # The factory subclasses this inline's formset, ActivityInlineFormSet.
        formset = cast(type[ActivityInlineFormSet], super().get_formset(request, obj, **kwargs))
        formset.request_user = admin_user(request)
        return formset

    def get_queryset(self, request: HttpRequest) -> QuerySet[Activity]:
        return super().get_queryset(request).select_related("author")


# --- The pipeline's part of the candidate admin (assembled in recruiting/web/admin.py) ------


class StageFilter(admin.SimpleListFilter):
    """Candidates with an open application in a stage of this name (in any role)."""

    title = "stage"
    parameter_name = "stage"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        names = Stage.objects.order_by().values_list("name", flat=True).distinct()
        return [(n, n) for n in sorted(set(names), key=_stage_order)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
        if not self.value():
            return queryset
        # The stage ids are looked up first: a literal id list lets PostgreSQL estimate the
        # matching applications and read them through the stage index instead of all of them.
        stages = Stage.objects.filter(name=self.value())
        role = request.GET.get(RoleFilter.parameter_name)
        if role and role.isdigit():
            # With a role chosen too, "in Screen" means in that role's Screen.
            stages = stages.filter(role_id=role)
        stage_ids = list(stages.values_list("pk", flat=True))
        return queryset.filter(
            Exists(Application.objects.filter(candidate=OuterRef("pk"), stage_id__in=stage_ids))
        )


def _stage_order(name: str) -> tuple[int, str]:
    from .models import DEFAULT_PIPELINE

    order = {n: i for i, (n, *_) in enumerate(DEFAULT_PIPELINE)}
    return (order.get(name, len(order)), name)


class RoleFilter(IdListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        roles = Role.objects.values_list("pk", "title", "city")
        return [(str(pk), f"{title} ({city})") for pk, title, city in roles]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
        role = self.chosen_id(request)
        if role is None:
            return queryset
        return queryset.filter(
            Exists(Application.objects.filter(candidate=OuterRef("pk"), role_id=role))
        )


def with_pipeline(queryset: QuerySet[Candidate]) -> QuerySet[Candidate]:
    """Candidates with their applications, for the pipeline column: no query per row."""
    return queryset.prefetch_related(
        Prefetch(
            "applications",
            # Only what the column shows: a role has some forty columns, read for each row.
            queryset=Application.objects.select_related("role", "stage")
            .only("candidate_id", "status", "role__title", "role__city", "stage__name")
            .order_by("-stage_entered_at"),
            to_attr="pipeline_applications",
        )
    )


@admin.display(description="pipeline")
def pipeline(candidate: Candidate) -> str:
    applications = getattr(candidate, "pipeline_applications", [])
    if not applications:
        return "—"
    # Open applications first, their stage in bold; closed ones after, in grey.
    ordered = sorted(applications, key=lambda a: a.is_closed)
    return format_html_join(
        mark_safe("<br>"),
        "<span{}>{} ({}): <b>{}</b></span>",
        (
            (
                mark_safe(' class="quiet"') if a.is_closed else "",
                a.role.title,
                a.role.city,
                a.stage.name,
            )
            for a in ordered
        ),
    )


@admin.action(description="Move the selected candidates to a stage", permissions=["change"])
def move_stage_action(
    modeladmin: admin.ModelAdmin[Candidate], request: HttpRequest, queryset: QuerySet[Candidate]
) -> HttpResponse | None:
    def apply(form: MoveStageForm) -> str:
        stage = form.cleaned_data["stage"]
        moved = move_candidates_to_stage(queryset, stage, by=admin_user(request))
        already = queryset.count() - moved
        there = f"; {already} already there" if already else ""
        return f"Moved {moved} application(s) to {stage}{there}."

    return run_action_form(
        modeladmin,
        request,
        queryset,
        form_class=MoveStageForm,
        title="Move to a stage",
        apply=apply,
    )


@admin.action(
    description="Add the selected candidates to a role's pipeline", permissions=["change"]
)
def add_to_pipeline_action(
    modeladmin: admin.ModelAdmin[Candidate], request: HttpRequest, queryset: QuerySet[Candidate]
) -> HttpResponse | None:
    def apply(form: AddToPipelineForm) -> str:
        role, stage = form.cleaned_data["role"], form.cleaned_data["stage"]
        made, already = add_candidates_to_pipeline(
            queryset, role, by=admin_user(request), stage=stage
        )
        where = made[0].stage.name if made else (stage.name if stage else "its first stage")
        text = f"Added {len(made)} to the pipeline of {role}, at {where}."
        if already:
            text += f" Already in it: {', '.join(already)}."
        return text

    return run_action_form(
        modeladmin,
        request,
        queryset,
        form_class=AddToPipelineForm,
        title="Add to a role's pipeline",
        apply=apply,
    )


@admin.action(description="Merge two duplicate candidates", permissions=["delete"])
def merge_action(
    modeladmin: admin.ModelAdmin[Candidate], request: HttpRequest, queryset: QuerySet[Candidate]
) -> HttpResponse | None:
    if queryset.count() != 2:
        modeladmin.message_user(request, "Select exactly two candidates to merge.", messages.ERROR)
        return None
    pair = queryset.order_by("pk")

    class BoundMergeForm(MergeForm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, candidates=pair, **kwargs)

    def apply(form: MergeForm) -> str:
        keep = form.cleaned_data["keep"]
        duplicate = pair.exclude(pk=keep.pk).get()
        merge_candidates(keep, duplicate, by=admin_user(request))
        return f"Merged {duplicate.name} into {keep.name}."

    return run_action_form(
        modeladmin,
        request,
        queryset,
        form_class=BoundMergeForm,
        title="Merge candidates",
        apply=apply,
    )


# --- Roles ---------------------------------------------------------------------------------


class StageInline(admin.TabularInline[Stage, Role]):
    model = Stage
    extra = 0
    fields = ("position", "name", "kind", "time_limit_days", "follow_up_days")
    ordering = ("position",)


class _OpenCount(TypedDict):
    """What RoleAdmin.get_queryset annotates each role with."""

    open_count: int


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin[Role]):
    list_display = (
        "title",
        "team",
        "hiring_manager",
        "level",
        "city",
        "country",
        "headcount",
        "status",
        "open_applications",
    )
    list_filter = (
        "status",
        "level",
        "family",
        "zone",
        ("country", admin.AllValuesFieldListFilter),
        "team",
    )
    view_on_site = False
    list_select_related = ("hiring_manager",)
    ordering = ("title", "id")  # a stable order for the pages of the list
    search_fields = ("title", "team", "city")
    autocomplete_fields = ("hiring_manager",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "team",
                    "hiring_manager",
                    "level",
                    "family",
                    "zone",
                    "city",
                    "country",
                    "remote_ok",
                    "headcount",
                    "status",
                )
            },
        ),
        (
            "What this role offers beyond pay",
            {
                "fields": tuple(f"rating_{key}" for key, _ in OFFERINGS),
                "description": "Rated 0 (poor) to 5 (best in the field); leave empty what you "
                "do not know. Weighed by each candidate's motivators against a competitor's.",
            },
        ),
    )

    def get_inlines(
        self, request: HttpRequest, obj: Role | None
    ) -> list[type[InlineModelAdmin[Any, Any]]]:
        # A new role gets the default pipeline on save; its stages are edited afterwards.
        return [StageInline] if obj else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[Role]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_count=Count(
                    "applications", filter=Q(applications__status=Application.Status.OPEN)
                )
            )
        )

    @admin.display(description="open applications", ordering="open_count")
    def open_applications(self, role: WithAnnotations[Role, _OpenCount]) -> int:
        return role.open_count

    def save_model(
        self, request: HttpRequest, obj: Role, form: forms.ModelForm[Role], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            create_default_stages(obj)

    def save_formset(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Role],
        formset: BaseInlineFormSet[Any, Role, Any],
        change: bool,
    ) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Stage and any(
            {"position", "kind"} & set(stage_form.changed_data) for stage_form in formset.forms
        ):
            # The stages' order says which stage each application went furthest to, and their
            # kinds which stages count (Lost is none, Sourced no contact yet).
            history.rebuild(form.instance.applications.all())


# --- Applications --------------------------------------------------------------------------


class StageChangeInline(admin.TabularInline[StageChange, Application]):
    model = StageChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "from_stage", "to_stage", "changed_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[StageChange]:
        return super().get_queryset(request).select_related("from_stage", "to_stage", "changed_by")


class ApplicationActivityInline(admin.TabularInline[Activity, Application]):
    model = Activity
    fk_name = "application"
    extra = 0
    can_delete = False
    fields = ("occurred_at", "kind", "summary", "author")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False


class DaysInStageFilter(admin.SimpleListFilter):
    title = "time in stage"
    parameter_name = "stale"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Over the stage's time limit")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> QuerySet[Application]:
        if self.value() != "yes":
            return queryset
        return queryset.filter(pk__in=stale_applications().values("pk"))


class ApplicationAdmin(admin.ModelAdmin[Application]):
    form = ApplicationAdminForm
    view_on_site = False
    show_facets = admin.ShowFacets.NEVER
    list_display = (
        "candidate",
        "role",
        "stage",
        "status",
        "stage_entered_at",
        "days_in_stage",
        "lost_reason",
        "lost_to",
    )
    list_select_related = ("candidate", "role", "stage__role", "lost_to")
    list_filter = ("status", "stage__kind", "role", "lost_reason", DaysInStageFilter)
    search_fields = ("candidate__name", "role__title")
    autocomplete_fields = ("candidate", "role")
    readonly_fields = (
        "status",
        "stage_entered_at",
        "closed_at",
        "lost_reason",
        "lost_to",
        "lost_note",
    )
    inlines = [StageChangeInline, ApplicationActivityInline]
    actions = ["mark_hired_action", "mark_lost_action"]
    show_full_result_count = False

    def get_fields(self, request: HttpRequest, obj: Application | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("candidate", "role", "stage")
        return ("candidate", "role", "stage", *self.readonly_fields)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Application | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("candidate", "role", *self.readonly_fields)

    def get_form(
        self,
        request: HttpRequest,
        obj: Application | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm[Application]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "stage" not in form.base_fields:
            return form  # a view-only user's form has no fields to choose in
        stages = open_stages()
        if obj is not None:
            stages = Stage.objects.filter(role=obj.role).exclude(kind__in=CLOSING_KINDS)
            if obj.is_closed:
                stages = Stage.objects.filter(pk=obj.stage_id)
        stage_field = cast("forms.ModelChoiceField[Stage]", form.base_fields["stage"])
        stage_field.queryset = stages
        if obj is None:
            stage_field.required = False
            stage_field.help_text = "Empty: the role's first stage."
        return form

    def save_model(
        self,
        request: HttpRequest,
        obj: Application,
        form: forms.ModelForm[Application],
        change: bool,
    ) -> None:
        if change:
            if "stage" in form.changed_data:
                # The form put the new stage on obj; the service needs the stored one.
                stored = Application.objects.get(pk=obj.pk)
                moved = move_stage(stored, form.cleaned_data["stage"], by=admin_user(request))
                obj.stage_entered_at = moved.stage_entered_at
        else:
            created = add_to_pipeline(
                form.cleaned_data["candidate"],
                form.cleaned_data["role"],
                stage=form.cleaned_data.get("stage"),
                by=admin_user(request),
            )
            obj.pk = created.pk
            obj.stage = created.stage
            obj.stage_entered_at = created.stage_entered_at
            obj.created_at = created.created_at
            obj._state.adding = False

    @admin.display(description="days in stage")
    def days_in_stage(self, application: Application) -> int | str:
        if application.is_closed:
            return "—"
        return (timezone.now() - application.stage_entered_at).days

    @admin.action(description="Mark the selected applications hired", permissions=["change"])
    def mark_hired_action(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> HttpResponse | None:
        closed = [str(a) for a in queryset if a.is_closed]
        if closed:
            self.message_user(
                request, f"Already closed: {', '.join(closed)}. Nothing changed.", messages.ERROR
            )
            return None

        def apply(form: forms.Form) -> str:
            with transaction.atomic():
                for application in queryset:
                    mark_hired(application, by=admin_user(request))
            return f"Marked {queryset.count()} application(s) hired."

        # Hiring makes the person an employee and may fill the role: confirm first.
        return run_action_form(
            self,
            request,
            queryset,
            form_class=ConfirmHireForm,
            title="Mark hired",
            apply=apply,
        )

    @admin.action(description="Mark the selected applications lost", permissions=["change"])
    def mark_lost_action(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> HttpResponse | None:
        def apply(form: MarkLostForm) -> str:
            data = form.cleaned_data
            closed = [a for a in queryset if a.is_closed]
            if closed:
                raise ValidationError(
                    f"Already closed: {', '.join(str(a) for a in closed)}. Nothing changed."
                )
            with transaction.atomic():
                for application in queryset:
                    mark_lost(
                        application,
                        reason=data["reason"],
                        lost_to=data["lost_to"],
                        note=data["note"],
                        by=admin_user(request),
                    )
            return f"Marked {queryset.count()} application(s) lost."

        return run_action_form(
            self, request, queryset, form_class=MarkLostForm, title="Mark lost", apply=apply
        )


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin[Activity]):
    list_display = ("occurred_at", "kind", "candidate", "summary", "author")
    list_select_related = ("candidate", "author")
    list_filter = ("kind",)
    search_fields = ("candidate__name", "summary")
    autocomplete_fields = ("candidate", "application")
    date_hierarchy = "occurred_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Activity]:
        # The activities the user reads in the workspace, and no others: a hiring manager
        # given the admin sees those on their roles' candidates, as on the candidates' pages.
        queryset = super().get_queryset(request)
        user = admin_user(request)
        if sees_every_application(user):
            return queryset
        return queryset.filter(pk__in=visible_activities(user).values("pk"))

    def save_model(
        self, request: HttpRequest, obj: Activity, form: forms.ModelForm[Activity], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = log_activity(
            data["candidate"],
            kind=data["kind"],
            summary=data["summary"],
            body=data["body"],
            application=data.get("application"),
            occurred_at=data.get("occurred_at"),
            by=admin_user(request),
        )
        obj.pk, obj.author, obj._state.adding = created.pk, created.author, False
