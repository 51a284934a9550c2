"""List filters that take an id from the address: a value that is no id (typed or pasted by
hand, or a stale bookmark) leaves the list unfiltered and says so, never an error page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest


class IdListFilter(admin.SimpleListFilter):
    """A filter whose value is a row's id: `chosen_id` gives it, or None (with a message on
    the page) when the value is not a positive whole number."""

    def chosen_id(self, request: HttpRequest) -> int | None:
        value = self.value()
        if not value:
            return None
        if value.isdigit() and 0 < int(value) < 2**63:
            return int(value)
        self.refuse(request, value)
        return None

    def refuse(
        self, request: HttpRequest, value: str, why: str = "is not one of its choices"
    ) -> None:
        messages.warning(
            request,
            f"The {self.title} filter's value “{value}” {why}: the list is not filtered by "
            f"{self.title}.",
        )
