"""`manage.py ensure_demo_login`: an administrator for the embedded demo, and how to log in.

The password is random, made here, and kept only in VAR_DIR/demo-login.txt (outside the
repository, readable by its owner alone), so that `make run` can print it on every start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

USERNAME = "admin"
EMAIL = "admin@closer.example"
# The demo users who play a part in the demo, with what each does: the same password as the
# administrator's lets a new user see Closer as each of them does (seed_demo and seed_market
# make them; without the demo, nobody).
PLAYERS = (
    ("rita", "the recruiter: owns the demo candidates, drafts offers, gets their alerts"),
    ("cora", "the compensation approver: step 1 of the approval chain"),
    ("fiona", "the CFO: step 2, for packages of $25M or more over four years"),
    (
        "helen",
        "the head of recruiting: every report, with pay, and the weekly digest on Mondays",
    ),
    (
        "hana",
        "a hiring manager: sees her roles' pipelines (Pre-training, Inference, Safety), no pay",
    ),
)
LOGIN_FILE = "demo-login.txt"


def read_password(path: Path) -> str | None:
    try:
        words = path.read_text().split()
    except FileNotFoundError:
        return None
    return words[1] if len(words) == 2 and words[0] == USERNAME else None


def write_password(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{USERNAME}\n{password}\n")


class Command(BaseCommand):
    help = (
        f"Creates, once, the demo superuser '{USERNAME}' with a random password kept in "
        f"VAR_DIR/{LOGIN_FILE}, and prints where and how to log in."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # A superuser whose password sits in a file is fine for a demo on a laptop, not
            # for a deployment: there, administrators are made with createsuperuser.
            raise CommandError(
                "ensure_demo_login is for the embedded demo and does not run with DEBUG off; "
                "use createsuperuser."
            )
        path = Path(settings.VAR_DIR) / LOGIN_FILE
        user_model = get_user_model()
        user = user_model.objects.filter(username=USERNAME).first()
        password = read_password(path)
        if user is None:
            password = secrets.token_urlsafe(16)
            user_model.objects.create_superuser(USERNAME, email=EMAIL, password=password)
            write_password(path, password)
        elif not (user.is_active and user.is_staff):
            raise CommandError(
                f"A user '{USERNAME}' exists but cannot log in to the admin; "
                "activate it or give it staff status."
            )
        elif password is None or not user.check_password(password):
            # The file is gone, or the password was changed since: print one that works.
            password = secrets.token_urlsafe(16)
            user.set_password(password)
            user.save(update_fields=["password"])
            write_password(path, password)
        user_model.objects.filter(username=USERNAME, email="").update(email=EMAIL)
        url = settings.SITE_URL.rstrip("/") + reverse("home")
        self.stdout.write(f"Closer is at {url} — log in as {USERNAME} / {password}")
        for username, part in PLAYERS:
            player = user_model.objects.filter(username=username, is_active=True).first()
            if player is None:
                continue
            if not player.check_password(password):
                player.set_password(password)
                player.save(update_fields=["password"])
            self.stdout.write(f"or as {username} / {password}, {part}")
        self.stdout.write(f"The admin is at {url}admin/.")
