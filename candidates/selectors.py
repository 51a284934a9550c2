"""Reads of candidates that more than one place needs: the search of the admin's list and of
the workspace's."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet, Value
from django.db.models.functions import Lower
from django.utils.text import smart_split, unescape_string_literal

from recruiting.lib.pagination import COUNT_CAP

from .models import Candidate


def matching_candidates(queryset: QuerySet[Candidate], terms: str) -> QuerySet[Candidate]:
    """Every candidate of `queryset` in which each word appears, in the name, an email or the
    current company's name, in any case: all three are in the candidate's search text (kept
    by the database), one trigram-indexed column. For actions on all matches; lists use
    search_candidates."""
    for bit in smart_split(terms):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        # The text is in lower case: the word is lowered by the database too (its lower(),
        # not Python's, so both agree on every letter), then matched as it is.
        queryset = queryset.filter(search_text__contains=Lower(Value(bit)))
    return queryset


@dataclass(frozen=True)
class Found:
    candidates: QuerySet[Candidate]
    count: int | None  # how many matched, COUNT_CAP + 1 meaning more; None: no word to match


def search_candidates(queryset: QuerySet[Candidate], terms: str) -> Found:
    """The matches a list shows: every one up to COUNT_CAP, and past it the newest
    COUNT_CAP + 1 (the lists then say "more than 1,000" and show the newest 1,000, by name).
    Their ids are read in one query, which counts them too: the list's page costs no search
    of its own and its paginator no count.

    The lists sort by name, and a word such as a first name sits in one stretch of that order
    ("Zachary" at the very end): finding a page of them by walking the name index read the
    whole table (3.1 s at a million), and sorting every match of a common word read most of
    it. The newest matches come from the trigram index or from the newest rows, whichever
    PostgreSQL finds cheaper, and neither order follows the words in a name, so a search
    costs about the same whatever the word."""
    matches = matching_candidates(queryset, terms)
    if matches is queryset:
        return Found(queryset, None)
    newest = list(matches.order_by("-pk").values_list("pk", flat=True)[: COUNT_CAP + 1])
    return Found(queryset.filter(pk__in=newest), len(newest))
