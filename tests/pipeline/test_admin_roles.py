"""Roles in the admin: a new role gets the default pipeline; the list counts open
applications."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recruiting.pipeline.models import DEFAULT_PIPELINE, Application, Role
from recruiting.pipeline.services import mark_lost
from tests.factories import ApplicationFactory, RoleFactory

pytestmark = pytest.mark.django_db


# --- Roles ---------------------------------------------------------------------------------


def test_a_role_added_in_the_admin_gets_the_default_pipeline(recruiter_client):
    response = recruiter_client.post(
        reverse("admin:pipeline_role_add"),
        {
            "title": "Inference Engineer",
            "team": "Serving",
            "hiring_manager": "",
            "level": "senior",
            "family": "ml_engineer",
            "zone": "europe",
            "city": "London",
            "country": "GB",
            "headcount": "2",
            "status": "open",
        },
    )

    assert response.status_code == 302
    role = Role.objects.get(title="Inference Engineer")
    assert (role.family, role.zone) == (Role.Family.ML_ENGINEER, Role.Zone.EUROPE)
    assert [
        (s.position, s.name, s.kind, s.time_limit_days, s.follow_up_days) for s in role.stages.all()
    ] == [(position, *stage) for position, stage in enumerate(DEFAULT_PIPELINE, start=1)]
    assert role.stages.count() == 8


def test_the_role_list_counts_open_applications(recruiter_client, recruiter):
    role = RoleFactory(title="Inference Engineer")
    ApplicationFactory(role=role)
    mark_lost(ApplicationFactory(role=role), reason=Application.LostReason.WITHDREW, by=recruiter)

    response = recruiter_client.get(reverse("admin:pipeline_role_changelist"))

    assert response.status_code == 200
    assert [r.open_count for r in response.context["cl"].result_list] == [1]
