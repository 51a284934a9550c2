"""Roles, their ordered stages, applications, stage history and activities."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField

from candidates.models import Candidate, Company, Level, RatedOfferings, rating_constraints
from recruiting.lib.aggregates import Days
from recruiting.lib.db import CleanReportsConstraintsMixin


class Role(RatedOfferings):
    class Family(models.TextChoices):
        RESEARCH_SCIENTIST = "research_scientist", "Research scientist"
        RESEARCH_ENGINEER = "research_engineer", "Research engineer"
        ML_ENGINEER = "ml_engineer", "ML / infrastructure engineer"

    class Zone(models.TextChoices):
        """Where AI labs hire, each with its own bands (and its currency, in the bands)."""

        SILICON_VALLEY = "silicon_valley", "Silicon Valley"  # the Bay Area
        NEW_YORK = "new_york", "New York"
        SEATTLE = "seattle", "Seattle"
        TORONTO = "toronto", "Toronto"
        LONDON = "london", "London"
        PARIS = "paris", "Paris"
        ZURICH = "zurich", "Zurich"
        EUROPE = "europe", "Europe"  # elsewhere in Europe

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ON_HOLD = "on_hold", "On hold"
        FILLED = "filled", "Filled"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=200)
    team = models.CharField(max_length=200)
    hiring_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_roles",
    )
    level = models.CharField(max_length=20, choices=Level.choices)
    # Family, level and zone pick the compensation band an offer for this role is held to.
    family = models.CharField(
        max_length=30, choices=Family.choices, default=Family.RESEARCH_SCIENTIST
    )
    zone = models.CharField(
        "location zone", max_length=30, choices=Zone.choices, default=Zone.SILICON_VALLEY
    )
    city = models.CharField(max_length=100)
    country = CountryField()
    remote_ok = models.BooleanField("remote possible", default=False)
    headcount = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1, "A role needs a headcount of at least 1.")]
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(headcount__gte=1),
                name="role_headcount_positive",
                violation_error_message="A role needs a headcount of at least 1.",
            ),
            *rating_constraints("role"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.team}, {self.city})"

    def get_absolute_url(self) -> str:
        return reverse("admin:pipeline_role_change", args=[self.pk])


class Stage(models.Model):
    """One step of a role's pipeline. `kind` says what the step means to Closer's rules."""

    class Kind(models.TextChoices):
        SOURCED = "sourced", "Sourced"
        CONTACTED = "contacted", "Contacted"
        REPLIED = "replied", "Replied"
        SCREEN = "screen", "Screen"
        INTERVIEWS = "interviews", "Interviews"
        OFFER = "offer", "Offer"
        HIRED = "hired", "Hired"
        LOST = "lost", "Lost"
        OTHER = "other", "Other step"

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    position = models.PositiveSmallIntegerField()
    time_limit_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1, "A time limit is at least one day.")],
        help_text="Days an application may stay here before it is stale; empty for no limit.",
    )
    # Marks the stage for the follow-up reminder: the owner hears when an application has
    # stayed here this long without any activity. The default pipeline marks Contacted.
    follow_up_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1, "A follow-up is due after at least one day.")],
        help_text="Days without activity after which a follow-up is due; empty for none.",
    )

    class Meta:
        ordering = ["role_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "position"],
                name="stage_position_unique_per_role",
                violation_error_message="Another stage of this role has this position.",
            ),
            models.UniqueConstraint(
                fields=["role", "name"],
                name="stage_name_unique_per_role",
                violation_error_message="This role already has a stage with this name.",
            ),
            models.CheckConstraint(
                condition=Q(time_limit_days__isnull=True) | Q(time_limit_days__gte=1),
                name="stage_time_limit_positive",
                violation_error_message="A time limit is at least one day.",
            ),
            models.CheckConstraint(
                condition=Q(follow_up_days__isnull=True) | Q(follow_up_days__gte=1),
                name="stage_follow_up_positive",
                violation_error_message="A follow-up is due after at least one day.",
            ),
        ]

    def __str__(self) -> str:
        # Two roles may share a title in different cities; the city tells them apart.
        return f"{self.role.title}, {self.role.city} — {self.name}"

    @property
    def is_closing(self) -> bool:
        return self.kind in (self.Kind.HIRED, self.Kind.LOST)


# The stages that close an application; it never moves into them, only is marked so.
CLOSING_KINDS = (Stage.Kind.HIRED, Stage.Kind.LOST)

# The pipeline every new role starts with: (name, kind, time limit in days, follow-up due
# after days without activity).
DEFAULT_PIPELINE: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("Sourced", Stage.Kind.SOURCED, 14, None),
    ("Contacted", Stage.Kind.CONTACTED, 7, 5),
    ("Replied", Stage.Kind.REPLIED, 5, None),
    ("Screen", Stage.Kind.SCREEN, 10, None),
    ("Interviews", Stage.Kind.INTERVIEWS, 21, None),
    ("Offer", Stage.Kind.OFFER, 10, None),
    ("Hired", Stage.Kind.HIRED, None, None),
    ("Lost", Stage.Kind.LOST, None, None),
)


class Application(CleanReportsConstraintsMixin, models.Model):
    """One candidate in one role's pipeline."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        HIRED = "hired", "Hired"
        LOST = "lost", "Lost"

    class LostReason(models.TextChoices):
        NONE = "", "—"
        COMPETING_OFFER = "competing_offer", "Accepted a competing offer"
        DECLINED = "declined", "Declined our offer"
        NOT_INTERESTED = "not_interested", "Not interested"
        NO_RESPONSE = "no_response", "No response"
        NOT_A_FIT = "not_a_fit", "Not a fit"
        WITHDREW = "withdrew", "Withdrew"
        ROLE_CLOSED = "role_closed", "Role closed"
        OTHER = "other", "Other"

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="applications")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="applications")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    lost_reason = models.CharField(
        max_length=30, choices=LostReason.choices, blank=True, default=LostReason.NONE
    )
    lost_to = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="won_applications",
        help_text="The competitor whose offer the candidate accepted.",
    )
    lost_note = models.TextField(blank=True)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The furthest stage of its role's pipeline (by position, Lost aside) it ever entered: what
    # the funnel counts it as having reached. Kept by recruiting.pipeline.history as changes
    # are recorded, and again when a role's stages are reordered.
    furthest_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    # When the candidate was first contacted about it, which the funnel's time from first
    # contact to offer starts at: the earlier of the two. When it first entered a stage past
    # Sourced (Lost aside), kept by recruiting.pipeline.history; when the first outreach email
    # about it was sent, kept by recruiting.outreach as its emails are recorded sent.
    first_advanced_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A copy of the candidate's source and owner, which the funnel groups by (joined to the
    # candidates at read time, they were half of its two biggest queries). The database keeps
    # them, by triggers (migration 0012_candidate_copy), whenever an application is written or
    # its candidate's source or owner changes, whatever the way. Read them from the database:
    # an instance just created does not hold them.
    candidate_source = models.CharField(
        max_length=20, choices=Candidate.Source.choices, blank=True, default="", editable=False
    )
    candidate_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,  # the candidate's owner goes first, and the copy with it
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
    )

    constraints_reported_by_clean = frozenset({"application_lost_to_only_for_competing_offer"})

    # Not a column: set by recruiting.outreach.services on the open applications it loads (the
    # position of the role's Contacted stage, None without one), for its past_contacted().
    contacted_position: int | None

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "role"],
                name="application_one_per_candidate_and_role",
                violation_error_message="This candidate is already in this role's pipeline.",
            ),
            models.CheckConstraint(
                condition=Q(status="lost") | Q(lost_reason="", lost_to__isnull=True),
                name="application_lost_reason_only_when_lost",
                violation_error_message="Only a lost application has a lost reason.",
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | ~Q(lost_reason=""),
                name="application_lost_has_reason",
                violation_error_message="A lost application needs the reason it was lost.",
            ),
            models.CheckConstraint(
                condition=Q(lost_reason="competing_offer", lost_to__isnull=False)
                | (~Q(lost_reason="competing_offer") & Q(lost_to__isnull=True)),
                name="application_lost_to_only_for_competing_offer",
                violation_error_message="Name the competitor when an application is lost to a "
                "competing offer, and only then.",
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "status"], name="application_stage_status"),
            models.Index(fields=["candidate", "status"], name="application_candidate_status"),
            # The reminder scan's question (stale, follow-up due): which open applications
            # entered their stage before a cutoff? Closed applications are never asked about.
            models.Index(
                fields=["stage_entered_at"],
                condition=Q(status="open"),
                name="application_open_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} → {self.role.title}, {self.role.city}"

    def get_absolute_url(self) -> str:
        # The application's page (alerts link here; a hiring manager has no admin).
        return reverse("web:application", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status != self.Status.OPEN

    def clean(self) -> None:
        if self.lost_reason == self.LostReason.COMPETING_OFFER and self.lost_to_id is None:
            raise ValidationError({"lost_to": "Name the competitor whose offer they accepted."})
        if self.lost_reason != self.LostReason.COMPETING_OFFER and self.lost_to_id is not None:
            raise ValidationError(
                {"lost_to": "A competitor is named only when they took a competing offer."}
            )


class StageChange(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the application left the stage this change entered: the time of its next change
    # (in time order); empty while it is there. The end of a stay, which the funnel's time in
    # each stage reads. Kept by recruiting.pipeline.history.
    left_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The stay's length in days, computed by the database as `left_at` is kept (a stored
    # generated column): the funnel's percentiles sort it as read from the index rather than
    # work it out again for each of 660,000 stays.
    stay_days = models.GeneratedField(
        expression=Days(F("left_at"), F("changed_at")),
        output_field=models.FloatField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            # An application's history in time order: its next change, and its page's history.
            models.Index(fields=["application", "changed_at"], name="stagechange_app_changed"),
            # The funnel's time in each stage: the stays ended in the dates, grouped by stage,
            # read from the index alone in the stages' order (660,000 stays in 0.2 s rather
            # than 1.6 s through the heap), with their length.
            models.Index(
                fields=["to_stage", "left_at"],
                include=["stay_days"],
                condition=Q(left_at__isnull=False),
                name="stagechange_stays",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=F("changed_at")),
                name="stagechange_left_after_entered",
                violation_error_message="A stage is left after it is entered.",
            ),
        ]

    def __str__(self) -> str:
        start = self.from_stage.name if self.from_stage else "—"
        return f"{start} → {self.to_stage.name}"


class Activity(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        OFFER = "offer", "Offer"  # the candidate opened, signed or declined their offer

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="activities")
    application = models.ForeignKey(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NOTE)
    occurred_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=200)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["application", "-occurred_at"], name="activity_app_recent"),
            # The follow-up reminder reads a candidate's latest activity.
            models.Index(fields=["candidate", "-occurred_at"], name="activity_candidate_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"
