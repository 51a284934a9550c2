"""People in the admin: inviting a colleague (a one-time link to set a password, through the
outbox) into a group, deactivating people, seeing and releasing sign-in lockouts, and who has a
second factor (removing it for someone who lost their phone). Django's
user admin, with these added; an administrator's alone."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialApp
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from recruiting.lib.forms import add_service_error
from recruiting.lib.types import admin_user

from .lockout import locked_until, release
from .services import PeopleError, deactivate, invite_colleague, remove_second_factor


class InviteForm(forms.Form):
    email = forms.EmailField(help_text="The invitation, with a link to set a password, goes here.")
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    group = forms.ModelChoiceField(
        queryset=Group.objects.order_by("name"),
        help_text="What they may do: Recruiters, Compensation approvers, Hiring managers…",
    )
    admin_access = forms.BooleanField(
        label="May use the admin",
        required=False,
        initial=True,
        help_text="Recruiters work on candidate lists there; a hiring manager needs only the "
        "workspace.",
    )


# The request the user list is made for: a lockout is counted per site (its host).
_listing: ContextVar[HttpRequest | None] = ContextVar("people_listing", default=None)


class PeopleAdmin(UserAdmin[User]):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "group_names",
        "is_active",
        "last_login",
        "sign_in_lockout",
        "second_factor",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    actions = ["deactivate_action", "release_lockout_action", "remove_second_factor_action"]

    # People are an administrator's to manage: a recruiter who may view users (a group's
    # permission) still neither lists, opens nor changes them. The workspace shows colleagues
    # by name where it needs to.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if request.user.is_superuser:
            return True
        # Picking a colleague in another form (a candidate's owner) searches users by name.
        match = request.resolver_match
        picking = match is not None and match.url_name == "autocomplete"
        return picking and obj is None and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return request.user.is_superuser

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(has_second_factor=Exists(totp))
        )

    @admin.display(description="two-factor", boolean=True, ordering="has_second_factor")
    def second_factor(self, user: User) -> bool:
        return bool(getattr(user, "has_second_factor", False))

    @admin.display(description="groups")
    def group_names(self, user: User) -> str:
        return ", ".join(sorted(g.name for g in user.groups.all())) or "—"

    def get_urls(self) -> list[URLPattern]:
        return [
            path("invite/", self.admin_site.admin_view(self.invite_view), name="people_invite"),
            *super().get_urls(),
        ]

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            messages.error(request, "Inviting colleagues needs the permission to add users.")
            return redirect("admin:auth_user_changelist")
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = invite_colleague(**form.cleaned_data, by=admin_user(request))
            except PeopleError as refused:
                add_service_error(form, refused)
            else:
                messages.success(
                    request,
                    f"Invited {user.email} as {user.username} ({form.cleaned_data['group']}): "
                    "the email with a link to set a password is on its way.",
                )
                return redirect("admin:auth_user_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Invite a colleague",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/people/invite.html", context)

    @admin.action(description="Deactivate the selected people", permissions=["change"])
    def deactivate_action(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done, refused = 0, []
        for user in queryset:
            try:
                deactivate(user, by=admin_user(request))
            except PeopleError as error:
                refused.extend(error.messages)
            else:
                done += 1
        if done:
            messages.success(request, f"Deactivated {done}: they can no longer sign in.")
        for message in refused:
            messages.error(request, message)

    @admin.action(description="Release their sign-in lockout", permissions=["change"])
    def release_lockout_action(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        locked = [user for user in queryset if locked_until(request, user) is not None]
        for user in queryset:
            release(request, user)
        if locked:
            names = ", ".join(user.get_username() for user in locked)
            messages.success(request, f"Released: {names} may sign in again now.")
        else:
            messages.info(request, "None of them was locked out.")

    @admin.action(description="Remove their second factor (a lost phone)", permissions=["change"])
    def remove_second_factor_action(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        removed = [user for user in queryset if remove_second_factor(user, by=admin_user(request))]
        if removed:
            names = ", ".join(user.get_username() for user in removed)
            messages.success(
                request,
                f"Removed the second factor of {names}: they sign in with their password and "
                "add an authenticator app again.",
            )
        else:
            messages.info(request, "None of them had a second factor.")

    @admin.display(description="sign-in")
    def sign_in_lockout(self, user: User) -> str:
        request = _listing.get()
        until = locked_until(request, user) if request is not None else None
        if until is None:
            return "—"
        return f"locked out until {timezone.localtime(until):%-d %b %H:%M}"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "invite_url": reverse("admin:people_invite")}
        token = _listing.set(request)
        try:
            response = super().changelist_view(request, extra_context)
            if isinstance(response, TemplateResponse):
                response.render()  # the lockout column reads the request
            return response
        finally:
            _listing.reset(token)


admin.site.unregister(User)
admin.site.register(User, PeopleAdmin)
# Single sign-on is configured by the environment (OIDC_*), not by apps kept in the database:
# allauth's page for those would be a second place that changes nothing.
admin.site.unregister(SocialApp)
