"""log_activity (and log_activities, many at once): each kind of activity with its author, on
one of the candidate's own applications; unknown kinds and empty summaries are refused."""

from __future__ import annotations

import pytest

from recruiting.pipeline.models import Activity
from recruiting.pipeline.services import PipelineError, log_activity
from tests.factories import ApplicationFactory, CandidateFactory

pytestmark = pytest.mark.django_db


# --- log_activity --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", Activity.Kind.values)
def test_each_kind_of_activity_is_logged_with_its_author(recruiter, kind):
    ada = CandidateFactory()

    activity = log_activity(ada, kind=kind, summary="  Talked about the role  ", by=recruiter)

    activity.refresh_from_db()
    assert activity.candidate == ada
    assert activity.kind == kind
    assert activity.summary == "Talked about the role"
    assert activity.author == recruiter
    assert activity.occurred_at is not None


def test_an_activity_can_belong_to_one_of_the_candidates_applications(recruiter):
    application = ApplicationFactory()

    activity = log_activity(
        application.candidate,
        kind=Activity.Kind.CALL,
        summary="Screen call",
        body="Strong on distributed training.",
        application=application,
        by=recruiter,
    )

    assert list(application.activities.all()) == [activity]


def test_an_unknown_kind_of_activity_is_refused(recruiter):
    with pytest.raises(PipelineError) as caught:
        log_activity(CandidateFactory(), kind="carrier_pigeon", summary="Sent", by=recruiter)

    assert "kind" in caught.value.message_dict
    assert not Activity.objects.exists()


@pytest.mark.parametrize("summary", ["", "   "])
def test_an_activity_needs_a_summary(recruiter, summary):
    with pytest.raises(PipelineError) as caught:
        log_activity(CandidateFactory(), kind=Activity.Kind.NOTE, summary=summary, by=recruiter)

    assert "summary" in caught.value.message_dict
    assert not Activity.objects.exists()


def test_an_activity_cannot_belong_to_another_candidates_application(recruiter):
    graces_application = ApplicationFactory()

    with pytest.raises(PipelineError) as caught:
        log_activity(
            CandidateFactory(),
            kind=Activity.Kind.NOTE,
            summary="Wrong file",
            application=graces_application,
            by=recruiter,
        )

    assert "another candidate" in caught.value.message_dict["application"][0]
    assert not Activity.objects.exists()


# --- log_activities --------------------------------------------------------------------------


def test_many_activities_are_logged_in_one_insert_or_none(recruiter, django_assert_num_queries):
    from recruiting.pipeline.services import log_activities

    ada, grace = CandidateFactory(), CandidateFactory()

    with django_assert_num_queries(1):
        log_activities(
            [
                Activity(
                    candidate=c, kind=Activity.Kind.EMAIL, summary=" Step 1 ", author=recruiter
                )
                for c in (ada, grace)
            ]
        )
    assert sorted(Activity.objects.values_list("candidate_id", "summary")) == [
        (ada.pk, "Step 1"),
        (grace.pk, "Step 1"),
    ]

    with pytest.raises(PipelineError) as caught:
        log_activities(
            [
                Activity(candidate=ada, kind=Activity.Kind.EMAIL, summary="Step 2"),
                Activity(candidate=grace, kind=Activity.Kind.EMAIL, summary="x" * 201),
            ]
        )
    assert "200 characters" in caught.value.message_dict["summary"][0]
    assert Activity.objects.count() == 2
