"""The demo data, built once for the crawl by the commands `make demo` runs, and the kinds of
user who open it."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import transaction

from offers.permissions import APPROVER_GROUP
from recruiting.alerts.scan import run_reminder_rules
from recruiting.lib.groups import grant
from recruiting.pipeline.permissions import HIRING_MANAGER_GROUP, RECRUITER_PERMISSIONS

# `make demo`'s commands that build data (ensure_demo_login gives the demo's users a password
# and runs only with DEBUG on; offer_links prints the candidates' links; neither adds a row a
# page shows, and the crawl signs its users in without a password).
DEMO_COMMANDS = ("seed_demo", "seed_market", "seed_history", "seed_outreach")


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    """The demo, with the alerts the scheduler's first reminder scan raises over it, in a
    transaction rolled back after the package's tests (each test runs in a savepoint of it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo, *seed_the_rest = DEMO_COMMANDS
        call_command(seed_demo, stdout=io.StringIO())
        # A second approver, there when the demo's offers ask the approvers, who has left
        # the group since: her alerts were written for someone who could see pay.
        former = get_user_model().objects.create_user(
            "corinne", email="corinne@closer.example", is_staff=True
        )
        former.groups.add(Group.objects.get(name=APPROVER_GROUP))
        for command in seed_the_rest:
            call_command(command, stdout=io.StringIO())
        run_reminder_rules()
        former.groups.set([Group.objects.get(name=HIRING_MANAGER_GROUP)])
        _more_kinds_of_user()
        yield
        transaction.set_rollback(True)


def _more_kinds_of_user() -> None:
    """Besides the demo's players (rita the recruiter, cora the approver, fiona the CFO, helen
    the head of recruiting, hana, marc and lena the hiring managers), the people a team adds:
    an administrator; a hiring manager invited with access to the admin; a sourcer working on
    candidates and pipelines in the admin, without offers; an auditor who may view everything
    there but pay (and corinne, the former approver, made with the demo)."""
    users = get_user_model().objects
    users.create_superuser("admin", email="admin@closer.example")
    marc = users.get(username="marc")
    marc.is_staff = True
    marc.save(update_fields=["is_staff"])
    assert marc.groups.filter(name=HIRING_MANAGER_GROUP).exists()

    sourcer = users.create_user("sam_sourcer", email="sourcer@closer.example", is_staff=True)
    grant("Sourcers", RECRUITER_PERMISSIONS, using="default")
    sourcer.groups.add(Group.objects.get(name="Sourcers"))

    auditor = users.create_user("audrey", email="audrey@closer.example", is_staff=True)
    auditor.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_").exclude(
            codename="view_compensation"
        )
    )
