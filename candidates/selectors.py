"""Reads of candidates that more than one place needs: the search of the admin's list and of
the workspace's."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.text import smart_split, unescape_string_literal

from .models import Candidate


def search_candidates(queryset: QuerySet[Candidate], terms: str) -> QuerySet[Candidate]:
    """Each word must appear in the name, an email or the current company's name: all three
    are in the candidate's search text (kept by the database), one trigram-indexed column, so
    PostgreSQL can stop at the first page of a common word or read a rare one's few rows."""
    for bit in smart_split(terms):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        queryset = queryset.filter(search_text__icontains=bit)
    return queryset
