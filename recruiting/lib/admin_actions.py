"""Intermediate pages for admin bulk actions that need a choice (an owner, a stage...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

FormT = TypeVar("FormT", bound=forms.Form)


def run_action_form(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    form_class: type[FormT],
    title: str,
    apply: Callable[[FormT], str],
) -> HttpResponse | None:
    """Shows `form_class` for the selected rows; on a valid post calls `apply`, which returns
    the success message or raises ValidationError (shown on the form, nothing changed)."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        try:
            message = apply(form)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errs in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                form.add_error(None, error)
        else:
            modeladmin.message_user(request, message, messages.SUCCESS)
            return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action"),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/action_form.html", context)
