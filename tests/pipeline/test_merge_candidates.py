"""merge_candidates: every email, tag, application and activity of both records kept,
blanks and pay filled from the duplicate, an opt-out carried over."""

from __future__ import annotations

from decimal import Decimal

import pytest

from candidates.models import Candidate, CandidateEmail
from recruiting.pipeline.models import Activity, Application
from recruiting.pipeline.services import PipelineError, log_activity, merge_candidates, move_stage
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    RoleFactory,
    TagFactory,
    UserFactory,
)
from tests.pipeline.helpers import history

pytestmark = pytest.mark.django_db


# --- merge_candidates ----------------------------------------------------------------------


@pytest.fixture
def duplicates(recruiter):
    """Two records of one person, each with emails, tags, applications and history."""
    shared_role = RoleFactory(title="Inference Engineer")
    other_role = RoleFactory(title="Safety Researcher")
    company = CompanyFactory(name="Analytical Engines")
    safety, rlhf, london = TagFactory(name="safety"), TagFactory(name="rlhf"), TagFactory()

    keep = CandidateFactory(
        name="Ada Lovelace",
        email="ada@example.org",
        city="London",
        phone="",
        linkedin_url="",
        current_company=None,
        timezone="",
    )
    keep.tags.add(safety, london)
    keep_application = ApplicationFactory(candidate=keep, role=shared_role, by=recruiter)
    log_activity(
        keep,
        kind=Activity.Kind.NOTE,
        summary="Keep's note",
        application=keep_application,
        by=recruiter,
    )

    duplicate = CandidateFactory(
        name="A. Lovelace",
        email="ada@analytical.example",
        city="Paris",
        phone="+44 20 7946 0000",
        linkedin_url="https://www.linkedin.com/in/ada-lovelace",
        current_company=company,
        timezone="Europe/London",
        do_not_contact=True,
    )
    CandidateEmail.objects.create(candidate=duplicate, email="countess@example.org")
    duplicate.tags.add(safety, rlhf)
    duplicate_shared = ApplicationFactory(candidate=duplicate, role=shared_role, by=recruiter)
    move_stage(duplicate_shared, shared_role.stages.get(name="Screen"), by=recruiter)
    log_activity(
        duplicate,
        kind=Activity.Kind.CALL,
        summary="Duplicate's screen call",
        application=duplicate_shared,
        by=recruiter,
    )
    duplicate_other = ApplicationFactory(candidate=duplicate, role=other_role, by=recruiter)
    log_activity(duplicate, kind=Activity.Kind.EMAIL, summary="Duplicate's email", by=recruiter)

    return {
        "keep": keep,
        "duplicate": duplicate,
        "shared_role": shared_role,
        "other_role": other_role,
        "keep_application": keep_application,
        "duplicate_shared": duplicate_shared,
        "duplicate_other": duplicate_other,
        "company": company,
        "tags": {safety, rlhf, london},
    }


def test_merging_keeps_every_email_and_tag_of_both(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]

    merged = merge_candidates(keep, duplicate, by=recruiter)

    assert set(merged.emails.values_list("email", flat=True)) == {
        "ada@example.org",
        "ada@analytical.example",
        "countess@example.org",
    }
    assert merged.emails.get(is_primary=True).email == "ada@example.org"
    assert set(merged.tags.all()) == duplicates["tags"]
    assert not Candidate.objects.filter(pk=duplicate.pk).exists()
    assert Candidate.objects.count() == 1


def test_merging_keeps_every_application_and_folds_those_in_the_same_role(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]

    merge_candidates(keep, duplicate, by=recruiter)

    applications = Application.objects.filter(candidate=keep)
    assert {a.role.title for a in applications} == {"Inference Engineer", "Safety Researcher"}
    assert Application.objects.count() == 2
    folded = applications.get(role=duplicates["shared_role"])
    # The duplicate's application had reached Screen, further than the kept one: it survives.
    assert folded.stage.name == "Screen"
    assert folded.pk == duplicates["duplicate_shared"].pk
    # Both records' stage history of the shared role survives on the one application.
    assert sorted(history(folded), key=str) == sorted(
        [(None, "Sourced"), (None, "Sourced"), ("Sourced", "Screen")], key=str
    )
    assert set(folded.activities.values_list("summary", flat=True)) == {
        "Keep's note",
        "Duplicate's screen call",
    }
    moved = applications.get(role=duplicates["other_role"])
    assert moved.pk == duplicates["duplicate_other"].pk
    assert history(moved) == [(None, "Sourced")]


