from __future__ import annotations

import pytest

from .factories import UserFactory


@pytest.fixture
def recruiter(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    user = UserFactory(username="recruiter", first_name="Rita", last_name="Recruiter")
    user.groups.add(Group.objects.get(name="Recruiters"))
    return user


@pytest.fixture
def hiring_manager(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="hiring_manager", first_name="Hank", last_name="Manager")


@pytest.fixture
def outsider(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="outsider", is_staff=True)


@pytest.fixture
def superuser(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="admin", is_superuser=True)
