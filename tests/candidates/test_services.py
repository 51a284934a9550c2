"""Owner, tag and do-not-contact changes on many candidates; companies and tags by name."""

from __future__ import annotations

import pytest

from candidates.models import Candidate, Company, Tag
from candidates.services import (
    CandidateError,
    assign_owner,
    find_or_create_company,
    find_or_create_tags,
    mark_do_not_contact,
    tag_candidates,
)
from tests.factories import CandidateFactory, CompanyFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- assign_owner --------------------------------------------------------------------------


def test_assign_owner_gives_the_selected_candidates_to_the_recruiter(recruiter):
    ada, grace, alan = CandidateFactory.create_batch(3)
    other_owner = UserFactory()
    Candidate.objects.filter(pk=alan.pk).update(owner=other_owner)

    count = assign_owner(
        Candidate.objects.filter(pk__in=[ada.pk, grace.pk]), owner=recruiter, by=recruiter
    )

    assert count == 2
    assert set(recruiter.owned_candidates.all()) == {ada, grace}
    alan.refresh_from_db()
    assert alan.owner == other_owner


def test_assign_owner_refuses_an_inactive_user(recruiter):
    ada = CandidateFactory()
    leaver = UserFactory(username="leaver", is_active=False)

    with pytest.raises(CandidateError) as caught:
        assign_owner(Candidate.objects.all(), owner=leaver, by=recruiter)

    assert "leaver" in caught.value.message_dict["owner"][0]
    ada.refresh_from_db()
    assert ada.owner is None


# --- tag_candidates ------------------------------------------------------------------------


def test_tag_candidates_adds_tags_and_keeps_those_already_there():
    safety, rlhf = TagFactory(name="safety"), TagFactory(name="rlhf")
    ada, grace = CandidateFactory.create_batch(2)
    ada.tags.add(safety)

    count = tag_candidates(Candidate.objects.all(), tags=[safety, rlhf])

    assert count == 2
    assert set(ada.tags.all()) == {safety, rlhf}
    assert set(grace.tags.all()) == {safety, rlhf}


def test_tagging_twice_does_not_duplicate_tags():
    safety = TagFactory(name="safety")
    ada = CandidateFactory()

    tag_candidates(Candidate.objects.all(), tags=[safety])
    tag_candidates(Candidate.objects.all(), tags=[safety])

    assert list(ada.tags.all()) == [safety]


def test_tag_candidates_needs_a_tag():
    ada = CandidateFactory()

    with pytest.raises(CandidateError) as caught:
        tag_candidates(Candidate.objects.all(), tags=[])

    assert "tags" in caught.value.message_dict
    assert not ada.tags.exists()


# --- mark_do_not_contact -------------------------------------------------------------------


def test_mark_do_not_contact_flags_the_selected_candidates(recruiter):
    ada, grace, alan = CandidateFactory.create_batch(3)
    Candidate.objects.filter(pk=grace.pk).update(do_not_contact=True)

    count = mark_do_not_contact(Candidate.objects.filter(pk__in=[ada.pk, grace.pk]), by=recruiter)

    assert count == 1  # grace had already opted out
    assert set(Candidate.objects.filter(do_not_contact=True)) == {ada, grace}
    alan.refresh_from_db()
    assert not alan.do_not_contact


# --- companies and tags by name ------------------------------------------------------------


def test_find_or_create_company_finds_a_company_whatever_the_case_and_spacing():
    deepmind = CompanyFactory(name="Google DeepMind")

    assert find_or_create_company("google  deepmind ") == deepmind
    assert find_or_create_company("GOOGLE DEEPMIND") == deepmind
    assert Company.objects.count() == 1


def test_find_or_create_company_creates_a_missing_company():
    company = find_or_create_company("  Mistral   AI ", kind=Company.Kind.COMPETITOR)

    assert company.name == "Mistral AI"
    assert company.kind == Company.Kind.COMPETITOR
    assert Company.objects.get(name__iexact="mistral ai") == company


def test_find_or_create_company_needs_a_name():
    with pytest.raises(CandidateError) as caught:
        find_or_create_company("   ")

    assert "current_company" in caught.value.message_dict
    assert not Company.objects.exists()


def test_find_or_create_tags_reuses_tags_whatever_the_case_and_skips_blanks():
    safety = TagFactory(name="Safety")

    tags = find_or_create_tags(["safety", "  ", "Research  Engineering"])

    assert tags[0] == safety
    assert [t.name for t in tags] == ["Safety", "Research Engineering"]
    assert Tag.objects.count() == 2


def test_find_or_create_company_refuses_a_name_too_long_to_store():
    with pytest.raises(CandidateError) as caught:
        find_or_create_company("A" * 201)

    assert "at most 200 characters" in caught.value.message_dict["current_company"][0]
    assert not Company.objects.exists()


def test_find_or_create_tags_refuses_a_name_too_long_to_store():
    with pytest.raises(CandidateError) as caught:
        find_or_create_tags(["safety", "x" * 51])

    assert "tags" in caught.value.message_dict
