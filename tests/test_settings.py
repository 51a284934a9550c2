"""Production mode: strict about secrets and embedded parts, clean under check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-key-that-is-not-in-the-repo-0123456789abcdef",
    "ALLOWED_HOSTS": "closer.example.com",
    "DATABASE_URL": "postgres://closer@db.example.com:5432/closer",
    "REDIS_URL": "redis://redis.example.com:6379/0",
    "EMAIL_URL": "smtp+tls://closer:secret@smtp.example.com:587",
    "SITE_URL": "https://closer.example.com",
}


def check_deploy(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    # As a production machine has it: none of the test run's own settings (the browser tests
    # allow Django's ORM beside Playwright's event loop, which production must not).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(PRODUCTION)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings() -> None:
    result = check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = check_deploy(SECRET_KEY=None)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_on_the_embedded_parts_is_an_error() -> None:
    result = check_deploy(DATABASE_URL=None, REDIS_URL=None, EMAIL_URL=None, SITE_URL=None)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "closer.E001" in output and "closer.E002" in output and "closer.E003" in output
    assert "SITE_URL is 'http://127.0.0.1:8000'" in output and "closer.E006" in output


def test_a_mistyped_outreach_window_is_an_error_at_start() -> None:
    result = check_deploy(
        OUTREACH_WINDOW_START="17:00",
        OUTREACH_WINDOW_END="09:00",
        OUTREACH_WINDOW_WEEKDAYS="1,7",
        OUTREACH_DAILY_CAP_PER_SENDER="0",
    )

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "OUTREACH_WINDOW_START (17:00) is not before OUTREACH_WINDOW_END (09:00)." in output
    assert "OUTREACH_WINDOW_WEEKDAYS is [1, 7]" in output
    assert "OUTREACH_DAILY_CAP_PER_SENDER is 0" in output and "closer.E007" in output


def test_a_mistyped_competing_offer_setting_is_an_error_at_start() -> None:
    result = check_deploy(COMPETING_OFFER_MEASURE="year one", COUNTER_OFFER_MARGIN_PERCENT="5%")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "COMPETING_OFFER_MEASURE is 'year one'" in output and "closer.E004" in output
    assert "COUNTER_OFFER_MARGIN_PERCENT is NaN" in output and "closer.E005" in output


def test_a_mistyped_certainty_or_band_horizon_is_an_error_at_start() -> None:
    result = check_deploy(COUNTER_OFFER_MIN_CERTAINTY="sure", BAND_HORIZON_YEARS="0")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "COUNTER_OFFER_MIN_CERTAINTY is 'sure'" in output and "closer.E008" in output
    assert "BAND_HORIZON_YEARS is 0" in output and "closer.E009" in output


def test_mistyped_equity_scenarios_or_discounts_are_an_error_at_start() -> None:
    result = check_deploy(EQUITY_SCENARIOS="-30,flat,50", LIQUIDITY_DISCOUNTS="preferred=150")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "EQUITY_SCENARIOS has 'flat'" in output and "closer.E006" in output
    assert "LIQUIDITY_DISCOUNTS has preferred=150" in output


def test_half_configured_single_sign_on_is_an_error_at_start() -> None:
    result = check_deploy(OIDC_SERVER_URL="http://sso.example.com", OIDC_CLIENT_ID="closer")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "OIDC_SERVER_URL must use https in production." in output
    assert "OIDC_CLIENT_ID or OIDC_CLIENT_SECRET is not" in output and "closer.E008" in output


def test_a_mistyped_group_map_is_an_error_at_start() -> None:
    result = check_deploy(OIDC_GROUP_MAP="eng-recruiting=Recruiters,comp")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "OIDC_GROUP_MAP's entry 'comp' is not their-group=Closer group." in output
    assert "Traceback" not in output


def test_single_sign_on_configured_passes_check_deploy() -> None:
    result = check_deploy(
        OIDC_SERVER_URL="https://sso.example.com/realms/lab",
        OIDC_CLIENT_ID="closer",
        OIDC_CLIENT_SECRET="from-the-provider",
        OIDC_GROUP_MAP="eng-recruiting=Recruiters",
        MFA_REQUIRED_FOR_PAY="true",
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_mistyped_mailbox_setting_is_an_error_at_start() -> None:
    result = check_deploy(
        OUTREACH_MAILBOXES="pop3://rita:secret@mail.example.com/INBOX",
        OUTREACH_SOFT_BOUNCE_LIMIT="0",
    )

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "a mailbox URL begins with imaps://, imap+starttls:// or imap://" in output
    assert "OUTREACH_SOFT_BOUNCE_LIMIT is 0" in output and "closer.E020" in output
    assert "secret" not in output


def test_postgresql_connections_do_not_jit_compile(db) -> None:
    """Closer's queries take well under a second, where compiling one cost more than it saved
    (half a second on the funnel report at 100,000 candidates)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
