"""Who the retention rule anonymises, and why: one set-based query.

A candidate is due when all of these hold on the cutoff (now less
PRIVACY_PROSPECT_RETENTION_DAYS):
- they are a prospect (not a candidate in a process, not an employee) and not erased yet;
- no consent holds: none recorded, or recorded (consent, legitimate interest or contract)
  with a date before the cutoff;
- nothing touched them since the cutoff: their row was created and last edited before it, and
  no activity, application (added, moved or closed), outreach (enrolled, stopped, an email
  claimed) or competing offer (recorded, edited, its deadline) is dated after it;
- nothing is in progress: no open application past Contacted, no offer not yet closed, no
  active outreach enrollment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from candidates.models import Candidate
from offers.models import CompetingOffer, Offer
from recruiting.outreach.models import Enrollment, SentMessage
from recruiting.pipeline.models import Activity, Application, Stage

from .models import Erasure

PROSPECTING_STAGES = (Stage.Kind.SOURCED, Stage.Kind.CONTACTED)


def retention_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.PRIVACY_PROSPECT_RETENTION_DAYS)


def erased() -> QuerySet[Erasure]:
    return Erasure.objects.filter(candidate_id=OuterRef("pk"))


def due_for_retention(now: datetime | None = None) -> QuerySet[Candidate]:
    """The candidates the next run anonymises, oldest first, each annotated with
    `last_touched` (the latest date of anything about them)."""
    cutoff = retention_cutoff(now)
    person = OuterRef("pk")
    recent_activity = Activity.objects.filter(candidate=person, occurred_at__gte=cutoff)
    recent_application = Application.objects.filter(candidate=person).filter(
        Q(created_at__gte=cutoff) | Q(stage_entered_at__gte=cutoff) | Q(closed_at__gte=cutoff)
    )
    in_process = Application.objects.filter(
        candidate=person, status=Application.Status.OPEN
    ).exclude(stage__kind__in=PROSPECTING_STAGES)
    open_offer = Offer.objects.filter(application__candidate=person, status__in=Offer.OPEN_STATUSES)
    outreach = Enrollment.objects.filter(candidate=person).filter(
        Q(status=Enrollment.Status.ACTIVE) | Q(enrolled_at__gte=cutoff) | Q(stopped_at__gte=cutoff)
    )
    recent_email = SentMessage.objects.filter(enrollment__candidate=person, claimed_at__gte=cutoff)
    competing = CompetingOffer.objects.filter(candidate=person).filter(
        Q(recorded_at__gte=cutoff) | Q(updated_at__gte=cutoff) | Q(deadline__gte=cutoff)
    )
    return (
        Candidate.objects.filter(
            relationship=Candidate.Relationship.PROSPECT,
            created_at__lt=cutoff,
            updated_at__lt=cutoff,
        )
        .filter(Q(consent_basis="") | Q(consent_date__lt=cutoff.date()))
        .exclude(Exists(erased()))
        .exclude(Exists(recent_activity))
        .exclude(Exists(recent_application))
        .exclude(Exists(in_process))
        .exclude(Exists(open_offer))
        .exclude(Exists(outreach))
        .exclude(Exists(recent_email))
        .exclude(Exists(competing))
        .annotate(last_touched=last_touched())
        .order_by("last_touched", "id")
    )


def _newest(queryset: QuerySet[Any], column: str) -> Coalesce:
    newest = queryset.order_by(F(column).desc(nulls_last=True)).values(column)[:1]
    return Coalesce(Subquery(newest, output_field=DateTimeField()), F("created_at"))


def last_touched() -> Greatest:
    """The latest date of anything about the candidate (an annotation): for the report."""
    person = OuterRef("pk")
    return Greatest(
        F("created_at"),
        F("updated_at"),
        _newest(Activity.objects.filter(candidate=person), "occurred_at"),
        _newest(Application.objects.filter(candidate=person), "stage_entered_at"),
        _newest(Application.objects.filter(candidate=person), "closed_at"),
        _newest(Enrollment.objects.filter(candidate=person), "enrolled_at"),
        _newest(SentMessage.objects.filter(enrollment__candidate=person), "claimed_at"),
        _newest(CompetingOffer.objects.filter(candidate=person), "updated_at"),
        output_field=DateTimeField(),
    )


def why_due(candidate: Candidate) -> str:
    """Why the rule picks this candidate, in words (no personal data beyond the record's own)."""
    if candidate.consent_basis:
        consent = (
            f"{candidate.get_consent_basis_display().lower()} recorded on "
            f"{candidate.consent_date:%Y-%m-%d}, before the cutoff"
        )
    else:
        consent = "no consent recorded"
    touched = getattr(candidate, "last_touched", None) or candidate.updated_at
    return f"A prospect; {consent}; nothing about them since {touched:%Y-%m-%d}."
