"""A form is sent once: the one-time key every POST form carries, and the middleware that
claims it.

`{% form_key %}` (a builtin tag, as `{% csrf_token %}` is, so no `{% load %}`) renders a hidden
input holding a new random key each time the form is rendered; a form shown again with its
errors therefore carries a new key by itself. `FormSentOnce` (in `MIDDLEWARE`) claims the key
when the form arrives and answers a repeat of it (a double click, back and resend, a second
tab showing the same page) without running the view again.

`form_key_exempt` marks a view that receives a form's fields without acting on them (the offer
form's live preview posts the whole form, key included, on every keystroke): it must not
spend the key the real submission needs.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from django import template
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from redis.exceptions import RedisError

FIELD = "form_key"
# What a key looks like: anything else in the field is ignored (the request goes on as one
# without a key), so nobody can make the cache hold keys of their own choosing and size.
KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")

register = template.Library()
logger = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., object])


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


@register.simple_tag
def form_key() -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_form_key())


def form_key_exempt(view: View) -> View:
    setattr(view, "form_key_exempt", True)  # noqa: B010 (read with getattr)
    return view


class FormSentOnce:
    """A form's one-time key is claimed when the form arrives, and a repeat of it does nothing:
    it is answered with a redirect (303) to where the first submission led, or back to the page
    the form was on, and a message saying so.

    The claim is an atomic `cache.add` (Redis in production, so every web worker shares it),
    scoped to the user (or the session, or nobody before sign-in) and kept for
    `FORM_KEY_SECONDS`. A repeat that arrives while the first is still running (a double
    click) waits for it, up to `FORM_KEY_WAIT_SECONDS`, to learn where it led. A first
    submission that did nothing (answered 4xx: refused, not found) or failed (5xx) releases its
    key, so that sending the form again is a new try. POSTs without a key, and views marked
    `form_key_exempt`, go on as before; so do all POSTs while the cache is out of reach (a
    Redis outage must not stop every form: it only lets a repeat through, as before keys).
    """

    PENDING = "pending"
    DONE = "done"
    MESSAGE = "This form was already sent; nothing was done twice."

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        claimed: str | None = getattr(request, "_form_key_claimed", None)
        if claimed is not None:
            try:
                if response.status_code >= 400:
                    cache.delete(claimed)
                else:
                    redirect = 300 <= response.status_code < 400
                    location = response.get("Location") if redirect else None
                    cache.set(claimed, location or self.DONE, settings.FORM_KEY_SECONDS)
            except (RedisError, OSError) as error:
                logger.warning("form key not recorded: the cache is out of reach (%r)", error)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., object],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponseBase | None:
        if request.method != "POST" or getattr(view_func, "form_key_exempt", False):
            return None
        key = request.POST.get(FIELD, "")
        if not KEY.fullmatch(key):
            return None
        claim = f"form-key:{_scope(request)}:{key}"
        try:
            outcome = self._claim(claim)
        except (RedisError, OSError) as error:  # one line: an outage would flood the log
            logger.warning("form key not checked: the cache is out of reach (%r)", error)
            return None
        if outcome is None:
            setattr(request, "_form_key_claimed", claim)  # noqa: B010 (read with getattr)
            return None
        return self._repeat(request, outcome)

    def _claim(self, claim: str) -> str | None:
        """None if this request claimed the key; else what the first submission led to (or
        PENDING if it still runs when the wait is over)."""
        deadline = time.monotonic() + settings.FORM_KEY_WAIT_SECONDS
        while True:
            if cache.add(claim, self.PENDING, settings.FORM_KEY_SECONDS):
                return None
            # None: released (the first failed) since `add`; the next `add` claims it.
            outcome = cache.get(claim)
            if outcome is not None and (outcome != self.PENDING or time.monotonic() >= deadline):
                return str(outcome)
            time.sleep(0.05)

    def _repeat(self, request: HttpRequest, outcome: str) -> HttpResponseBase:
        if outcome not in (self.PENDING, self.DONE):
            target = outcome
        else:
            referer = request.headers.get("Referer", "")
            same_site = url_has_allowed_host_and_scheme(
                referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            target = referer if same_site else resolve_url(settings.LOGIN_REDIRECT_URL)
        messages.info(request, self.MESSAGE)
        if request.headers.get("HX-Request"):
            # htmx would swap a followed redirect into its target; this makes it navigate.
            response: HttpResponseBase = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        response = HttpResponseRedirect(target)
        response.status_code = 303  # see other: the browser follows with a GET
        return response


def _scope(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user-{user.pk}"
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        return f"session-{session.session_key}"
    return "anonymous"
