"""Candidates, the companies they work at (with their pauses), tags and currencies."""

from __future__ import annotations

import functools
import os
import uuid
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, Storage
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django_countries.fields import CountryField

from recruiting.lib.db import CleanReportsConstraintsMixin

MONEY_DIGITS = 14  # up to 999,999,999,999.99: nine-figure signing bonuses with room to spare
MONEY_PLACES = 2


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value and value not in known_timezones():
        raise ValidationError(
            "%(value)s is not a known timezone; use an IANA name such as Europe/Paris.",
            params={"value": value},
            code="unknown_timezone",
        )


class Level(models.TextChoices):
    JUNIOR = "junior", "Junior"
    MID = "mid", "Mid-level"
    SENIOR = "senior", "Senior"
    STAFF = "staff", "Staff"
    PRINCIPAL = "principal", "Principal"
    DISTINGUISHED = "distinguished", "Distinguished"


class Currency(models.Model):
    """A currency Closer may quote money in. The list is data, kept in the admin."""

    code = models.CharField(
        primary_key=True,
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use the three-letter ISO 4217 code, e.g. USD.")],
    )
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"

    def __str__(self) -> str:
        return self.code


# What an employer offers on each motivator but pay, rated 0–5 by our recruiters: for each of our
# roles, and for a competitor where known. A candidate's motivators weigh them into a fit score.
OFFERINGS = (
    ("team_lead", "Team lead reputation"),
    ("work_quality", "Quality of work"),
    ("research_freedom", "Research freedom"),
    ("publishing", "Publishing policy"),
    ("ethics_impact", "Ethics and social impact"),
    ("location", "Location and remote policy"),
)
OFFERING_LABELS = dict(OFFERINGS)


def rating_field(label: str) -> models.PositiveSmallIntegerField[int | None, int | None]:
    """An offering rated 0 (poor) to 5 (best in the field); empty when we do not know."""
    return models.PositiveSmallIntegerField(
        label,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text="0 (poor) to 5 (best in the field); empty if unknown",
    )


def rating_constraints(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(**{f"rating_{key}__gte": 0, f"rating_{key}__lte": 5})
            | Q(**{f"rating_{key}__isnull": True}),
            name=f"{prefix}_rating_{key}_0_5",
            violation_error_message=f"{label} is rated between 0 and 5.",
        )
        for key, label in OFFERINGS
    ]


class RatedOfferings(models.Model):
    """Ratings of what an employer offers beyond pay (OFFERINGS)."""

    rating_team_lead = rating_field("Team lead reputation")
    rating_work_quality = rating_field("Quality of work")
    rating_research_freedom = rating_field("Research freedom")
    rating_publishing = rating_field("Publishing policy")
    rating_ethics_impact = rating_field("Ethics and social impact")
    rating_location = rating_field("Location and remote policy")

    class Meta:
        abstract = True

    @property
    def offerings(self) -> dict[str, int | None]:
        return {key: getattr(self, f"rating_{key}") for key, _ in OFFERINGS}


