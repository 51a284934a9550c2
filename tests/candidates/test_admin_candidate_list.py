"""The candidate list in the admin: what each row shows, its queries, the search and the
filters (owner, tag, company, relationship, specialty, do-not-contact)."""

from __future__ import annotations

import pytest

from candidates.models import Candidate, CandidateEmail
from tests.candidates.admin_helpers import CHANGELIST
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    RoleFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# Session, user, permissions (2), the filters' choices (stage, role, owner, company, tag), the
# count, the page, its emails and its applications. A query per row would break it.
CHANGELIST_QUERIES = 13


def listed(response) -> list[str]:
    assert response.status_code == 200
    return sorted(c.name for c in response.context["cl"].result_list)


# --- The list ------------------------------------------------------------------------------


def test_the_candidate_list_shows_name_email_company_and_pipeline(recruiter_client):
    role = RoleFactory(title="Inference Engineer")
    ada = CandidateFactory(
        name="Ada Lovelace",
        email="ada@example.org",
        current_company=CompanyFactory(name="Analytical Engines"),
    )
    ApplicationFactory(candidate=ada, role=role)

    response = recruiter_client.get(CHANGELIST)

    assert listed(response) == ["Ada Lovelace"]
    page = response.content.decode()
    assert "ada@example.org" in page
    assert "Analytical Engines" in page
    assert "Inference Engineer (San Francisco): <b>Sourced</b>" in page


def test_the_list_shows_closed_applications_after_open_ones_and_owners_by_name(
    recruiter_client, recruiter
):
    from recruiting.pipeline.models import Application
    from recruiting.pipeline.services import mark_lost

    ada = CandidateFactory(name="Ada Lovelace", owner=recruiter, current_title="Researcher")
    ApplicationFactory(candidate=ada, role=RoleFactory(title="Safety Researcher"))
    lost = ApplicationFactory(candidate=ada, role=RoleFactory(title="Inference Engineer"))
    mark_lost(lost, reason=Application.LostReason.NO_RESPONSE, by=recruiter)

    page = recruiter_client.get(CHANGELIST).content.decode()

    assert page.index("Safety Researcher (San Francisco): <b>Sourced</b>") < page.index(
        "Inference Engineer (San Francisco): <b>Lost</b>"
    )
    assert "Rita Recruiter" in page


@pytest.mark.parametrize("rows", [5, 60])
def test_the_candidate_list_takes_the_same_number_of_queries_whatever_the_rows(
    recruiter_client, django_assert_max_num_queries, rows
):
    owners = UserFactory.create_batch(3)
    companies = CompanyFactory.create_batch(4)
    tags = TagFactory.create_batch(3)
    roles = RoleFactory.create_batch(2)
    for i in range(rows):
        candidate = CandidateFactory(owner=owners[i % 3], current_company=companies[i % 4])
        CandidateEmail.objects.create(candidate=candidate, email=f"personal{i}@example.net")
        candidate.tags.add(*tags[: 1 + i % 3])
        for role in roles:
            ApplicationFactory(candidate=candidate, role=role)

    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = recruiter_client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == min(rows, 50)
    assert response.content.decode().count("Sourced</b>") == 2 * min(rows, 50)


# --- Search --------------------------------------------------------------------------------


@pytest.fixture
def people():
    deepmind = CompanyFactory(name="Google DeepMind")
    mistral = CompanyFactory(name="Mistral AI")
    ada = CandidateFactory(
        name="Ada Lovelace", email="ada@analytical.example", current_company=deepmind
    )
    CandidateEmail.objects.create(candidate=ada, email="countess.lovelace@example.org")
    grace = CandidateFactory(
        name="Grace Hopper", email="grace@navy.example", current_company=mistral
    )
    alan = CandidateFactory(name="Alan Turing", email="alan@bletchley.example")
    return {"ada": ada, "grace": grace, "alan": alan, "deepmind": deepmind, "mistral": mistral}


