"""People's data in the admin: the candidate admin's "Export personal data" and "Erase personal
data" actions (exported for recruiting/web/admin.py to assemble), the record of erasures,
exports and retention runs, and the retention report (who the next run anonymises, and why).

Both actions are an administrator's: each needs its own permission (privacy's
`export_personal_data`, `erase_personal_data`), which no group is given; superusers hold them.
An export holds the person's pay, so it also needs the permission to see pay."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from candidates.models import Candidate
from recruiting.audit.models import PayAccess
from recruiting.audit.services import record_pay_access
from recruiting.lib.access import can_see_compensation
from recruiting.lib.admin_actions import run_action_form
from recruiting.lib.types import admin_user

from .models import DataExport, Erasure, RetentionRun
from .selectors import due_for_retention, retention_cutoff, why_due
from .services import (
    ERASE_PERMISSION,
    EXPORT_PERMISSION,
    PrivacyError,
    check_erasable,
    erase_person,
    export_personal_data,
)


def may_export(request: HttpRequest) -> bool:
    user = admin_user(request)
    return user.has_perm(EXPORT_PERMISSION) and can_see_compensation(user)


def may_erase(request: HttpRequest) -> bool:
    return admin_user(request).has_perm(ERASE_PERMISSION)


@admin.action(
    description="Export personal data (JSON in a ZIP)", permissions=["export_personal_data"]
)
def export_action(
    modeladmin: admin.ModelAdmin[Candidate], request: HttpRequest, queryset: QuerySet[Candidate]
) -> HttpResponse | None:
    if queryset.count() != 1:
        modeladmin.message_user(
            request, "Select one person to export: an export is one person's.", messages.ERROR
        )
        return None
    try:
        person = queryset.get()
        export = export_personal_data(person, by=admin_user(request))
    except PrivacyError as error:
        modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        return None
    # The export holds their offers' amounts: the pay access log says who took it.
    record_pay_access(
        request,
        kind=PayAccess.Kind.EXPORT,
        obj=person,
        label=f"Personal data of candidate {person.pk}",
    )
    response = HttpResponse(export.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


class ConfirmErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label="Erase their data",
        help_text="Their name, addresses, links and notes, the text of their activities and "
        "of the emails sent to them, their signature's details, their letters' files and what "
        "the history and the alerts say of them are erased; their outreach stops. This cannot "
        "be undone. Offers keep their amounts, tied to no one.",
        error_messages={"required": "Tick the box to confirm the erasure."},
    )


@admin.action(description="Erase personal data", permissions=["erase_personal_data"])
def erase_action(
    modeladmin: admin.ModelAdmin[Candidate], request: HttpRequest, queryset: QuerySet[Candidate]
) -> HttpResponse | None:
    people = list(queryset.order_by("pk"))

    def apply(form: ConfirmErasureForm) -> str:
        for person in people:
            check_erasable(person)  # every refusal before anything is erased
        with transaction.atomic():
            stopped = sum(
                erase_person(person, by=admin_user(request)).enrollments_stopped
                for person in people
            )
        ids = ", ".join(str(person.pk) for person in people)
        return (
            f"Erased the data of {len(people)} person(s) (candidate {ids}); "
            f"{stopped} outreach enrollment(s) stopped."
        )

    return run_action_form(
        modeladmin,
        request,
        queryset,
        form_class=ConfirmErasureForm,
        title="Erase personal data",
        apply=apply,
    )


class RecordAdmin(admin.ModelAdmin[Any]):
    """A record of what was done: read, never written, in the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Erasure)
class ErasureAdmin(RecordAdmin):
    list_display = ("candidate_id", "reason", "erased_at", "erased_by", "run")
    list_filter = ("reason",)
    search_fields = ("=candidate_id",)
    date_hierarchy = "erased_at"


@admin.register(DataExport)
class DataExportAdmin(RecordAdmin):
    list_display = ("candidate_id", "exported_at", "exported_by", "files", "rows")
    search_fields = ("=candidate_id",)
    date_hierarchy = "exported_at"


@admin.register(RetentionRun)
class RetentionRunAdmin(RecordAdmin):
    list_display = ("started_at", "window_days", "cutoff", "anonymised", "candidate_ids")
    date_hierarchy = "started_at"
    change_list_template = "admin/privacy/retentionrun/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        due = self.admin_site.admin_view(self.due_view)
        return [path("due/", due, name="privacy_retention_due"), *super().get_urls()]

    def due_view(self, request: HttpRequest) -> HttpResponse:
        """Who the next run anonymises, and why."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        due = list(
            due_for_retention()
            .select_related(None)
            .only("id", "name", "consent_basis", "consent_date", "updated_at")[
                : settings.PRIVACY_RETENTION_BATCH
            ]
        )
        rows = [
            (
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:candidates_candidate_change", args=[c.pk]),
                    c.name,
                ),
                c.pk,
                why_due(c),
            )
            for c in due
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Who the next retention run anonymises",
            "rows": rows,
            "total": due_for_retention().count(),
            "cutoff": retention_cutoff(),
            "window_days": settings.PRIVACY_PROSPECT_RETENTION_DAYS,
            "batch": settings.PRIVACY_RETENTION_BATCH,
        }
        return TemplateResponse(request, "admin/privacy/retentionrun/due.html", context)
