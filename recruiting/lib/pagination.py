"""A paginator for lists that can hold millions of rows: it counts up to a bound and no
further.

An exact count of a search that matches 60,000 of a million candidates costs PostgreSQL the
whole match, most of a second, for a figure nobody acts on ("63,412 candidates" and "more than
1,000" lead to the same next step: narrow the search). Counting stops at `cap + 1`, so a page
costs the same at a million rows as at a thousand; up to the cap the count is exact.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 1000


class CappedPaginator(Paginator[Any]):
    """`count` is exact up to `cap`, and `cap + 1` past it (`is_capped` then says so); pages
    go as far as the cap."""

    cap = COUNT_CAP

    def __init__(self, *args: Any, known_count: int | None = None, **kwargs: Any) -> None:
        """`known_count`: the number of rows, when the caller counted them already (a search
        that read its matches' ids); no count query then."""
        super().__init__(*args, **kwargs)
        self.known_count = known_count

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return min(self.known_count, self.cap + 1)
        object_list: Any = self.object_list
        if hasattr(object_list, "query"):
            # A bounded slice, unordered: any cap + 1 matches will do, and PostgreSQL stops at
            # the first it finds instead of sorting them all.
            return int(object_list.order_by()[: self.cap + 1].count())
        return min(len(object_list), self.cap + 1)

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        shown = min(self.count, self.cap)
        if shown == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, shown - self.orphans)
        return math.ceil(hits / self.per_page)

    @property
    def cap_label(self) -> str:
        return f"{self.cap:,}"

    @property
    def count_label(self) -> str:
        """ "12", "1,000", or "more than 1,000"."""
        if self.is_capped:
            return f"more than {self.cap:,}"
        return f"{self.count:,}"
