"""Responses to a signed-in user are never kept by a browser's or a proxy's cache.

Closer's pages, letters and exports show pay to those allowed to see it; a shared computer's
back button or a caching proxy must not show them to the next person. Every response to a
signed-in user says `Cache-Control: no-store` (a view that set its own policy keeps it).
Static files are served before this runs and keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class NoStoreWhenSignedIn:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
