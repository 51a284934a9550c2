"""Prepares and serves the test identity provider: `python -m tests.idp.serve PORT` with
IDP_DIR holding key.pem and people.json (its people, their groups, and Closer as a client).
Migrates its SQLite database, writes the people and the client, then serves with gunicorn."""

from __future__ import annotations

import json
import os
import sys

import django


def prepare() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.idp.settings")
    django.setup()
    from pathlib import Path

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    spec = json.loads((Path(os.environ["IDP_DIR"]) / "people.json").read_text())
    for person in spec["people"]:
        user = User.objects.create_user(
            person["username"],
            person["email"],
            person["password"],
            first_name=person["first_name"],
            last_name=person["last_name"],
        )
        for name in person["groups"]:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    client = spec["client"]
    Application.objects.create(
        name="Closer",
        client_id=client["id"],
        client_secret=client["secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


if __name__ == "__main__":
    prepare()
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "--bind",
        f"127.0.0.1:{sys.argv[1]}",
        "--workers",
        "1",
        "tests.idp.wsgi:application",
    ]
    run()
