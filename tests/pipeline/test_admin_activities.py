"""The activity admin shows each user the activities the workspace shows them: a hiring
manager given the admin reads those on their roles' candidates, not the others'."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from recruiting.pipeline.permissions import HIRING_MANAGER_GROUP
from recruiting.pipeline.services import log_activity
from tests.factories import ApplicationFactory, RoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_in_admin(hiring_manager):
    """A hiring manager invited with access to the admin (the group may log activities)."""
    hiring_manager.groups.add(Group.objects.get(name=HIRING_MANAGER_GROUP))
    return hiring_manager


@pytest.fixture
def two_notes(manager_in_admin, recruiter):
    mine = ApplicationFactory(role=RoleFactory(hiring_manager=manager_in_admin))
    theirs = ApplicationFactory()

    def note(application, summary):
        return log_activity(
            application.candidate,
            kind="note",
            summary=summary,
            application=application,
            by=recruiter,
        )

    return note(mine, "Strong on systems"), note(theirs, "Asked about the Zurich team")


def test_a_hiring_manager_reads_in_the_admin_only_their_roles_activities(
    client, manager_in_admin, two_notes
):
    mine, theirs = two_notes
    client.force_login(manager_in_admin)

    listed = client.get(reverse("admin:pipeline_activity_changelist"))
    opened = client.get(reverse("admin:pipeline_activity_change", args=[mine.pk]))
    hidden = client.get(reverse("admin:pipeline_activity_change", args=[theirs.pk]))
    history = client.get(reverse("admin:pipeline_activity_history", args=[theirs.pk]))

    assert [a.pk for a in listed.context["cl"].result_list] == [mine.pk]
    assert "Asked about the Zurich team" not in listed.content.decode()
    assert opened.status_code == 200
    # "doesn't exist": back to the admin's index
    assert hidden.status_code == history.status_code == 302


def test_a_recruiter_reads_every_activity(recruiter_client, two_notes):
    listed = recruiter_client.get(reverse("admin:pipeline_activity_changelist"))

    assert len(listed.context["cl"].result_list) == 2
