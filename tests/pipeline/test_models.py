"""The rules an application row keeps, in full_clean and in the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from candidates.models import Company
from recruiting.pipeline.models import Application, Stage
from tests.factories import CandidateFactory, CompanyFactory, RoleFactory

pytestmark = pytest.mark.django_db


def lost_application(**values) -> Application:
    role = RoleFactory.create()
    return Application(
        candidate=CandidateFactory.create(),
        role=role,
        stage=role.stages.get(kind=Stage.Kind.LOST),
        status=Application.Status.LOST,
        **values,
    )


def test_a_competitor_named_for_a_reason_other_than_a_competing_offer_is_refused():
    application = lost_application(
        lost_reason=Application.LostReason.DECLINED,
        lost_to=CompanyFactory.create(name="Rival AI", kind=Company.Kind.COMPETITOR),
    )

    with pytest.raises(ValidationError) as caught:
        application.full_clean()
    errors = caught.value.message_dict
    assert "lost_to" in errors
    assert NON_FIELD_ERRORS not in errors

    with transaction.atomic(), pytest.raises(IntegrityError):
        application.save()
    assert not Application.objects.exists()


def test_a_competing_offer_without_the_competitor_is_refused_by_the_database():
    application = lost_application(lost_reason=Application.LostReason.COMPETING_OFFER)

    with transaction.atomic(), pytest.raises(IntegrityError):
        application.save()


def test_an_open_application_has_no_lost_reason():
    role = RoleFactory.create()
    application = Application(
        candidate=CandidateFactory.create(),
        role=role,
        stage=role.stages.get(name="Sourced"),
        lost_reason=Application.LostReason.NOT_A_FIT,
    )

    with pytest.raises(ValidationError):
        application.full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        application.save()


def test_a_lost_application_with_its_competitor_is_valid():
    application = lost_application(
        lost_reason=Application.LostReason.COMPETING_OFFER,
        lost_to=CompanyFactory.create(name="Rival AI", kind=Company.Kind.COMPETITOR),
    )

    application.full_clean()
    application.save()

    assert Application.objects.get().lost_to.name == "Rival AI"


def test_a_lost_application_needs_its_reason():
    application = lost_application(lost_reason="")

    with pytest.raises(ValidationError):
        application.full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        application.save()
