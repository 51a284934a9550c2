"""The Content-Security-Policy of every page: django-csp's middleware, with a nonce always.

The policy itself is `CONTENT_SECURITY_POLICY` in the settings: scripts and style sheets from
Closer's own origin or carrying the response's nonce, nothing inline without one. Two things
are added here:

- Every response's policy carries a fresh nonce, used or not (django-csp adds it only when a
  template read it), so a page's policy does not depend on what the page happened to render.
- The admin's pages also allow, each by its exact hash, the few inline bits that Django's and
  its packages' admin templates ship and Closer does not render itself: the "Select all"
  toggle of django-import-export's export page, the style attributes of that page and of
  django-simple-history's history list. A hash allows that text and nothing else
  (`'unsafe-hashes'` is what CSP calls allowing an attribute by its hash, and only the
  `-attr` directives carry it); the workspace's pages need none of them. (Django's change list
  also writes a `<style>` when a ModelAdmin turns off both its action bars, which none of
  Closer's does: such an admin would add that block's hash to `style-src`.)

- Every page's `form-action` also allows the origin of each single sign-on provider configured
  (`SOCIALACCOUNT_PROVIDERS`): "Sign in with ..." posts to Closer, which redirects to the
  provider, and browsers check that redirect against `form-action` too.

A response that already says its own policy keeps it (the candidate's offer page: see
`offers/views/candidate.py`); django-csp never replaces a header that is there.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import urlsplit

from csp.constants import UNSAFE_HASHES
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# Exactly as the installed templates write them (a change of a single space changes the hash,
# and the browser test of the admin then reports the violation).
ADMIN_STYLE_ATTRIBUTES = (
    "border-top: 0",  # simple_history/object_history_list.html, the paginator
    "padding: 0;",  # import_export/export.html
    "font-weight: bold;",  # import_export/export.html
)
ADMIN_SCRIPT_ATTRIBUTES = (
    # import_export/export.html: the "Select all" checkbox calls a function of its own static
    # export_selectable_fields.js.
    "onSelectToggleChange(event)",
)


def source_hash(text: str) -> str:
    """The CSP source expression that allows exactly `text` inline."""
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def admin_additions() -> dict[str, list[str]]:
    """What the admin's pages add to the site's `DIRECTIVES` (appended to a directive there)."""
    return {
        "style-src-attr": [UNSAFE_HASHES, *(source_hash(text) for text in ADMIN_STYLE_ATTRIBUTES)],
        "script-src-attr": [
            UNSAFE_HASHES,
            *(source_hash(text) for text in ADMIN_SCRIPT_ATTRIBUTES),
        ],
    }


ADMIN_ADDITIONS = admin_additions()


def sign_on_origins() -> list[str]:
    """The origins of the single sign-on providers configured (none without OIDC_SERVER_URL)."""
    provider: dict[str, Any] = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {})
    apps: list[dict[str, Any]] = provider.get("APPS", [])
    origins = []
    for app in apps:
        parts = urlsplit(app.get("settings", {}).get("server_url", ""))
        if parts.scheme and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def is_admin(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" in match.namespaces


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        parts.nonce = self._make_nonce(request)
        additions: dict[str, list[str]] = {}
        if origins := sign_on_origins():
            additions["form-action"] = origins
        if is_admin(request) and not report_only:
            additions.update(ADMIN_ADDITIONS)
        if additions:
            parts.update = {**additions, **(parts.update or {})}
        return parts


def nonce(request: HttpRequest) -> dict[str, object]:
    """The response's nonce as `csp_nonce` in templates (the name Django 6's own CSP support
    and django-htmx's `{% htmx_script %}` use)."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
