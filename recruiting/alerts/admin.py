from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from recruiting.lib.access import can_see_compensation
from recruiting.lib.formats import hide_amounts

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


# Whether the person the page is being made for may see pay: the display methods see only the
# alert. Set for one request, which renders its page before the value is reset.
_sees_pay: ContextVar[bool] = ContextVar("alerts_admin_sees_pay", default=False)


def _seeing_pay(request: HttpRequest, view: Callable[[], HttpResponse]) -> HttpResponse:
    token = _sees_pay.set(can_see_compensation(request.user))
    try:
        response = view()
        if isinstance(response, TemplateResponse):
            response.render()
        return response
    finally:
        _sees_pay.reset(token)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin[Alert]):
    list_display = (
        "created_at",
        "kind_name",
        "addressee",
        "subject_shown",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", KindFilter, "in_digest", "urgent")
    list_select_related = ("recipient",)
    search_fields = ("subject", "key", "recipient__username", "to_email")
    actions = ["retry_action"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        # As in the workspace (My alerts), a colleague's alerts are theirs: only an
        # administrator, who runs the outbox, sees everyone's.
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(recipient_id=request.user.pk)

    def get_fields(self, request: HttpRequest, obj: Alert | None = None) -> tuple[str, ...]:
        fields = tuple(f.name for f in Alert._meta.fields)
        if can_see_compensation(request.user):
            return fields
        # Written for someone allowed to see pay, perhaps: shown without its amounts.
        hidden = {"subject": "subject_shown", "context": "context_shown"}
        return tuple(hidden.get(f, f) for f in fields)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Alert | None = None
    ) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return _seeing_pay(
            request, lambda: super(AlertAdmin, self).changelist_view(request, extra_context)
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return _seeing_pay(
            request,
            lambda: super(AlertAdmin, self).change_view(
                request, object_id, form_url, extra_context
            ),
        )

    @admin.display(description="subject", ordering="subject")
    def subject_shown(self, alert: Alert) -> str:
        return alert.subject if _sees_pay.get() else hide_amounts(alert.subject)

    @admin.display(description="context")
    def context_shown(self, alert: Alert) -> str:
        text = json.dumps(alert.context, ensure_ascii=False)
        return text if _sees_pay.get() else hide_amounts(text)

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
