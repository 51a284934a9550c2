"""The offer letter, and the tables an offer's terms are shown in.

The letter is templates/letters/offer_letter.html rendered to PDF by WeasyPrint, from the
offer's own terms in its own currency: the engine values it without an exchange rate, so a
letter never depends on today's rates. The offer's page and the comparison of two versions
show the same tables (years_table, grant_terms, payment_terms).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from candidates.models import Company
from recruiting.lib.formats import money_in_table, percent, price_per_share

from . import compensation as engine
from .models import EquityGrant, Offer, OfferPayment, OfferSignature
from .presentation import LETTER_COMPONENT_HEADINGS, equity_price_text
from .scenarios import scenario_table

# Statuses in which a letter is not (or no longer) the offer the candidate holds.
NOT_FOR_SENDING = {
    Offer.Status.DRAFT: "Draft: not approved, not for sending.",
    Offer.Status.PENDING_APPROVAL: "Waiting for approval: not for sending.",
    Offer.Status.SUPERSEDED: "Superseded by a later version.",
    Offer.Status.RESCINDED: "Rescinded.",
    Offer.Status.EXPIRED: "Expired.",
    Offer.Status.DECLINED: "Declined.",
}


# --- The tables ------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearsRow:
    label: str
    amounts: tuple[str, ...]
    total: str


@dataclass(frozen=True)
class YearsTable:
    """A package year by year: a row per component that pays anything (base always), the
    yearly totals, and the whole-horizon total, formatted."""

    currency: str
    years: tuple[int, ...]
    rows: tuple[YearsRow, ...]
    totals: tuple[str, ...]
    total: str
    year_one: str
    annual_average: str


def years_table(compensation: engine.YearlyCompensation) -> YearsTable:
    rows = tuple(
        YearsRow(
            LETTER_COMPONENT_HEADINGS.get(name, name),
            tuple(money_in_table(a) for a in amounts),
            money_in_table(sum(amounts, Decimal(0))),
        )
        for name, amounts in compensation.by_component.items()
        if name == engine.Component.BASE_SALARY or any(amounts)
    )
    return YearsTable(
        currency=compensation.currency,
        years=tuple(range(1, compensation.years + 1)),
        rows=rows,
        totals=tuple(money_in_table(a) for a in compensation.yearly_totals),
        total=money_in_table(compensation.total),
        year_one=money_in_table(compensation.year_one),
        annual_average=money_in_table(compensation.annual_average),
    )


@dataclass(frozen=True)
class VestingLine:
    year: int
    percentage: str
    amount: str


@dataclass(frozen=True)
class GrantTerms:
    number: int
    kind: str
    value: str
    cliff_months: int
    frequency: str
    years: tuple[VestingLine, ...]
    units: str = ""  # "40,000 options at a 10.00 strike", when valued at a share price

    @property
    def schedule(self) -> str:
        """The schedule on one line, for comparisons: "25% / 25% / 25% / 25%, 12-month
        cliff, vesting quarterly"."""
        shares = " / ".join(line.percentage for line in self.years)
        return f"{shares}, {self.cliff_months}-month cliff, vesting {self.frequency}"


def _units(offer: Offer, grant: EquityGrant) -> str:
    if offer.equity_basis == engine.PriceBasis.RECORDED:
        return _exercise(grant).strip(" ()")
    noun = {"options": "options", "profit_units": "units"}.get(grant.kind, "shares")
    text = f"{grant.shares.normalize():,f} {noun}"
    if grant.kind == EquityGrant.Kind.OPTIONS and grant.strike:
        text += f" at a {price_per_share(grant.strike, offer.currency_id)} strike"
    return text + _exercise(grant)


def _exercise(grant: EquityGrant) -> str:
    terms = []
    if grant.expiry_years is not None:
        terms.append(f"expiring {grant.expiry_years} years after the grant")
    if grant.exercise_window_months is not None:
        terms.append(f"exercisable for {grant.exercise_window_months} months after leaving")
    return f" ({', '.join(terms)})" if terms else ""


def grant_terms(offer: Offer) -> list[GrantTerms]:
    """Each equity grant's vesting schedule (reads the prefetched grants and years)."""
    grants = []
    for number, grant in enumerate(offer.equity_grants.all(), start=1):
        grants.append(
            GrantTerms(
                number=number,
                kind=EquityGrant.Kind(grant.kind).label,
                value=money_in_table(grant.value),
                cliff_months=grant.cliff_months,
                frequency=engine.Frequency(grant.frequency).label.lower(),
                units=_units(offer, grant),
                years=tuple(
                    VestingLine(
                        year.year,
                        percent(year.percentage),
                        money_in_table(engine.to_cents(grant.value * year.percentage / 100)),
                    )
                    for year in grant.vesting_years.all()
                ),
            )
        )
    return grants


@dataclass(frozen=True)
class PaymentLine:
    month: int
    amount: str

    @property
    def when(self) -> str:
        if self.month == 0:
            return "on the start date"
        if self.month % 12 == 0:
            years = self.month // 12
            return f"{years} year{'s' if years > 1 else ''} after the start date"
        return f"{self.month} months after the start date"


@dataclass(frozen=True)
class RepaymentLine:
    """Leaving so many months after the start (a month or a run of them) repays `owed`."""

    months: str
    owed: str


def repayment_lines(*bonuses: engine.Bonus | None) -> tuple[RepaymentLine, ...]:
    return repayment_rows(engine.repayment_schedule(*bonuses))


