"""Each application's copy of its candidate's source and owner (which the funnel groups by),
kept by the database's triggers however the candidate or the application is written: created
one by one or in bulk, the candidate edited or reassigned in bulk, an application saved from an
instance loaded before the change, a merge moving applications to the other candidate, the
owner's account deleted."""

from __future__ import annotations

import pytest

from candidates.models import Candidate
from candidates.services import assign_owner
from recruiting.pipeline.models import Application
from recruiting.pipeline.services import add_candidates_to_pipeline, merge_candidates, move_stage
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory, UserFactory
from tests.pipeline.helpers import stage

pytestmark = pytest.mark.django_db


def copies(candidate: Candidate) -> set[tuple[str, int | None]]:
    """The source and owner each of the candidate's applications holds, as the database has
    them."""
    return set(
        Application.objects.filter(candidate=candidate).values_list(
            "candidate_source", "candidate_owner_id"
        )
    )


def test_an_application_takes_its_candidates_source_and_owner(recruiter):
    ada = CandidateFactory(
        source=Candidate.Source.REFERRAL, referrer="Grace Hopper", owner=recruiter
    )
    ApplicationFactory(candidate=ada)
    made, _ = add_candidates_to_pipeline(
        Candidate.objects.filter(pk=ada.pk), RoleFactory(), by=recruiter
    )  # in bulk

    assert len(made) == 1
    assert copies(ada) == {("referral", recruiter.pk)}
    assert Application.objects.filter(candidate=ada).count() == 2


def test_they_follow_the_candidate_edited_or_reassigned_in_bulk(recruiter):
    rita, sam = recruiter, UserFactory(username="sam")
    ada = CandidateFactory(source=Candidate.Source.SOURCED, owner=rita)
    ApplicationFactory(candidate=ada)
    ApplicationFactory(candidate=ada)

    ada.source = Candidate.Source.EVENT
    ada.save()
    assert copies(ada) == {("event", rita.pk)}

    assign_owner(Candidate.objects.filter(pk=ada.pk), owner=sam, by=rita)  # a queryset update
    assert copies(ada) == {("event", sam.pk)}

    Candidate.objects.filter(pk=ada.pk).update(owner=None)
    assert copies(ada) == {("event", None)}


def test_an_application_saved_from_an_older_instance_keeps_the_candidates_values(recruiter):
    ada = CandidateFactory(source=Candidate.Source.SOURCED, owner=None)
    role = RoleFactory()
    application = ApplicationFactory(candidate=ada, role=role)
    loaded = Application.objects.get(pk=application.pk)  # holds "sourced" and no owner
    Candidate.objects.filter(pk=ada.pk).update(source=Candidate.Source.AGENCY, owner=recruiter)

    loaded.lost_note = "Saved with what it held"
    loaded.save()  # writes every column, the copies as they were loaded among them
    move_stage(loaded, stage(role, "Contacted"), by=recruiter)

    assert copies(ada) == {("agency", recruiter.pk)}


def test_a_merge_gives_the_moved_applications_the_kept_candidates_values(recruiter):
    sam = UserFactory(username="sam")
    ada = CandidateFactory(
        name="Ada Lovelace",
        source=Candidate.Source.REFERRAL,
        referrer="Grace Hopper",
        owner=recruiter,
    )
    twin = CandidateFactory(name="Ada Lovelace", source=Candidate.Source.INBOUND, owner=sam)
    ApplicationFactory(candidate=twin)
    assert copies(twin) == {("inbound", sam.pk)}

    merge_candidates(ada, twin, by=recruiter)

    assert copies(ada) == {("referral", recruiter.pk)}


def test_the_owners_account_deleted_leaves_the_applications_without_owner():
    gone = UserFactory(username="gone")
    ada = CandidateFactory(owner=gone)
    ApplicationFactory(candidate=ada)

    gone.delete()

    ada.refresh_from_db()
    assert ada.owner is None
    assert copies(ada) == {(ada.source, None)}
