"""Reads of candidates that more than one place needs: the search of the admin's list and of
the workspace's."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.text import smart_split, unescape_string_literal

from .models import Candidate, CandidateEmail, Company


def search_candidates(queryset: QuerySet[Candidate], terms: str) -> QuerySet[Candidate]:
    """Each word must match a name, an email or a company. Matching ids come from a union of
    three index-backed lookups (trigram indexes), so there is no join and no DISTINCT on the
    big list."""
    for bit in smart_split(terms):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        matches = (
            Candidate.objects.filter(name__icontains=bit)
            .order_by()
            .values("pk")
            .union(
                CandidateEmail.objects.filter(email__icontains=bit)
                .order_by()
                .values("candidate_id"),
                Candidate.objects.filter(
                    current_company__in=Company.objects.filter(name__icontains=bit)
                )
                .order_by()
                .values("pk"),
            )
        )
        queryset = queryset.filter(pk__in=matches)
    return queryset