def repayment_rows(rows: Iterable[engine.RepaymentRow]) -> tuple[RepaymentLine, ...]:
    return tuple(
        RepaymentLine(
            str(row.first) if row.first == row.last else f"{row.first}–{row.last}",
            money_in_table(row.owed),
        )
        for row in rows
    )


@dataclass(frozen=True)
class BonusTerms:
    label: str
    payments: tuple[PaymentLine, ...]
    total: str
    clawback_months: int
    clawback_terms: engine.Clawback = engine.Clawback.PRO_RATA_FROM_PAYMENT
    # If you leave so many months after the start, you repay this much.
    repayments: tuple[RepaymentLine, ...] = ()
    # From this many months after the start on, nothing is repaid.
    repaid_until: int = 0

    @property
    def clawback(self) -> str:
        return self.clawback_terms.describe(self.clawback_months)

    @property
    def summary(self) -> str:
        """The instalments and clawback on one line, for comparisons."""
        paid = "; ".join(f"{p.amount} {p.when}" for p in self.payments)
        if not self.clawback_months:
            return f"{paid}; no clawback"
        terms = self.clawback_terms.label.lower()
        return f"{paid}; clawback {self.clawback_months} months, {terms}"


def payment_terms(offer: Offer) -> list[BonusTerms]:
    """The signing and the retention bonus, each with its instalments and clawback (reads the
    prefetched payments)."""
    payments = list(offer.payments.all())
    bonuses = []
    for kind, months, terms in (
        (OfferPayment.Kind.SIGNING, offer.signing_clawback_months, offer.signing_clawback),
        (OfferPayment.Kind.RETENTION, offer.retention_clawback_months, offer.retention_clawback),
    ):
        rows = sorted((p for p in payments if p.kind == kind), key=lambda p: p.month)
        if rows:
            convention = engine.Clawback(terms)
            bonus = engine.Bonus(
                tuple(engine.Payment(p.month, p.amount) for p in rows), months, convention
            )
            bonuses.append(
                BonusTerms(
                    label=kind.label,
                    payments=tuple(PaymentLine(p.month, money_in_table(p.amount)) for p in rows),
                    total=money_in_table(bonus.total),
                    clawback_months=months,
                    clawback_terms=convention,
                    repayments=repayment_lines(bonus),
                    repaid_until=bonus.clawback_ends,
                )
            )
    return bonuses


# --- The letter ------------------------------------------------------------------------------


def letter_filename(offer: Offer) -> str:
    name = slugify(offer.application.candidate.name) or "candidate"
    return f"offer-{name}-v{offer.version}.pdf"


def letter_context(offer: Offer, *, today: date | None = None) -> dict[str, object]:
    compensation = engine.compute(offer.to_package())
    ours = Company.objects.filter(kind=Company.Kind.OURS).order_by("pk").first()
    return {
        "offer": offer,
        "candidate": offer.application.candidate,
        "role": offer.application.role,
        "company": ours.name if ours else "",
        # A sent letter keeps the date it was sent; a draft's is the day it is printed.
        "today": today
        or (timezone.localdate(offer.sent_at) if offer.sent_at else timezone.localdate()),
        "table": years_table(compensation),
        "grants": grant_terms(offer),
        "equity_price": equity_price_text(offer),
        "scenarios": scenario_table(offer.to_package(), offer.equity_basis),
        "bonuses": payment_terms(offer),
        "other_amounts": [
            (o.name, o.year, money_in_table(o.amount)) for o in offer.other_amounts.all()
        ],
        "target_bonus": percent(offer.target_bonus_percent) if offer.target_bonus_percent else "",
        "relocation": money_in_table(offer.relocation) if offer.relocation else "",
        "not_for_sending": NOT_FOR_SENDING.get(offer.status, ""),
    }


def render_offer_letter(offer: Offer, *, today: date | None = None) -> bytes:
    """The letter as PDF bytes: the candidate, the role and start date, the total rewards
    year by year, each grant's vesting, the bonus instalments and clawbacks, and the version
    and date of the letter."""
    from weasyprint import HTML  # loads pango; only the letter needs it

    html = render_to_string("letters/offer_letter.html", letter_context(offer, today=today))
    return HTML(string=html).write_pdf()


def render_signed_letter(letter_pdf: bytes, signature: OfferSignature) -> bytes:
    """The letter the candidate read, byte for byte, followed by a signature certificate:
    who signed, when, from where, having agreed to which words, and the SHA-256 of the letter
    signed, so anyone holding both can check that the letter is the one signed."""
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML  # loads pango; only the letters need it

    offer, made_at = signature.offer, signature.letter.made_at
    certificate = HTML(
        string=render_to_string(
            "letters/signature_certificate.html",
            {
                "signature": signature,
                "offer": offer,
                "candidate": offer.application.candidate,
                "role": offer.application.role,
                "letter_sha256": signature.letter.sha256,
                "signed_at": f"{signature.signed_at.astimezone(UTC):%-d %B %Y, %H:%M:%S} UTC",
                "letter_made_at": f"{made_at.astimezone(UTC):%-d %B %Y, %H:%M} UTC",
            },
        )
    ).write_pdf()
    writer = PdfWriter()
    for source in (letter_pdf, certificate):
        writer.append(PdfReader(io.BytesIO(source)))
    writer.add_metadata(
        {"/Title": f"Signed offer letter, version {offer.version}", "/Author": "Closer"}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
