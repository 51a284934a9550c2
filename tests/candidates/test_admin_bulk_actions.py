"""The candidate list's bulk actions: assigning an owner, adding tags, marking
do-not-contact; a user who may only view gets none."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from candidates.models import Tag
from tests.candidates.admin_helpers import CHANGELIST
from tests.factories import CandidateFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Bulk actions --------------------------------------------------------------------------


def run_action(client, action: str, candidates, **form: str):
    """Chooses the action on the list, then submits its intermediate page as a person would."""
    selected = [str(c.pk) for c in candidates]
    page = client.post(CHANGELIST, {"action": action, "_selected_action": selected})
    assert page.status_code == 200
    assert page.templates[0].name == "admin/action_form.html"
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": selected, "apply": "1", **form}
    )


def test_assigning_an_owner_through_the_action_page(recruiter_client, recruiter):
    ada, grace, alan = CandidateFactory.create_batch(3)

    response = run_action(
        recruiter_client, "assign_owner_action", [ada, grace], owner=str(recruiter.pk)
    )

    assert response.status_code == 302
    assert set(recruiter.owned_candidates.all()) == {ada, grace}
    alan.refresh_from_db()
    assert alan.owner is None
    assert "owns 2 candidate(s)" in messages_of(response)[0]


def test_assign_owner_offers_only_active_staff(recruiter_client):
    ada = CandidateFactory()
    leaver = UserFactory(username="leaver", is_active=False)

    response = run_action(recruiter_client, "assign_owner_action", [ada], owner=str(leaver.pk))

    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    ada.refresh_from_db()
    assert ada.owner is None


def test_adding_tags_through_the_action_page_creates_missing_tags(recruiter_client):
    safety = TagFactory(name="Safety")
    ada, grace = CandidateFactory.create_batch(2)

    response = run_action(recruiter_client, "add_tags_action", [ada, grace], tags="safety, RLHF ,")

    assert response.status_code == 302
    assert Tag.objects.count() == 2
    rlhf = Tag.objects.get(name="RLHF")
    assert set(ada.tags.all()) == {safety, rlhf}
    assert set(grace.tags.all()) == {safety, rlhf}


def test_adding_no_tags_is_refused_on_the_action_page(recruiter_client):
    ada = CandidateFactory()

    response = run_action(recruiter_client, "add_tags_action", [ada], tags=" , ")

    assert response.status_code == 200
    assert "tags" in response.context["form"].errors
    assert not ada.tags.exists()


def test_marking_do_not_contact_from_the_list(recruiter_client):
    ada, grace = CandidateFactory.create_batch(2)

    response = recruiter_client.post(
        CHANGELIST, {"action": "mark_do_not_contact_action", "_selected_action": [ada.pk]}
    )

    assert response.status_code == 302
    ada.refresh_from_db()
    grace.refresh_from_db()
    assert ada.do_not_contact
    assert not grace.do_not_contact
    assert "1 candidate(s) marked do-not-contact." in messages_of(response)


def test_a_user_who_may_only_view_candidates_gets_no_bulk_actions(client, outsider):
    from django.contrib.auth.models import Permission

    outsider.user_permissions.add(Permission.objects.get(codename="view_candidate"))
    CandidateFactory(name="Ada Lovelace")
    client.force_login(outsider)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()
    assert response.context["action_form"] is None  # no action this user may take
