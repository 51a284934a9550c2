from __future__ import annotations

from django.contrib import admin

from .models import CompensationBand, ExchangeRate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("base", "quote", "rate", "as_of")
    list_filter = ("base", "quote")
    date_hierarchy = "as_of"
    ordering = ("base", "quote", "-as_of")


@admin.register(CompensationBand)
class CompensationBandAdmin(admin.ModelAdmin):
    list_display = (
        "family",
        "level",
        "zone",
        "effective_on",
        "currency",
        "base_min",
        "base_target",
        "base_max",
        "total_min",
        "total_target",
        "total_max",
    )
    list_filter = ("family", "level", "zone", "effective_on")
    fieldsets = (
        (None, {"fields": ("family", "level", "zone", "currency", "effective_on")}),
        ("Base salary per year", {"fields": ("base_min", "base_target", "base_max")}),
        ("Total compensation per year", {"fields": ("total_min", "total_target", "total_max")}),
    )
