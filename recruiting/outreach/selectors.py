"""What the application page shows of outreach: the candidate's enrollments, and whether the
viewer may enroll them or mark them replied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import User
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from candidates.models import Candidate
from recruiting.pipeline.access import sees_every_application, visible_applications
from recruiting.pipeline.models import Application

from .models import Enrollment, SentMessage, SequenceStep
from .page_forms import EnrollForm, SequenceChoiceField
from .services import past_contacted

# The same right as the admin's "Enroll in a sequence" action on the candidate list.
OUTREACH_PERMISSION = "candidates.change_candidate"


def may_run_outreach(user: User) -> bool:
    return user.is_active and user.has_perm(OUTREACH_PERMISSION)


def enrollments_of(candidate: Candidate) -> QuerySet[Enrollment]:
    """The candidate's enrollments, newest first, each with how many steps its sequence has
    and how many were sent: one query, whatever their number."""
    sent = SentMessage.objects.filter(
        enrollment=OuterRef("pk"), status=SentMessage.Status.SENT
    ).values("enrollment")
    steps = SequenceStep.objects.filter(sequence=OuterRef("sequence_id")).values("sequence")
    return (
        Enrollment.objects.filter(candidate=candidate)
        .select_related("sequence", "application__role")
        .annotate(
            steps_sent=Coalesce(
                Subquery(sent.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
                0,
            ),
            steps_total=Coalesce(
                Subquery(steps.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
                0,
            ),
        )
    )


@dataclass(frozen=True)
class OutreachSection:
    enrollments: list[Enrollment]
    may_act: bool  # enroll and mark replied; without it the list is read-only
    enroll_form: EnrollForm | None
    # False when no sequence can take an enrollment (none active, or none with steps).
    sequences_available: bool
    past_contacted: bool  # the application is beyond Contacted: no sequence for it


def _visible(enrollments: QuerySet[Enrollment], user: User) -> QuerySet[Enrollment]:
    """A recruiter sees the candidate's every enrollment; a hiring manager only those about the
    applications they may see (another role's outreach is not theirs to read)."""
    if sees_every_application(user):
        return enrollments
    return enrollments.filter(application__in=visible_applications(user))


def application_section(
    user: User, application: Application, *, enroll_form: EnrollForm | None = None
) -> OutreachSection:
    may_act = may_run_outreach(user)
    beyond = not application.is_closed and past_contacted(application)
    # A refused enrollment is shown even where the form is not offered (a closed application).
    # Nor to a do-not-contact candidate: the card says why.
    if (
        enroll_form is None
        and may_act
        and not application.is_closed
        and not application.candidate.do_not_contact
        and not beyond
    ):
        enroll_form = EnrollForm(application=application)
    available = False
    if enroll_form is not None:
        offered = cast(SequenceChoiceField, enroll_form.fields["sequence"]).queryset
        assert offered is not None  # EnrollForm always sets the sequences it offers
        available = offered.exists()
    return OutreachSection(
        enrollments=list(_visible(enrollments_of(application.candidate), user)),
        may_act=may_act,
        enroll_form=enroll_form,
        sequences_available=available,
        past_contacted=beyond,
    )
