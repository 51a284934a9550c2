"""A candidate's search text follows every write that changes what a search should find: the
database keeps it (migration 0005), so a bulk insert, an import or a company renamed is found
as surely as an edit in the admin."""

from __future__ import annotations

import pytest

from candidates.models import Candidate, CandidateEmail, Company
from candidates.selectors import matching_candidates
from tests.factories import CandidateFactory, CompanyFactory

pytestmark = pytest.mark.django_db


def found(term: str) -> list[str]:
    found = matching_candidates(Candidate.objects.all(), term)
    return sorted(found.values_list("name", flat=True))


def test_a_new_candidate_is_found_by_name_email_and_company():
    CandidateFactory(
        name="Ada Lovelace",
        email="ada@analytical.example",
        current_company=CompanyFactory(name="Difference Engines"),
    )

    assert found("lovelace") == ["Ada Lovelace"]
    assert found("analytical") == ["Ada Lovelace"]
    assert found("difference") == ["Ada Lovelace"]


def test_a_word_never_matches_across_the_name_and_an_email():
    CandidateFactory(name="Ada Lovelace", email="countess@example.org")

    assert found("lovelacecountess") == []
    assert found("lovelace countess") == ["Ada Lovelace"]


def test_renaming_a_candidate_or_changing_their_company_is_found_at_once():
    ada = CandidateFactory(name="Ada Byron", current_company=CompanyFactory(name="Babbage Ltd"))

    ada.name = "Ada Lovelace"
    ada.current_company = CompanyFactory(name="Jacquard Looms")
    ada.save()

    assert found("lovelace") == ["Ada Lovelace"]
    assert found("byron") == []
    assert found("jacquard") == ["Ada Lovelace"]
    assert found("babbage") == []


def test_emails_added_changed_moved_and_removed_are_followed():
    ada = CandidateFactory(name="Ada Lovelace", email="ada@old.example")
    grace = CandidateFactory(name="Grace Hopper", email="grace@navy.example")

    CandidateEmail.objects.bulk_create(
        [CandidateEmail(candidate=ada, email="countess@first.example")]
    )
    assert found("first.example") == ["Ada Lovelace"]

    CandidateEmail.objects.filter(email="ada@old.example").update(email="ada@new.example")
    assert found("old.example") == []
    assert found("new.example") == ["Ada Lovelace"]

    CandidateEmail.objects.filter(email="countess@first.example").update(candidate=grace)
    assert found("countess") == ["Grace Hopper"]

    CandidateEmail.objects.filter(candidate=grace).delete()
    assert found("countess") == []
    assert found("navy") == []
    assert found("grace") == ["Grace Hopper"]  # by name still


def test_renaming_a_company_renames_it_in_every_search_of_its_people():
    openai = CompanyFactory(name="OpenAI")
    CandidateFactory(name="Ada Lovelace", current_company=openai)
    CandidateFactory(name="Alan Turing", current_company=openai)
    CandidateFactory(name="Grace Hopper", current_company=CompanyFactory(name="Anthropic"))

    Company.objects.filter(pk=openai.pk).update(name="Closed Intelligence")

    assert found("closed") == ["Ada Lovelace", "Alan Turing"]
    assert found("openai") == []
    assert found("anthropic") == ["Grace Hopper"]


def test_candidates_inserted_in_bulk_are_found():
    company = CompanyFactory(name="Bulk Labs")
    made = Candidate.objects.bulk_create(
        [Candidate(name=f"Researcher {i}", current_company=company) for i in range(3)]
    )
    CandidateEmail.objects.bulk_create(
        [CandidateEmail(candidate=c, email=f"r{c.pk}@bulk.example") for c in made]
    )

    assert found("bulk labs") == ["Researcher 0", "Researcher 1", "Researcher 2"]
    assert found(f"r{made[1].pk}@") == ["Researcher 1"]


def test_a_value_written_to_the_search_text_by_hand_is_replaced():
    ada = CandidateFactory(name="Ada Lovelace", email="ada@example.org")

    Candidate.objects.filter(pk=ada.pk).update(search_text="nonsense")

    assert found("nonsense") == []
    assert found("lovelace") == ["Ada Lovelace"]
