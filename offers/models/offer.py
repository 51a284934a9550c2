"""An offer and its components. Every change is kept by django-simple-history."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from candidates.models import MONEY_DIGITS, MONEY_PLACES, Currency
from recruiting.pipeline.models import Application

from .. import compensation as engine
from ..compensation import MAX_BONUS_PERCENT
from .money import money_field

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models.fields.related_descriptors import RelatedManager


class _DecimalSize(TypedDict):
    max_digits: int
    decimal_places: int


PERCENT: _DecimalSize = {"max_digits": 6, "decimal_places": 2}
SHARE_DIGITS, SHARE_PLACES = 13, 4  # prices per share, strikes, fair values, caps


CLAWBACK_CHOICES = [(c.value, c.label) for c in engine.Clawback]


def report_money(label: str) -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        label, max_digits=MONEY_DIGITS + 2, decimal_places=MONEY_PLACES, null=True, blank=True
    )


class Package(models.Model):
    """What an offer and a competing offer share: the components the engine values. Their
    instalments, equity grants and other amounts are rows of OfferPayment, EquityGrant and
    OtherAmount, which belong to exactly one of the two."""

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    base_salary = money_field("annual base salary", default=Decimal(0))
    target_bonus_percent = models.DecimalField(
        "target annual bonus (% of base)",
        **PERCENT,
        default=Decimal(0),
        validators=[
            MinValueValidator(Decimal(0), "A target bonus cannot be negative."),
            # %% : Django formats a validator's message with its params.
            MaxValueValidator(MAX_BONUS_PERCENT, "A target bonus is at most 200%% of base."),
        ],
    )
    relocation = money_field("relocation", default=Decimal(0))
    signing_clawback_months = models.PositiveSmallIntegerField(
        "signing bonus clawback (months)", default=0
    )
    retention_clawback_months = models.PositiveSmallIntegerField(
        "retention bonus clawback (months)", default=0
    )
    signing_clawback = models.CharField(
        "signing bonus clawback terms",
        max_length=30,
        choices=CLAWBACK_CHOICES,
        default=engine.Clawback.PRO_RATA_FROM_PAYMENT.value,
    )
    retention_clawback = models.CharField(
        "retention bonus clawback terms",
        max_length=30,
        choices=CLAWBACK_CHOICES,
        default=engine.Clawback.PRO_RATA_FROM_PAYMENT.value,
    )
    # The price the package's equity was valued at, kept as the rate is: a share price of the
    # granting company on a dated basis. "Recorded": grants typed as amounts, 1.00 a unit.
    equity_basis = models.CharField(
        "equity valued at",
        max_length=20,
        choices=[(b.value, b.label) for b in engine.PriceBasis],
        default=engine.PriceBasis.RECORDED.value,
    )
    share_price = models.DecimalField(
        "price per share",
        max_digits=SHARE_DIGITS,
        decimal_places=SHARE_PLACES,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0), "A price cannot be negative.")],
    )
    share_price_as_of = models.DateField("price as of", null=True, blank=True)
    share_price_source = models.CharField("price source", max_length=200, blank=True)

    # What the package is worth, kept for the reports (offers/figures.py writes them whenever
    # the package or its components are written, and a nightly job fills those it could not
    # value for want of a rate). In the reporting currency, at the rate of the day they were
    # written (a sent offer: the rate it was sent at); empty while not valued. Year one is
    # split by component so that a report can say which components make a gap.
    report_rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    report_year_one = report_money("year one")
    report_annual_average = report_money("annual average")
    report_base = report_money("base salary, year one")
    report_bonus = report_money("target bonus, year one")
    report_signing = report_money("signing bonus, year one")
    report_equity = report_money("equity vesting, year one")
    report_retention = report_money("retention bonus, year one")
    report_other = report_money("relocation and other, year one")
    report_signing_total = report_money("signing bonus, all instalments")
    report_retention_total = report_money("retention bonus, all instalments")
    report_equity_grant = report_money("equity at grant")
    # Against the band of the role (in force when written), on the band basis: the band's
    # total max in the reporting currency, and how far above it the package goes (0 within).
    report_band_max = report_money("band max")
    report_above_band = report_money("above band by")

    # The reverse relations of OfferPayment, EquityGrant and OtherAmount, which every concrete
    # package (Offer, CompetingOffer) has.
    payments: RelatedManager[OfferPayment]
    equity_grants: RelatedManager[EquityGrant]
    other_amounts: RelatedManager[OtherAmount]
    # Read by simple-history when it writes the history row: who made the change.
    _history_user: User | None

    class Meta:
        abstract = True

    def to_package(self) -> engine.Package:
        """The package for the engine. Reads the components (prefetch them for lists)."""
        payments = list(self.payments.all())

        def bonus(kind: str, months: int, terms: str) -> engine.Bonus | None:
            rows = [engine.Payment(p.month, p.amount) for p in payments if p.kind == kind]
            return engine.Bonus(tuple(rows), months, engine.Clawback(terms)) if rows else None

        return engine.Package(
            currency=self.currency_id,
            base_salary=self.base_salary,
            target_bonus_percent=self.target_bonus_percent,
            signing_bonus=bonus(
                OfferPayment.Kind.SIGNING, self.signing_clawback_months, self.signing_clawback
            ),
            retention_bonus=bonus(
                OfferPayment.Kind.RETENTION, self.retention_clawback_months, self.retention_clawback
            ),
            equity=tuple(
                grant.to_grant(self.share_price, self.equity_basis)
                for grant in self.equity_grants.all()
            ),
            relocation=self.relocation,
            other=tuple(
                engine.OtherAmount(o.name, o.amount, o.year) for o in self.other_amounts.all()
            ),
        )


# The columns above, which no history keeps (they follow from the rest).
REPORT_FIELDS = (
    "report_rate",
    "report_year_one",
    "report_annual_average",
    "report_base",
    "report_bonus",
    "report_signing",
    "report_equity",
    "report_retention",
    "report_other",
    "report_signing_total",
    "report_retention_total",
    "report_equity_grant",
    "report_band_max",
    "report_above_band",
)


def amount_constraints(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(base_salary__gte=0, relocation__gte=0),
            name=f"{prefix}_amounts_not_negative",
            violation_error_message="An amount cannot be negative.",
        ),
        models.CheckConstraint(
            condition=Q(target_bonus_percent__gte=0, target_bonus_percent__lte=200),
            name=f"{prefix}_bonus_percent_0_200",
            # %%: Django formats a constraint's message with its name.
            violation_error_message="A target bonus is between 0%% and 200%% of base.",
        ),
    ]


class Offer(ConcurrentTransitionMixin, Package):
    """One version of a package offered to one application.

    The status changes only through the transitions below, which the services in
    offers/services.py call after checking who may take the step; a revision is a new row, so a
    version is never overwritten. The row it revises becomes superseded: at once while it was
    still in approval, or, when it was sent, only once the revision is sent (until then the
    candidate may still accept what they hold).
    """

    class Kind(models.TextChoices):
        NEW_HIRE = "new_hire", "New hire"
        RETENTION = "retention", "Retention"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_APPROVAL = "pending_approval", "Pending approval"
        APPROVED = "approved", "Approved"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        RESCINDED = "rescinded", "Rescinded"
        SUPERSEDED = "superseded", "Superseded"

    OPEN_STATUSES = (
        Status.DRAFT,
        Status.PENDING_APPROVAL,
        Status.APPROVED,
        Status.SENT,
    )
    # Being prepared: not with the candidate yet.
    IN_PROGRESS_STATUSES = (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED)

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="offers")
    version = models.PositiveSmallIntegerField(default=1)
    revises = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revised_by",
        help_text="The version this one replaces.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEW_HIRE)
    start_date = models.DateField()
    expires_at = models.DateTimeField("expires")
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True)

    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="drafted_offers"
    )
    drafted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    # The rate used when the offer was sent, kept so that later rates never change a sent offer.
    sent_rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    sent_rate_currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_rate_date = models.DateField(null=True, blank=True)
    # The sender confirmed sending at a rate older than RATE_STALE_AFTER_DAYS.
    sent_at_stale_rate = models.BooleanField("sent at a stale rate, confirmed", default=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who recorded the acceptance, decline, rescission or expiry.",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    last_comment = models.TextField(blank=True, help_text="The latest approver's comment.")
    keep_open_on_decline = models.BooleanField(
        "keep the application open if declined",
        default=False,
        help_text="For a revised offer: a decline then leaves the application open instead of "
        "marking it lost.",
    )

    history = HistoricalRecords(excluded_fields=list(REPORT_FIELDS))

    class Meta:
        ordering = ["application_id", "-version"]
        permissions = [("view_compensation", "Can see compensation amounts")]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "version"],
                name="offer_version_unique_per_application",
                violation_error_message="This application already has an offer of this version.",
            ),
            # At most one version being prepared and one with the candidate: a revision of a
            # sent offer is drafted while the sent one stands.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=["draft", "pending_approval", "approved"]),
                name="offer_one_in_progress_per_application",
                violation_error_message="This application already has a version being prepared; "
                "change it.",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="sent"),
                name="offer_one_sent_per_application",
                violation_error_message="This application already has a sent offer.",
            ),
            *amount_constraints("offer"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="offer_status_expiry")]

    def __str__(self) -> str:
        return (
            f"Offer v{self.version} to {self.application.candidate} ({self.get_status_display()})"
        )

    def get_absolute_url(self) -> str:
        return reverse("offers:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    # --- transitions: the status only; services decide who may take them ------------------

    @transition(field=status, source=Status.DRAFT, target=Status.PENDING_APPROVAL)
    def submit(self) -> None:
        pass

    @transition(
        field=status, source=[Status.DRAFT, Status.PENDING_APPROVAL], target=Status.APPROVED
    )
    def approve(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING_APPROVAL, target=Status.DRAFT)
    def reject(self) -> None:
        pass

    @transition(field=status, source=Status.APPROVED, target=Status.SENT)
    def send(self) -> None:
        pass

    @transition(field=status, source=Status.SENT, target=Status.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=status, source=Status.SENT, target=Status.DECLINED)
    def decline(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT],
        target=Status.RESCINDED,
    )
    def rescind(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT],
        target=Status.EXPIRED,
    )
    def expire(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.SENT],
        target=Status.SUPERSEDED,
    )
    def supersede(self) -> None:
        pass


def one_parent(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(offer__isnull=False, competing_offer__isnull=True)
        | Q(offer__isnull=True, competing_offer__isnull=False),
        name=f"{prefix}_one_parent",
        violation_error_message="A component belongs to one offer or one competing offer.",
    )


class OfferPayment(models.Model):
    """One instalment of the signing or the retention bonus."""

    class Kind(models.TextChoices):
        SIGNING = "signing", "Signing bonus"
        RETENTION = "retention", "Retention bonus"

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, null=True, blank=True, related_name="payments"
    )
    competing_offer = models.ForeignKey(
        "CompetingOffer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="payments",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    month = models.PositiveSmallIntegerField(
        "paid in month", default=0, help_text="Months after the start date; 0 is the start."
    )
    amount = money_field("amount")

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "month", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="offer_payment_not_negative",
                violation_error_message="An amount cannot be negative.",
            ),
            one_parent("offer_payment"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount} at month {self.month}"


class EquityGrant(models.Model):
    class Kind(models.TextChoices):
        RSU = "rsu", "RSUs"
        OPTIONS = "options", "Options"
        PROFIT_UNITS = "profit_units", "Profit units"

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, null=True, blank=True, related_name="equity_grants"
    )
    competing_offer = models.ForeignKey(
        "CompetingOffer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="equity_grants",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RSU)
    # Shares (options, units) and their terms; on the "recorded" basis, the units of 1.00 that
    # the value typed makes.
    shares = models.DecimalField(
        "shares",
        max_digits=16,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0), "A number of shares cannot be negative.")],
    )
    strike = models.DecimalField(
        "strike price", max_digits=SHARE_DIGITS, decimal_places=SHARE_PLACES, default=Decimal(0)
    )
    fair_value = models.DecimalField(
        "fair value per option",
        max_digits=SHARE_DIGITS,
        decimal_places=SHARE_PLACES,
        null=True,
        blank=True,
    )
    cap = models.DecimalField(
        "cap per unit", max_digits=SHARE_DIGITS, decimal_places=SHARE_PLACES, null=True, blank=True
    )
    # Options: how long they can be exercised. They expire so many years after the grant, and
    # a leaver has so many months to exercise what vested.
    expiry_years = models.PositiveSmallIntegerField(
        "options expire (years after grant)", null=True, blank=True
    )
    exercise_window_months = models.PositiveSmallIntegerField(
        "exercise window after leaving (months)", null=True, blank=True
    )
    grant_month = models.PositiveSmallIntegerField(
        "granted at month", default=0, help_text="Months after the start: 0 for a new-hire grant."
    )
    # What the grant was worth at the package's price when it was written (shares x the value
    # of one share): kept, as the price is, so that a sent offer never changes its figures.
    value = money_field("value at grant")
    cliff_months = models.PositiveSmallIntegerField(default=12)
    frequency = models.CharField(
        max_length=20,
        choices=[(f.value, f.label) for f in engine.Frequency],
        default=engine.Frequency.QUARTERLY.value,
    )

    history = HistoricalRecords()

    # Read by simple-history when it writes the history row: who made the change.
    _history_user: User | None

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="equity_grant_not_negative",
                violation_error_message="An amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(shares__gte=0, strike__gte=0)
                & (Q(fair_value__isnull=True) | Q(fair_value__gte=0))
                & (Q(cap__isnull=True) | Q(cap__gte=0)),
                name="equity_grant_terms_not_negative",
                violation_error_message="Shares and prices cannot be negative.",
            ),
            one_parent("equity_grant"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} worth {self.value}"

    def to_grant(self, price: Decimal, basis: str) -> engine.EquityGrant:
        """The grant for the engine, at its package's price on its package's basis."""
        percentages = tuple(y.percentage for y in self.vesting_years.all())
        schedule = engine.VestingSchedule(
            percentages, cliff_months=self.cliff_months, frequency=engine.Frequency(self.frequency)
        )
        return engine.grant_on_basis(
            basis,
            price,
            schedule,
            kind=self.kind,
            value=self.value,
            shares=self.shares,
            strike=self.strike,
            fair_value=self.fair_value,
            cap=self.cap,
            grant_month=self.grant_month,
        )


class VestingYear(models.Model):
    """The share of a grant that vests in one year; a grant's years add up to 100%."""

    grant = models.ForeignKey(EquityGrant, on_delete=models.CASCADE, related_name="vesting_years")
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    percentage = models.DecimalField(
        **PERCENT,
        validators=[
            MinValueValidator(Decimal(0), "A year cannot vest a negative percentage."),
            MaxValueValidator(Decimal(100), "A year vests at most 100%%."),
        ],
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["grant_id", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "year"],
                name="vesting_year_unique_per_grant",
                violation_error_message="This grant already has a percentage for this year.",
            ),
            models.CheckConstraint(
                condition=Q(percentage__gte=0, percentage__lte=100),
                name="vesting_year_percentage_0_100",
                violation_error_message="A year vests between 0%% and 100%%.",
            ),
        ]

    def __str__(self) -> str:
        return f"year {self.year}: {self.percentage}%"


class OtherAmount(models.Model):
    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, null=True, blank=True, related_name="other_amounts"
    )
    competing_offer = models.ForeignKey(
        "CompetingOffer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="other_amounts",
    )
    name = models.CharField(max_length=100)
    amount = money_field("amount")
    year = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    history = HistoricalRecords()

    class Meta:
        ordering = ["year", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="other_amount_not_negative",
                violation_error_message="An amount cannot be negative.",
            ),
            one_parent("other_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount} in year {self.year}"