@pytest.mark.parametrize(
    ("term", "found"),
    [
        pytest.param("lovelace", ["Ada Lovelace"], id="name"),
        pytest.param("HOPPER", ["Grace Hopper"], id="name-upper-case"),
        pytest.param("COUNTESS.LOVE", ["Ada Lovelace"], id="second-email-partial"),
        pytest.param("bletchley", ["Alan Turing"], id="email-domain"),
        pytest.param("deepmind", ["Ada Lovelace"], id="company"),
        pytest.param("mistral", ["Grace Hopper"], id="company-lower-case"),
        pytest.param("ada deepmind", ["Ada Lovelace"], id="every-word-must-match"),
        pytest.param("grace deepmind", [], id="words-matching-different-people"),
        pytest.param(".example", ["Ada Lovelace", "Alan Turing", "Grace Hopper"], id="all"),
    ],
)
def test_search_finds_by_name_email_or_company(recruiter_client, people, term, found):
    response = recruiter_client.get(CHANGELIST, {"q": term})

    assert listed(response) == found


def many_researchers(count: int) -> None:
    """`count` researchers, the oldest first, and Grace Hopper, whom "researcher" misses."""
    Candidate.objects.bulk_create(
        [Candidate(name="Grace Hopper")]
        + [Candidate(name=f"Researcher {i:04}") for i in range(count)]
    )


def test_past_a_thousand_matches_the_list_says_more_than_and_pages_through_the_first_thousand(
    recruiter_client,
):
    many_researchers(1002)

    response = recruiter_client.get(CHANGELIST, {"q": "researcher"})

    page = response.content.decode()
    assert "more than 1,000 results" in page
    assert "more than 1,000 candidates match: the 1,000 added last are listed" in page
    assert "Select all matching candidates (more than 1,000)" in page
    # The oldest match gives way: the newest 1,001 are kept, the first 1,000 by name shown.
    assert listed(response)[0] == "Researcher 0001"
    last = recruiter_client.get(CHANGELIST, {"q": "researcher", "p": 20})
    assert listed(last)[-1] == "Researcher 1000"
    beyond = recruiter_client.get(CHANGELIST, {"q": "researcher", "p": 21})
    assert beyond.status_code == 302 and "e=1" in beyond["Location"]
    unfiltered = recruiter_client.get(CHANGELIST).content.decode()
    assert "more than 1,000 candidates: the first 1,000 are listed" in unfiltered


def test_up_to_a_thousand_matches_the_count_is_exact(recruiter_client):
    many_researchers(1000)

    page = recruiter_client.get(CHANGELIST, {"q": "researcher"}).content.decode()

    assert "1,000 results" in page
    assert "1,000 candidates" in page
    assert "more than" not in page


def test_an_action_on_all_matching_candidates_reaches_past_the_thousand(
    recruiter_client, recruiter
):
    many_researchers(1001)

    response = recruiter_client.post(
        CHANGELIST + "?q=researcher",
        {
            "action": "mark_do_not_contact_action",
            "select_across": "1",
            "index": "0",
            "_selected_action": [Candidate.objects.first().pk],
        },
        follow=True,
    )

    assert response.status_code == 200
    assert Candidate.objects.filter(do_not_contact=True).count() == 1001
    assert not Candidate.objects.get(name="Grace Hopper").do_not_contact


# --- Filters -------------------------------------------------------------------------------


def test_the_owner_filter_shows_a_recruiters_candidates_or_nobodys(recruiter_client, recruiter):
    CandidateFactory(name="Ada Lovelace", owner=recruiter)
    CandidateFactory(name="Grace Hopper", owner=UserFactory())
    CandidateFactory(name="Alan Turing", owner=None)

    assert listed(recruiter_client.get(CHANGELIST, {"owner": recruiter.pk})) == ["Ada Lovelace"]
    assert listed(recruiter_client.get(CHANGELIST, {"owner": "none"})) == ["Alan Turing"]


