from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from recruiting.pipeline.models import Application
from recruiting.pipeline.selectors import stale_applications
from recruiting.pipeline.services import add_to_pipeline, mark_lost, move_stage
from tests.factories import CandidateFactory, RoleFactory

pytestmark = pytest.mark.django_db


def test_an_application_past_its_stage_time_limit_is_stale(recruiter):
    role = RoleFactory()
    contacted = role.stages.get(name="Contacted")  # 7 days
    screen = role.stages.get(name="Screen")  # 10 days
    now = timezone.now()
    old = move_stage(
        add_to_pipeline(CandidateFactory(), role, by=recruiter), contacted, by=recruiter
    )
    fresh = move_stage(
        add_to_pipeline(CandidateFactory(), role, by=recruiter), screen, by=recruiter
    )
    Application.objects.filter(pk=old.pk).update(stage_entered_at=now - timedelta(days=8))
    Application.objects.filter(pk=fresh.pk).update(stage_entered_at=now - timedelta(days=8))

    assert list(stale_applications(now)) == [old]
    assert set(stale_applications(now + timedelta(days=3))) == {old, fresh}


def test_closed_applications_and_stages_without_limit_are_never_stale(recruiter):
    role = RoleFactory()
    lost = add_to_pipeline(CandidateFactory(), role, by=recruiter)
    mark_lost(lost, reason=Application.LostReason.NO_RESPONSE, by=recruiter)
    Application.objects.update(stage_entered_at=timezone.now() - timedelta(days=365))

    assert not stale_applications().exists()
