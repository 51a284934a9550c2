from __future__ import annotations

from django.contrib import admin, messages

from .models import Alert, AlertPreference, AlertProfile
from .services import retry_failed


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "recipient",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "kind", "in_digest", "urgent")
    list_select_related = ("recipient",)
    search_fields = ("subject", "key", "recipient__username")
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = ["retry_action"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    @admin.action(description="Retry the selected failed alerts", permissions=["change"])
    def retry_action(self, request, queryset):  # type: ignore[no-untyped-def]
        count = retry_failed(queryset)
        self.message_user(request, f"{count} failed alert(s) will be sent again.", messages.SUCCESS)


@admin.register(AlertPreference)
class AlertPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "mode")
    list_filter = ("kind", "mode")


@admin.register(AlertProfile)
class AlertProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "timezone", "quiet_from", "quiet_until")