def test_an_owner_may_be_named_by_username(recruiter_client, recruiter):
    CandidateFactory(name="Ada Lovelace", owner=recruiter)
    CandidateFactory(name="Grace Hopper", owner=UserFactory())

    response = recruiter_client.get(CHANGELIST, {"owner": recruiter.username})

    assert listed(response) == ["Ada Lovelace"]


@pytest.mark.parametrize(
    ("parameter", "value", "why"),
    [
        ("owner", "nobody-by-that-name", "names no user"),
        ("owner", "-3", "names no user"),
        ("tag", "safety", "is not one of its choices"),
        ("tag", "99999999999999999999999", "is not one of its choices"),
        ("role", "pretraining", "is not one of its choices"),
    ],
)
def test_a_filter_value_that_names_nothing_gives_the_list_and_says_so(
    recruiter_client, parameter, value, why
):
    """Once a username in ?owner= answered 500."""
    ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"))  # a role to choose
    TagFactory(name="rlhf")  # a tag to choose: a filter with no choices is not shown

    response = recruiter_client.get(CHANGELIST, {parameter: value})

    assert listed(response) == ["Ada Lovelace"]
    shown = [str(m) for m in response.context["messages"]]
    title = {"owner": "owner", "tag": "tag", "role": "role"}[parameter]
    assert shown == [
        f"The {title} filter's value “{value}” {why}: the list is not filtered by {title}."
    ]


def test_the_tag_filter_shows_candidates_with_that_tag(recruiter_client):
    safety, rlhf = TagFactory(name="safety"), TagFactory(name="rlhf")
    CandidateFactory(name="Ada Lovelace").tags.add(safety, rlhf)
    CandidateFactory(name="Grace Hopper").tags.add(rlhf)
    CandidateFactory(name="Alan Turing")

    assert listed(recruiter_client.get(CHANGELIST, {"tag": safety.pk})) == ["Ada Lovelace"]
    assert listed(recruiter_client.get(CHANGELIST, {"tag": rlhf.pk})) == [
        "Ada Lovelace",
        "Grace Hopper",
    ]


def test_the_company_filter_shows_the_people_working_there(recruiter_client):
    deepmind = CompanyFactory(name="Google DeepMind")
    CandidateFactory(name="Ada Lovelace", current_company=deepmind)
    CandidateFactory(name="Grace Hopper", current_company=CompanyFactory())

    CandidateFactory(name="Alan Turing", current_company=None)

    response = recruiter_client.get(CHANGELIST, {"current_company__id__exact": deepmind.pk})

    assert listed(response) == ["Ada Lovelace"]
    nowhere = recruiter_client.get(CHANGELIST, {"current_company__id__exact": "none"})
    assert listed(nowhere) == ["Alan Turing"]
    assert "No current company" in nowhere.content.decode()


def test_the_relationship_filter_separates_employees_from_prospects(recruiter_client):
    CandidateFactory(name="Ada Lovelace", relationship=Candidate.Relationship.EMPLOYEE)
    CandidateFactory(name="Grace Hopper", relationship=Candidate.Relationship.PROSPECT)

    response = recruiter_client.get(CHANGELIST, {"relationship__exact": "employee"})

    assert listed(response) == ["Ada Lovelace"]


def test_the_specialty_filter_shows_that_specialty(recruiter_client):
    CandidateFactory(name="Ada Lovelace", specialty=Candidate.Specialty.SAFETY)
    CandidateFactory(name="Grace Hopper", specialty=Candidate.Specialty.INFERENCE)

    response = recruiter_client.get(CHANGELIST, {"specialty__exact": "safety"})

    assert listed(response) == ["Ada Lovelace"]


def test_the_do_not_contact_filter_shows_who_opted_out(recruiter_client):
    CandidateFactory(name="Ada Lovelace", do_not_contact=True)
    CandidateFactory(name="Grace Hopper")

    response = recruiter_client.get(CHANGELIST, {"do_not_contact__exact": "1"})

    assert listed(response) == ["Ada Lovelace"]
