"""The candidate list's address, which the list's tests and the bulk actions' tests both open."""

from __future__ import annotations

from django.urls import reverse

CHANGELIST = reverse("admin:candidates_candidate_changelist")
