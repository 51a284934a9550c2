"""Companies' share prices: dated, per price basis, with their source."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from candidates.models import Company, Currency

from .. import compensation as engine

PRICE_DIGITS, PRICE_PLACES = 13, 4  # up to 999,999,999.9999 a share

# Every basis but "recorded", which is a grant's own typed value, not a company's price.
PRICE_BASES = [(b.value, b.label) for b in engine.PriceBasis if b != engine.PriceBasis.RECORDED]


class SharePrice(models.Model):
    """What one share (or unit) of a company is worth on one basis, as of a date: its public
    market price; for a private company its last preferred, its 409A common fair market value
    and its last tender price; a profit unit's value. Kept for our company and competitors,
    entered in the admin or loaded from a file (`manage.py load_prices`); an offer's grants are
    valued at one of them."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="share_prices")
    basis = models.CharField("price basis", max_length=20, choices=PRICE_BASES)
    price = models.DecimalField(
        "price per share",
        max_digits=PRICE_DIGITS,
        decimal_places=PRICE_PLACES,
        validators=[
            MinValueValidator(engine.PRICE_STEP, "A price is a positive number."),
            MaxValueValidator(engine.MAX_PRICE, f"A price cannot exceed {engine.MAX_PRICE:,}."),
        ],
    )
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField("as of")
    source = models.CharField(
        max_length=200, help_text="Where the price comes from: an exchange, a 409A report…"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company__name", "basis", "-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "basis", "as_of"],
                name="one_share_price_per_company_basis_and_date",
                violation_error_message="This company already has a price on this basis on "
                "this date.",
            ),
            models.CheckConstraint(
                condition=Q(price__gt=0),
                name="share_price_positive",
                violation_error_message="A price is a positive number.",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=[code for code, _ in PRICE_BASES]),
                name="share_price_known_basis",
                violation_error_message="Choose one of the price bases.",
            ),
            models.CheckConstraint(
                condition=~Q(source=""),
                name="share_price_has_source",
                violation_error_message="Say where the price comes from.",
            ),
        ]
        indexes = [models.Index(fields=["company", "basis", "-as_of"], name="share_price_latest")]

    def __str__(self) -> str:
        return (
            f"{self.company}: {self.get_basis_display()} {self.price.normalize():f} "
            f"{self.currency_id} on {self.as_of}"
        )
