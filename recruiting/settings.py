"""Closer settings, all read from environment variables.

With nothing set, Closer runs embedded: SQLite, a Celery broker on the local filesystem and
email written to files under var/. Production sets DEBUG=false and the variables below; in
that mode missing secrets are an error and `manage.py check --deploy` passes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

# Lets the admin and form classes be written with their model types (ModelAdmin[Candidate]),
# which the type checker reads and Django's own classes do not accept at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CLOSER_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    # A fixed, public key is fine for the embedded setup: it never protects real data.
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-closer-embedded-development-only")
else:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: production must set its own

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in emails (opt-out, alerts): embedded, the port `make run` serves on (CLOSER_PORT).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('CLOSER_PORT', default=8000)}")
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "bootstrap",  # Bootstrap 5's CSS and JS as static files, served from the app: no CDN
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",  # htmx's JS as a static file (no CDN) and request.htmx
    "django_countries",
    "import_export",
    "simple_history",
    "allauth",  # sign-in, password reset; throttling, a second factor and SSO build on it
    "allauth.account",
    "allauth.mfa",  # a second factor: authenticator apps (TOTP) and recovery codes
    "allauth.socialaccount",  # single sign-on through the team's OpenID Connect provider
    "allauth.socialaccount.providers.openid_connect",
    "csp",  # django-csp: the Content-Security-Policy header (recruiting/lib/csp.py)
    "recruiting",
    "candidates",
    "recruiting.alerts",
    "recruiting.audit",  # who was shown pay, and when
    "recruiting.pipeline",
    "recruiting.outreach",
    "recruiting.people",
    "offers",
    "recruiting.privacy",  # people's data: retention, export, erasure
    "recruiting.web",  # the pages and admin registrations that combine the apps above
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# django-allauth: colleagues sign in with their username or email; nobody signs up (they are
# invited: recruiting/people); its emails go through the alert outbox (people/adapter.py).
ACCOUNT_ADAPTER = "recruiting.people.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "recruiting.people.forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SESSION_REMEMBER = False  # a session lasts as SESSION_COOKIE_AGE says: no checkbox
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""  # the outbox's emails say [Closer] already
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # a reset for an unknown address sends nothing
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Sign-in throttling: after this many failed sign-ins for one username or email within the
# window, that login is refused (the right password too) until the oldest failure leaves the
# window; an administrator can release it earlier (Users → Release sign-in lockout). Ten a
# minute from one address, whatever the login. The counts live in the cache: Redis in
# production, so every web worker shares them.
SIGN_IN_LOCKOUT_FAILURES = env.int("SIGN_IN_LOCKOUT_FAILURES", default=5)
SIGN_IN_LOCKOUT_MINUTES = env.int("SIGN_IN_LOCKOUT_MINUTES", default=15)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,{SIGN_IN_LOCKOUT_FAILURES}/{SIGN_IN_LOCKOUT_MINUTES * 60}s/key"
}
# A second factor (allauth.mfa): any colleague can add an authenticator app (Account →
# Two-factor); with MFA_REQUIRED_FOR_PAY, everyone who may see pay must, before any page opens.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Closer"
MFA_REQUIRED_FOR_PAY = env.bool("MFA_REQUIRED_FOR_PAY", default=False)
# Single sign-on (OpenID Connect), on when OIDC_SERVER_URL is set: the provider's issuer URL
# (its discovery document is at OIDC_SERVER_URL/.well-known/openid-configuration). A colleague
# is matched by the verified email the provider gives; OIDC_GROUP_MAP names, per group of the
# provider (the OIDC_GROUPS_CLAIM claim), the Closer group it puts them in, kept at every
# sign-in. Someone unknown is given an account only if the map gives them a group.
OIDC_SERVER_URL = env.str("OIDC_SERVER_URL", default="")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
# "their-group=Closer group,other=Recruiters"; an entry without "=" is kept aside for the
# start-up check to name (closer.E008) rather than fail here with a bare ValueError.
OIDC_GROUP_MAP: dict[str, str] = {}
OIDC_GROUP_MAP_MALFORMED: list[str] = []
for _entry in env.list("OIDC_GROUP_MAP", default=[]):
    _theirs, _equals, _ours = _entry.partition("=")
    if _equals and _theirs.strip() and _ours.strip():
        OIDC_GROUP_MAP[_theirs.strip()] = _ours.strip()
    else:
        OIDC_GROUP_MAP_MALFORMED.append(_entry)
SOCIALACCOUNT_ADAPTER = "recruiting.people.adapter.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True  # a verified email from the provider finds the user
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False  # Closer calls no API of the provider
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "SCOPE": ["openid", "profile", "email", *env.list("OIDC_EXTRA_SCOPES", default=[])],
        "APPS": [
            {
                "provider_id": "sso",
                "name": env.str("OIDC_NAME", default="your company's single sign-on"),
                "client_id": env.str("OIDC_CLIENT_ID", default=""),
                "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                "settings": {"server_url": OIDC_SERVER_URL},
            }
        ]
        if OIDC_SERVER_URL
        else [],
    }
}
# An invitation's or a reset's link works once, for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # In production WhiteNoise serves the collected static files; in the embedded setup
    # (DEBUG) runserver serves them straight from the installed packages.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    # Every page's Content-Security-Policy (below); static files are served before it.
    "recruiting.lib.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pay is never left in a cache: no-store on every response to a signed-in user.
    "recruiting.lib.middleware.NoStoreWhenSignedIn",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A form is sent once: a repeat of its one-time key changes nothing (recruiting/lib).
    "recruiting.lib.form_keys.FormSentOnce",
    "allauth.account.middleware.AccountMiddleware",
    "recruiting.people.middleware.SecondFactorForPay",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "recruiting.urls"
WSGI_APPLICATION = "recruiting.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recruiting.lib.csp.nonce",
            ],
            # {% form_key %} beside every {% csrf_token %}, with no {% load %}.
            "builtins": ["recruiting.lib.form_keys"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'closer.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A worker and the web server write at once in the embedded setup: wait for the lock
    # instead of failing, and let readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # PostgreSQL's JIT compiling pays off on queries of many seconds; Closer's take well under
    # one, and compiling cost the reports up to half a second a page (docs/benchmarks.md).
    # Options the URL gives come after, so they win.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"-c jit=off {options.get('options', '')}".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Offers are compared and approved in this currency.
REPORTING_CURRENCY = env.str("REPORTING_CURRENCY", default="USD")
# The weekly reports digest (recruiting/web/reports/digest.py) goes every Monday to the members
# of this group (the demo makes it); amounts only to those who may see pay, counts to the rest.
REPORTS_DIGEST_GROUP = env.str("REPORTS_DIGEST_GROUP", default="Head of recruiting")
# A rival's median year one "moved" when this week's differs from the twelve weeks' before by
# more than this (percent).
try:
    REPORTS_DIGEST_MOVE_PERCENT = Decimal(env.str("REPORTS_DIGEST_MOVE_PERCENT", default="5"))
except ArithmeticError:  # not a number: the check closer.E010 says so at start
    REPORTS_DIGEST_MOVE_PERCENT = Decimal("NaN")
# A rate older than this many days is flagged wherever money is converted with it.
RATE_STALE_AFTER_DAYS = env.int("RATE_STALE_AFTER_DAYS", default=7)

# Who hears that an open offer is about to expire, and when: (hours before expiry, audiences),
# each step once per offer and expiry. Audiences: "recruiter" (who drafted the offer),
# "hiring_manager" (the role's). An offer first seen inside a later step skips the earlier ones.
OFFER_EXPIRY_LADDER: list[tuple[int, list[str]]] = [
    (72, ["recruiter"]),
    (24, ["recruiter", "hiring_manager"]),
]
# The candidate opened their offer and has not answered with this many hours left: the
# recruiter who sent it is reminded (once per offer and deadline).
OFFER_UNANSWERED_HOURS = env.int("OFFER_UNANSWERED_HOURS", default=24)

# A competing offer "beats" ours when it pays more on this measure: "year_one" (what the first
# year pays), "annual_average" (the yearly average over the horizon of both) or
# "four_year_total" (years one to four together).
COMPETING_OFFER_MEASURE = env.str("COMPETING_OFFER_MEASURE", default="year_one")
# Bands hold pay a year: one-time pay (signing and retention bonuses, relocation) counts spread
# over this many years, beside recurring pay (base, target bonus, equity over its vesting).
BAND_HORIZON_YEARS = env.int("BAND_HORIZON_YEARS", default=4)
# The lowest certainty of a competing offer a counter-offer answers: "rumoured", "verbal",
# "written" or "verified". Less certain ones are shown, not answered.
COUNTER_OFFER_MIN_CERTAINTY = env.str("COUNTER_OFFER_MIN_CERTAINTY", default="verbal")
# A counter-offer suggestion beats the strongest competing offer by this much (percent).
try:
    COUNTER_OFFER_MARGIN_PERCENT = Decimal(env.str("COUNTER_OFFER_MARGIN_PERCENT", default="5"))
except ArithmeticError:  # not a number: the check closer.E005 says so at start
    COUNTER_OFFER_MARGIN_PERCENT = Decimal("NaN")
# The share-price paths every valuation of equity is also shown under: percent a year.
EQUITY_SCENARIOS = env.list("EQUITY_SCENARIOS", default=["-30", "0", "20", "50"])
# The liquidity discount shown beside illiquid equity, in percent per price basis (a public
# market price takes none): "preferred=25,common_fmv=0,tender=10,unit_value=25".
LIQUIDITY_DISCOUNTS = env.dict(
    "LIQUIDITY_DISCOUNTS",
    default={"preferred": "25", "common_fmv": "0", "tender": "10", "unit_value": "25"},
)
# Who hears that a competitor's decision deadline is near while our offer is not accepted:
# (hours before the deadline, audiences). Audiences: "recruiter" (the candidate's owner),
# "hiring_manager" (the role's), "approvers" (the compensation approvers group). Steps of 24
# hours or less are urgent: they ignore quiet hours.
COMPETITOR_DEADLINE_LADDER: list[tuple[int, list[str]]] = [
    (72, ["recruiter", "hiring_manager"]),
    (24, ["recruiter", "hiring_manager", "approvers"]),
    (6, ["recruiter", "hiring_manager", "approvers"]),
]

# Outreach is sent only inside the candidate's local sending window (their timezone, UTC if
# they have none): these weekdays (0 is Monday), from `start` to `end` local time.
OUTREACH_WINDOW = {
    "weekdays": env.list("OUTREACH_WINDOW_WEEKDAYS", cast=int, default=[0, 1, 2, 3, 4]),
    "start": env.str("OUTREACH_WINDOW_START", default="09:00"),
    "end": env.str("OUTREACH_WINDOW_END", default="17:00"),
}
# Outreach emails a sender (the candidate's owner) sends at most per day, counted in UTC.
OUTREACH_DAILY_CAP_PER_SENDER = env.int("OUTREACH_DAILY_CAP_PER_SENDER", default=50)

# Replies and bounces read from the mailboxes outreach is answered to (recruiting/outreach/
# mailbox.py reads these URLs): `imaps://user:password@host:993/INBOX` (TLS),
# `imap+starttls://...:143/INBOX` or `imap://` (plain, local servers only), a comma between
# two; `?owner=email` names the colleague told when one cannot be reached (else the one whose
# email is the login). Secrets stay in the environment: the database keeps none of them.
OUTREACH_MAILBOXES: list[str] = env.list("OUTREACH_MAILBOXES", default=[])
OUTREACH_MAILBOX_SECONDS = env.int("OUTREACH_MAILBOX_SECONDS", default=120)
# Closer reads with BODY.PEEK and deletes nothing; with this on, it marks the messages it acted
# on (replies, auto-replies, bounces) as read.
OUTREACH_MAILBOX_MARK_SEEN = env.bool("OUTREACH_MAILBOX_MARK_SEEN", default=False)
# A mailbox read for the first time is read back this many days (then by UID).
OUTREACH_MAILBOX_LOOKBACK_DAYS = env.int("OUTREACH_MAILBOX_LOOKBACK_DAYS", default=14)
# An auto-reply (out of office) stops nothing; with N > 0 it moves the next step N business
# days after the auto-reply.
OUTREACH_AUTO_REPLY_POSTPONE_DAYS = env.int("OUTREACH_AUTO_REPLY_POSTPONE_DAYS", default=0)
# Temporary delivery failures (soft bounces) an address may have before it counts as bouncing.
OUTREACH_SOFT_BOUNCE_LIMIT = env.int("OUTREACH_SOFT_BOUNCE_LIMIT", default=3)

# Every page, letter and export that shows someone amounts is logged (recruiting/audit); the
# log keeps a row this many days, then the daily purge deletes it.
PAY_ACCESS_LOG_DAYS = env.int("PAY_ACCESS_LOG_DAYS", default=730)

IMPORT_EXPORT_USE_TRANSACTIONS = True
# Importing needs the right to add, exporting the right to view: a staff user without rights
# on candidates must not be able to download them.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Files of candidates uploaded in the admin wait here for their check and import by a worker
# (web and worker must both reach it: one machine, or a shared volume). A file is removed when
# its import ends; one never confirmed is removed by the sweep after this many hours.
CANDIDATE_IMPORT_DIR = Path(env.str("CANDIDATE_IMPORT_DIR", default=str(VAR_DIR / "imports")))
CANDIDATE_IMPORT_KEEP_HOURS = env.int("CANDIDATE_IMPORT_KEEP_HOURS", default=24)

# People's data: a prospect (no open application past Contacted, no offer in progress) with no
# consent recorded in this many days and untouched for as long (no activity, application,
# outreach email, competing offer or edit) is anonymised by the daily retention job.
PRIVACY_PROSPECT_RETENTION_DAYS = env.int("PRIVACY_PROSPECT_RETENTION_DAYS", default=730)
# At most this many are anonymised a run (measured: 500 bare prospects in 24 s): a first run
# over years of data drains over days.
PRIVACY_RETENTION_BATCH = env.int("PRIVACY_RETENTION_BATCH", default=5000)

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The cache holds what every web worker must share (sign-in failures): Redis when there is one;
# the embedded setup's single server process keeps it in memory.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "closer",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# A form's one-time key is remembered this long (back and resend the next morning is still
# caught); a repeat that arrives while the first submission runs waits this long for it to
# finish, to lead where it led.
FORM_KEY_SECONDS = env.int("FORM_KEY_SECONDS", default=24 * 3600)
FORM_KEY_WAIT_SECONDS = env.float("FORM_KEY_WAIT_SECONDS", default=10.0)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    # The transport lists its folder at once; a fresh checkout has none yet.
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        # Broadcasts (the worker's pidbox, `celery inspect`): by default a control/ folder in
        # the current directory, which left one in every checkout that ran `make run`.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A Redis that hangs (failover, a dropped NAT entry) must not hang a request that queues
    # a task: without these a publish waits on the dead socket for ever.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 3}
# Queueing fails fast when the broker is down: no retry (a retry re-runs every timeout above;
# redis-py reconnects a pooled connection that died with a restarted Redis by itself), the
# error goes to the caller, which logs it and goes on; the sweep delivers what was not queued
# (docs/architecture.md, "How an alert travels"). Measured: refused at once, hung 3 s.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 0,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None) or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task is acknowledged only once it has run, so a worker that dies mid-task leaves it to be
# redelivered; the database, not the queue, decides whether its work was already done.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The scheduler runs in UTC, and there is exactly one of it (see the README).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "alerts-sweep": {"task": "alerts.sweep", "schedule": 60.0},
    "outreach-send-due": {"task": "outreach.send_due", "schedule": 60.0},
    "offers-expire-due": {"task": "offers.expire_due", "schedule": 60.0},
    "privacy-retention": {"task": "privacy.apply_retention", "schedule": 24 * 60 * 60.0},
    # The pay access log's rows older than PAY_ACCESS_LOG_DAYS, once a day.
    "audit-purge-pay-access": {"task": "audit.purge_pay_access", "schedule": 24 * 60 * 60.0},
    "candidates-sweep-imports": {"task": "candidates.sweep_imports", "schedule": 10 * 60.0},
    # Packages written while a currency had no rate are valued for the reports once it has one.
    "offers-refresh-report-figures": {
        "task": "offers.refresh_report_figures",
        "schedule": 60 * 60.0,
    },
    # The head of recruiting's weekly digest: Mondays at 07:00 UTC, about the week before.
    "reports-weekly-digest": {
        "task": "reports.send_weekly_digest",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
}
if OUTREACH_MAILBOXES:
    CELERY_BEAT_SCHEDULE["outreach-read-mailboxes"] = {
        "task": "outreach.read_mailboxes",
        "schedule": float(OUTREACH_MAILBOX_SECONDS),
    }
# The European Central Bank's reference rates (its eurofxref-hist.zip, or eurofxref.zip for the
# day), fetched every six hours when set: the ECB publishes once a working day, around 16:00
# CET. Empty, as in the embedded setup: rates come only from the admin and `load_rates`.
ECB_RATES_URL = env.str("ECB_RATES_URL", default="")
if ECB_RATES_URL:
    CELERY_BEAT_SCHEDULE["offers-fetch-rates"] = {
        "task": "offers.fetch_rates",
        "schedule": 6 * 60 * 60.0,
    }

# --- Email --------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Closer <closer@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
else:
    # The embedded sink: every email is a file a person can open in var/mail/.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Content-Security-Policy ----------------------------------------------------------------
# Scripts and style sheets come from Closer's own origin (static files, htmx and Bootstrap
# among them) or carry the response's nonce; nothing inline runs or applies without one: no
# <script> or <style> without it, no onclick, no style="" attribute, no eval (htmx's is off:
# templates/base.html). Images from Closer or data: URLs (Bootstrap's icons are data: SVGs);
# requests (htmx, the board's drag) to Closer only; forms post to Closer only; no plugins, no
# <base>, no framing by any site. The admin's pages add a few hashes of what Django's and its
# packages' admin templates write inline (recruiting/lib/csp.py). The candidate's offer page
# sends a stricter policy of its own, which this one never replaces.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # Forms post to Closer; the single sign-on provider's origin is added by the
        # middleware (recruiting/lib/csp.py), others a deployment needs by this setting.
        "form-action": [SELF, *env.list("CSP_FORM_ACTION_ORIGINS", default=[])],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# --- Production hardening -----------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A candidate's offer link is the key to their offer: no log line holds it in full.
    "filters": {
        "offer_links": {"()": "recruiting.lib.logs.RedactOfferLinks"},
        # A refused request (4xx) is one line, never a traceback.
        "refusals": {"()": "recruiting.lib.logs.OneLineForRefusals"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["offer_links", "refusals"]},
        # Django's own for runserver's request lines, with the filter.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["offer_links"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own "django" handlers (a console one when DEBUG, mail to ADMINS) would print
        # request lines unfiltered: its records go up to the root's handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs each step of every letter it renders at INFO.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
