"""Production checks, run by `manage.py check --deploy`: the embedded defaults are for one
machine only, and a production deployment that still uses them is an error."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.database, deploy=True)
def embedded_parts_in_production(app_configs, **kwargs):  # type: ignore[no-untyped-def]
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
    if settings.EMAIL_BACKEND.endswith(("filebased.EmailBackend", "console.EmailBackend")):
        errors.append(
            Error(
                "Production writes email to files instead of sending it.",
                hint="Set EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.com:587).",
                id="closer.E003",
            )
        )
    return errors