def test_merging_keeps_every_activity_and_notes_the_merge(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]

    merge_candidates(keep, duplicate, by=recruiter)

    summaries = set(keep.activities.values_list("summary", flat=True))
    assert {"Keep's note", "Duplicate's screen call", "Duplicate's email"} <= summaries
    note = keep.activities.get(summary__startswith="Merged with duplicate record")
    assert "A. Lovelace" in note.summary
    assert note.author == recruiter
    assert Activity.objects.count() == 4


def test_merging_fills_blanks_from_the_duplicate_and_keeps_what_was_set(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    assert keep.name == "Ada Lovelace"
    assert keep.city == "London"
    assert keep.phone == "+44 20 7946 0000"
    assert keep.linkedin_url == "https://www.linkedin.com/in/ada-lovelace"
    assert keep.current_company == duplicates["company"]
    assert keep.timezone == "Europe/London"


def test_merging_carries_an_opt_out_given_under_the_duplicate(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]
    assert not keep.do_not_contact

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    assert keep.do_not_contact


def test_merging_keeps_the_kept_application_when_it_is_further_along(recruiter, duplicates):
    keep, duplicate = duplicates["keep"], duplicates["duplicate"]
    kept = duplicates["keep_application"]
    move_stage(kept, duplicates["shared_role"].stages.get(name="Offer"), by=recruiter)

    merge_candidates(keep, duplicate, by=recruiter)

    folded = Application.objects.get(candidate=keep, role=duplicates["shared_role"])
    assert folded.pk == kept.pk
    assert folded.stage.name == "Offer"
    assert "Duplicate's screen call" in set(folded.activities.values_list("summary", flat=True))


def test_a_candidate_cannot_be_merged_into_itself(recruiter):
    ada = CandidateFactory()
    ApplicationFactory(candidate=ada)

    with pytest.raises(PipelineError, match="itself"):
        merge_candidates(ada, Candidate.objects.get(pk=ada.pk), by=recruiter)

    assert Candidate.objects.filter(pk=ada.pk).exists()
    assert ada.applications.count() == 1
    assert ada.emails.count() == 1


def test_merging_keeps_the_duplicates_owner_when_the_kept_record_has_none(recruiter):
    keep = CandidateFactory(owner=None)
    duplicate = CandidateFactory(owner=UserFactory(username="sam"))

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    assert keep.owner.username == "sam"


def test_merging_takes_the_duplicates_pay_only_as_a_whole(recruiter):
    keep = CandidateFactory(current_base=Decimal("200000"), current_pay_currency_id="USD")
    duplicate = CandidateFactory(
        current_base=Decimal("150000"),
        current_bonus=Decimal("30000"),
        current_pay_currency_id="EUR",
    )

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    # No euro bonus next to a dollar base.
    assert (keep.current_base, keep.current_bonus, keep.current_pay_currency_id) == (
        Decimal("200000.00"),
        None,
        "USD",
    )


def test_merging_fills_missing_pay_from_the_duplicate(recruiter):
    keep = CandidateFactory()
    duplicate = CandidateFactory(
        current_base=Decimal("150000"),
        current_bonus=Decimal("30000"),
        current_pay_currency_id="EUR",
    )

    merge_candidates(keep, duplicate, by=recruiter)

    keep.refresh_from_db()
    assert (keep.current_base, keep.current_bonus, keep.current_pay_currency_id) == (
        Decimal("150000.00"),
        Decimal("30000.00"),
        "EUR",
    )
