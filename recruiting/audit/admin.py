"""The pay access log in the admin: superusers alone read it, and nobody changes it."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from recruiting.lib.pagination import CappedPaginator

from .models import PayAccess


@admin.register(PayAccess)
class PayAccessAdmin(admin.ModelAdmin[PayAccess]):
    list_display = ("at", "user", "kind", "opened", "path", "ip_address")
    list_filter = ("kind", "user")
    date_hierarchy = "at"
    search_fields = (
        "user__username",
        "user__email",
        "user__first_name",
        "user__last_name",
        "label",
    )
    search_help_text = "A colleague's user name, email or name, or what they opened."
    ordering = ("-at", "-id")
    list_select_related = ("user", "content_type")
    # The log holds millions of rows: no full count; the count stops at 1,000.
    paginator = CappedPaginator
    show_full_result_count = False
    fields = ("at", "user", "kind", "content_type", "object_id", "label", "path", "ip_address")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayAccess]:
        return super().get_queryset(request).select_related("user", "content_type")

    @admin.display(description="opened", ordering="label")
    def opened(self, access: PayAccess) -> str | SafeString:
        """The label, linked to the object's admin page while it exists there."""
        if access.content_type is None or access.object_id is None:
            return access.label
        try:
            url = reverse(
                f"admin:{access.content_type.app_label}_{access.content_type.model}_change",
                args=[access.object_id],
            )
        except NoReverseMatch:
            return access.label
        return format_html('<a href="{}">{}</a>', url, access.label)

    # Superusers alone, and read-only: the database refuses changes whatever the admin says.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: PayAccess | None = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PayAccess | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PayAccess | None = None) -> bool:
        return False
