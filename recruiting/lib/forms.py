"""Putting a service's refusal on the page form that asked for it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Puts a service's refusal on the fields it names; what names no field of the form (the
    application, say) goes to the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)
