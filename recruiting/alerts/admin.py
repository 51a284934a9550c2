from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import registry
from .delivery import retry_failed
from .models import Alert, AlertPreference, AlertProfile


class KindFilter(admin.SimpleListFilter):
    """The kinds by their labels, as the preferences page names them."""

    title = "kind"
    parameter_name = "kind"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [(kind.name, kind.label) for kind in registry.kinds()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Alert]) -> QuerySet[Alert]:
        return queryset.filter(kind=self.value()) if self.value() else queryset


def kind_label(name: str) -> str:
    try:
        return registry.kind(name).label
    except LookupError:
        return name


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin[Alert]):
    list_display = (
        "created_at",
        "kind_name",
        "addressee",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", KindFilter, "in_digest", "urgent")
    list_select_related = ("recipient",)
    search_fields = ("subject", "key", "recipient__username", "to_email")
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = ["retry_action"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="kind", ordering="kind")
    def kind_name(self, alert: Alert) -> str:
        return kind_label(alert.kind)

    @admin.display(description="to")
    def addressee(self, alert: Alert) -> str:
        return alert.addressee

    @admin.action(description="Retry the selected failed alerts", permissions=["change"])
    def retry_action(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        selected = queryset.count()
        without_email = queryset.filter(status=Alert.Status.FAILED, recipient__email="").count()
        count = retry_failed(queryset)
        if count == 0:
            self.message_user(
                request,
                "None of the selected alerts had failed: nothing to retry.",
                messages.WARNING,
            )
            return
        others = (
            f" ({selected - count} of those selected had not failed)" if selected > count else ""
        )
        self.message_user(
            request,
            f"{count} failed alert(s) will be sent again within a minute{others}.",
            messages.SUCCESS,
        )
        if without_email:
            self.message_user(
                request,
                f"{without_email} of them go(es) to someone with no email address and will "
                "fail again: add one to their user first.",
                messages.WARNING,
            )


@admin.register(AlertPreference)
class AlertPreferenceAdmin(admin.ModelAdmin[AlertPreference]):
    list_display = ("user", "kind", "mode")
    list_filter = ("kind", "mode")


@admin.register(AlertProfile)
class AlertProfileAdmin(admin.ModelAdmin[AlertProfile]):
    list_display = ("user", "timezone", "quiet_from", "quiet_until")
