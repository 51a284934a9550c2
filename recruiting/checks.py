"""Production checks, run by `manage.py check --deploy`: the embedded defaults are for one
machine only, and a production deployment that still uses them is an error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.database, deploy=True)
def embedded_parts_in_production(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[Error]:
    errors = []
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(
            Error(
                "Production uses SQLite.",
                hint="Set DATABASE_URL to a PostgreSQL database.",
                id="closer.E001",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        errors.append(
            Error(
                "Production uses the filesystem Celery broker, which one machine only can read.",
                hint="Set REDIS_URL (or CELERY_BROKER_URL) to a Redis server.",
                id="closer.E002",
            )
        )
    host = urlsplit(settings.SITE_URL).hostname or ""
    if host in ("", "localhost", "127.0.0.1", "::1"):
        errors.append(
            Error(
                f"SITE_URL is {settings.SITE_URL!r}: the links in emails, the opt-out link every "
                "outreach email carries among them, would lead nowhere.",
                hint="Set SITE_URL to Closer's public address, e.g. https://closer.example.com.",
                id="closer.E006",
            )
        )
    if settings.EMAIL_BACKEND.endswith(("filebased.EmailBackend", "console.EmailBackend")):
        errors.append(
            Error(
                "Production writes email to files instead of sending it.",
                hint="Set EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.com:587).",
                id="closer.E003",
            )
        )
    return errors


@register()
def competition_settings(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    """The competing-offer settings read from the environment: caught at start, not at the
    first competing offer."""
    errors = []
    measures = ("year_one", "annual_average", "four_year_total")
    if settings.COMPETING_OFFER_MEASURE not in measures:
        errors.append(
            Error(
                f"COMPETING_OFFER_MEASURE is {settings.COMPETING_OFFER_MEASURE!r}.",
                hint=f"Use one of {', '.join(measures)}.",
                id="closer.E004",
            )
        )
    from django.core.exceptions import ImproperlyConfigured

    from offers.scenarios import configured_discounts, configured_scenarios

    for read, setting in (
        (configured_scenarios, "EQUITY_SCENARIOS"),
        (configured_discounts, "LIQUIDITY_DISCOUNTS"),
    ):
        try:
            read()
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), hint=f"Fix {setting}.", id="closer.E006"))
    from offers.counter_math import CERTAINTIES as certainties

    if settings.COUNTER_OFFER_MIN_CERTAINTY not in certainties:
        errors.append(
            Error(
                f"COUNTER_OFFER_MIN_CERTAINTY is {settings.COUNTER_OFFER_MIN_CERTAINTY!r}.",
                hint=f"Use one of {', '.join(certainties)}.",
                id="closer.E008",
            )
        )
    if not 1 <= settings.BAND_HORIZON_YEARS <= 50:
        errors.append(
            Error(
                f"BAND_HORIZON_YEARS is {settings.BAND_HORIZON_YEARS}.",
                hint="Use a number of years from 1 to 50, such as 4.",
                id="closer.E009",
            )
        )
    margin = settings.COUNTER_OFFER_MARGIN_PERCENT
    if not margin.is_finite() or margin < 0:
        errors.append(
            Error(
                f"COUNTER_OFFER_MARGIN_PERCENT is {margin}.",
                hint="Use a percentage of 0 or more, such as 5.",
                id="closer.E005",
            )
        )
    moved = settings.REPORTS_DIGEST_MOVE_PERCENT
    if not moved.is_finite() or moved < 0:
        errors.append(
            Error(
                f"REPORTS_DIGEST_MOVE_PERCENT is {moved}.",
                hint="Use a percentage of 0 or more, such as 5.",
                id="closer.E010",
            )
        )
    return errors


@register()
def outreach_settings(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    """The outreach sending window read from the environment: caught at start, not by a send
    job that never finds a moment to send."""
    from datetime import time

    window = settings.OUTREACH_WINDOW
    problems = []
    days = list(window["weekdays"])
    if not days or any(not 0 <= int(day) <= 6 for day in days):
        problems.append(f"OUTREACH_WINDOW_WEEKDAYS is {days}: use days 0 (Monday) to 6 (Sunday).")
    try:
        start, end = time.fromisoformat(window["start"]), time.fromisoformat(window["end"])
    except ValueError:
        problems.append(
            f"OUTREACH_WINDOW_START and _END are {window['start']!r} and {window['end']!r}: "
            "use HH:MM."
        )
    else:
        if start >= end:
            problems.append(
                f"OUTREACH_WINDOW_START ({window['start']}) is not before "
                f"OUTREACH_WINDOW_END ({window['end']})."
            )
    if settings.OUTREACH_DAILY_CAP_PER_SENDER < 1:
        problems.append(
            f"OUTREACH_DAILY_CAP_PER_SENDER is {settings.OUTREACH_DAILY_CAP_PER_SENDER}: "
            "use 1 or more."
        )
    return [
        Error(problem, hint="Fix the outreach setting named.", id="closer.E007")
        for problem in problems
    ]


@register()
def single_sign_on_settings(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    """Single sign-on half configured, or its group map mistyped, fails at start, not at a
    colleague's first sign-in."""
    problems = [
        f"OIDC_GROUP_MAP's entry {entry!r} is not their-group=Closer group."
        for entry in settings.OIDC_GROUP_MAP_MALFORMED
    ]
    parts = urlsplit(settings.OIDC_SERVER_URL)
    if not settings.OIDC_SERVER_URL:
        pass  # no single sign-on
    elif parts.scheme not in ("https", "http") or not parts.netloc:
        problems.append(
            f"OIDC_SERVER_URL is {settings.OIDC_SERVER_URL!r}: use the provider's issuer URL, "
            "https://..."
        )
    elif parts.scheme == "http" and not settings.DEBUG:
        problems.append("OIDC_SERVER_URL must use https in production.")
    apps = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    if apps and (not apps[0]["client_id"] or not apps[0]["secret"]):
        problems.append("OIDC_SERVER_URL is set but OIDC_CLIENT_ID or OIDC_CLIENT_SECRET is not.")
    return [
        Error(problem, hint="Fix the single sign-on setting named.", id="closer.E008")
        for problem in problems
    ]


@register()
def outreach_mailbox_settings(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[Error]:
    """A mistyped mailbox URL fails at start, not in the worker's log every two minutes."""
    from django.core.exceptions import ImproperlyConfigured

    from recruiting.outreach.mailbox import parse

    problems = []
    for url in settings.OUTREACH_MAILBOXES:
        try:
            parse(url)
        except ImproperlyConfigured as error:
            problems.append(str(error))
    if settings.OUTREACH_SOFT_BOUNCE_LIMIT < 1:
        problems.append(
            f"OUTREACH_SOFT_BOUNCE_LIMIT is {settings.OUTREACH_SOFT_BOUNCE_LIMIT}: it is 1 or more."
        )
    if settings.OUTREACH_AUTO_REPLY_POSTPONE_DAYS < 0:
        problems.append(
            f"OUTREACH_AUTO_REPLY_POSTPONE_DAYS is {settings.OUTREACH_AUTO_REPLY_POSTPONE_DAYS}: "
            "it is 0 (postpone nothing) or more."
        )
    return [
        Error(problem, hint="Fix the outreach mailbox setting named.", id="closer.E020")
        for problem in problems
    ]