class Company(RatedOfferings):
    class Kind(models.TextChoices):
        OURS = "ours", "Our company"
        COMPETITOR = "competitor", "Competitor"
        EMPLOYER = "employer", "Other employer"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.EMPLOYER)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="company_name_unique_ci",
                violation_error_message="A company with this name already exists.",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="ours"),
                name="company_only_one_ours",
                violation_error_message="Only one company can be our own.",
            ),
            *rating_constraints("company"),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyPause(CleanReportsConstraintsMixin, models.Model):
    """A planned company-wide pause (a quiet week); poaching during one is a known tactic."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="pauses")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    constraints_reported_by_clean = frozenset({"pause_ends_after_start"})

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="pause_ends_after_start",
                violation_error_message="A pause cannot end before it starts.",
            ),
        ]
        indexes = [models.Index(fields=["starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.company} pause {self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A pause cannot end before it starts."})


class Tag(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tag_name_unique_ci",
                violation_error_message="A tag with this name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


MOTIVATORS = (
    ("motivator_pay", "Pay"),
    ("motivator_team_lead", "Team lead reputation"),
    ("motivator_work_quality", "Quality of work"),
    ("motivator_research_freedom", "Research freedom"),
    ("motivator_publishing", "Publishing"),
    ("motivator_ethics_impact", "Ethics and social impact"),
    ("motivator_location", "Location"),
)


def _motivator(label: str) -> models.PositiveSmallIntegerField[int, int]:
    # 3 is "neutral": an unknown weight should neither dominate nor vanish from a fit score.
    return models.PositiveSmallIntegerField(
        label,
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text="0 (does not matter) to 5 (decisive)",
    )


def _money(label: str) -> models.DecimalField[Decimal | None, Decimal | None]:
    return models.DecimalField(
        label,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), "Pay cannot be negative.")],
    )


class Candidate(CleanReportsConstraintsMixin, models.Model):
    class Specialty(models.TextChoices):
        PRETRAINING = "pretraining", "LLM pre-training"
        POSTTRAINING = "posttraining", "Post-training / RLHF"
        INFERENCE = "inference", "Inference"
        INFRASTRUCTURE = "infrastructure", "ML infrastructure"
        SAFETY = "safety", "Safety and alignment"
        INTERPRETABILITY = "interpretability", "Interpretability"
        MULTIMODAL = "multimodal", "Multimodal"
        ROBOTICS = "robotics", "Robotics"
        RESEARCH_ENGINEERING = "research_engineering", "Research engineering"
        OTHER = "other", "Other"

    class Source(models.TextChoices):
        SOURCED = "sourced", "Sourced"
        REFERRAL = "referral", "Referral"
        INBOUND = "inbound", "Inbound"
        AGENCY = "agency", "Agency"
        EVENT = "event", "Event"

    class Relationship(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        CANDIDATE = "candidate", "Candidate"
        EMPLOYEE = "employee", "Employee (retention)"

    class ConsentBasis(models.TextChoices):
        NONE = "", "Not recorded"
        CONSENT = "consent", "Consent"
        LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"
        CONTRACT = "contract", "Contract"

    class FlightRiskReason(models.TextChoices):
        NONE = "", "—"
        OUTSIDE_OFFER = "outside_offer", "Outside offer recorded"
        APPROACHED_DURING_PAUSE = "approached_during_pause", "Approached during a pause"
        MANUAL = "manual", "Flagged by hand"

    name = models.CharField(max_length=200)
    phone = models.CharField(
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9 ()./-]{5,39}$", "Enter a phone number of digits, spaces and + ( ) - . /"
            )
        ],
    )
    city = models.CharField(max_length=100, blank=True)
    country = CountryField(blank=True)
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])
    current_company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )
    current_title = models.CharField(max_length=200, blank=True)
    specialty = models.CharField(max_length=30, choices=Specialty.choices, blank=True)
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)

    linkedin_url = models.URLField("LinkedIn", blank=True)
    github_url = models.URLField("GitHub", blank=True)
    scholar_url = models.URLField("Google Scholar", blank=True)
    website_url = models.URLField("website", blank=True)

    source = models.CharField(max_length=20, choices=Source.choices, default=Source.SOURCED)
    referrer = models.CharField(
        max_length=200, blank=True, help_text="Who referred them (required for referrals)."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_candidates",
        help_text="The recruiter who owns this relationship.",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="candidates")
    relationship = models.CharField(
        max_length=20, choices=Relationship.choices, default=Relationship.PROSPECT
    )
    do_not_contact = models.BooleanField(default=False)
    consent_basis = models.CharField(
        max_length=30, choices=ConsentBasis.choices, blank=True, default=ConsentBasis.NONE
    )
    consent_date = models.DateField(null=True, blank=True)

    current_base = _money("current base salary")
    current_bonus = _money("current annual bonus")
    current_equity_per_year = _money("current equity per year")
    current_pay_currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    motivator_pay = _motivator("Pay")
    motivator_team_lead = _motivator("Team lead reputation")
    motivator_work_quality = _motivator("Quality of work")
    motivator_research_freedom = _motivator("Research freedom")
    motivator_publishing = _motivator("Publishing")
    motivator_ethics_impact = _motivator("Ethics and social impact")
    motivator_location = _motivator("Location")

    flight_risk = models.BooleanField(default=False, help_text="An employee we may lose.")
    flight_risk_reason = models.CharField(
        max_length=30, choices=FlightRiskReason.choices, blank=True, default=FlightRiskReason.NONE
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept by the database (triggers, migration 0005): the name, every email and the current
    # company's name, one per line, in lower case, so that a search is one trigram-indexed
    # column of one table. Written by no Python code; a value set here is replaced on save.
    search_text = models.TextField(editable=False, blank=True, default="")

    constraints_reported_by_clean = frozenset(
        {
            "candidate_pay_has_currency",
            "candidate_referral_has_referrer",
            "candidate_consent_has_date",
            *(f"candidate_{field}_0_5" for field, _ in MOTIVATORS),
            *(
                f"candidate_{field}_not_negative"
                for field in ("current_base", "current_bonus", "current_equity_per_year")
            ),
        }
    )

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="candidate_name_id"),
            models.Index(fields=["relationship"], name="candidate_relationship"),
        ]
        constraints = [
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 5}),
                    name=f"candidate_{field}_0_5",
                    violation_error_message=f"{label} must be between 0 and 5.",
                )
                for field, label in MOTIVATORS
            ],
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 0}) | Q(**{f"{field}__isnull": True}),
                    name=f"candidate_{field}_not_negative",
                    violation_error_message="Pay cannot be negative.",
                )
                for field in ("current_base", "current_bonus", "current_equity_per_year")
            ],
            models.CheckConstraint(
                condition=Q(current_pay_currency__isnull=False)
                | Q(
                    current_base__isnull=True,
                    current_bonus__isnull=True,
                    current_equity_per_year__isnull=True,
                ),
                name="candidate_pay_has_currency",
                violation_error_message="Current pay needs a currency.",
            ),
            models.CheckConstraint(
                condition=~Q(source="referral") | ~Q(referrer=""),
                name="candidate_referral_has_referrer",
                violation_error_message="A referral needs the referrer's name.",
            ),
            models.CheckConstraint(
                condition=Q(consent_basis="") | Q(consent_date__isnull=False),
                name="candidate_consent_has_date",
                violation_error_message="Recorded consent needs the date it was given.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:candidates_candidate_change", args=[self.pk])

    def clean(self) -> None:
        # The same rules as the check constraints, but reported on the field a person fixes.
        errors: dict[str, str] = {}
        if self.source == self.Source.REFERRAL and not self.referrer.strip():
            errors["referrer"] = "A referral needs the referrer's name."
        if self.consent_basis and not self.consent_date:
            errors["consent_date"] = "Recorded consent needs the date it was given."
        has_pay = any(
            v is not None
            for v in (self.current_base, self.current_bonus, self.current_equity_per_year)
        )
        if has_pay and not self.current_pay_currency_id:
            errors["current_pay_currency"] = "Current pay needs a currency."
        if errors:
            raise ValidationError(errors)

    @property
    def motivators(self) -> dict[str, int]:
        return {label: getattr(self, field) for field, label in MOTIVATORS}

    @property
    def is_retention_case(self) -> bool:
        return self.relationship == self.Relationship.EMPLOYEE


class CandidateEmail(CleanReportsConstraintsMixin, models.Model):
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(max_length=254)
    is_primary = models.BooleanField(default=False)

    constraints_reported_by_clean = frozenset({"candidate_email_unique_ci"})

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="candidate_email_unique_ci",
                violation_error_message="Another candidate already has this email.",
            ),
            models.UniqueConstraint(
                fields=["candidate"],
                condition=Q(is_primary=True),
                name="candidate_one_primary_email",
                violation_error_message="A candidate has only one primary email.",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        if self.email:
            self.email = self.email.strip()
            clash = CandidateEmail.objects.filter(email__iexact=self.email)
            if self.pk:
                clash = clash.exclude(pk=self.pk)
            owner = clash.select_related("candidate").first()
            if owner is not None:
                raise ValidationError(
                    {"email": f"{self.email} already belongs to {owner.candidate.name}."}
                )


class ImportStorage(FileSystemStorage):
    """Where uploaded files wait for their import: a folder of Closer's own (never /tmp, never
    MEDIA, which a web server may publish), emptied by the import itself and by the sweep.
    CANDIDATE_IMPORT_DIR is read at each use, not once, so a test may point it elsewhere."""

    @property
    def base_location(self) -> str:
        return str(settings.CANDIDATE_IMPORT_DIR)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def import_storage() -> Storage:
    return ImportStorage()


def import_file_path(job: CandidateImport, filename: str) -> str:
    # A random name: the uploader's file name is kept on the row, never in a path.
    suffix = "".join(c for c in filename.rsplit(".", 1)[-1][:8] if c.isalnum()) or "data"
    return f"{uuid.uuid4().hex}.{suffix.lower()}"


class CandidateImport(models.Model):
    """A file of candidates uploaded in the admin, checked and then imported by a worker
    (candidates/imports.py). The row is the job's state; its page reads it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Checked: waiting for confirmation"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(
        upload_to=import_file_path, storage=import_storage, max_length=200, blank=True
    )
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=20)
    # Whether the uploader may see pay: without it, the pay columns are neither read nor shown.
    with_pay = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0, help_text="Rows with errors.")
    # The file's columns as read; the rows in error (the first ones, with their messages by
    # field) and the first rows of the preview, as lists of dicts.
    columns = models.JSONField(default=list, blank=True)
    row_errors = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True, help_text="What stopped the whole file, if anything.")
    checked_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's: jobs that still hold a file.
            models.Index(
                fields=["created_at"], condition=~Q(file=""), name="candidate_import_with_file"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_processed__lte=models.F("rows_total")),
                name="candidate_import_processed_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("admin:candidates_candidate_import_job", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.CHECKING, self.Status.IMPORTING)

    @property
    def percent(self) -> int:
        return int(100 * self.rows_processed / self.rows_total) if self.rows_total else 0
