"""The site, and one report made for the framework's tests at /reports/test-figures/."""

from __future__ import annotations

from django.urls import path

from recruiting.urls import urlpatterns as site
from recruiting.web.reports.views import report_page

from .spec import SPEC

urlpatterns = [path("reports/test-figures/", report_page(SPEC)), *site]
