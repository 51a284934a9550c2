"""The candidate's side of a sent offer: opening it, signing it, declining it.

The candidate has no account: each action comes through their link (offers.links) and is
checked again under a row lock on the offer, so a double click, a second tab, a signature
after the deadline or after a rescind is refused with a sentence, never recorded twice. What
the candidate does becomes an activity on the application (the recruiter's record) and alerts
the team (no amount in any alert: a hiring manager may not see pay).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from candidates.models import Company
from recruiting.alerts import registry
from recruiting.alerts.services import raise_alert
from recruiting.lib.access import can_see_compensation
from recruiting.lib.types import User
from recruiting.pipeline.models import Activity, Application
from recruiting.pipeline.services import PipelineError, log_activity, mark_lost

from .letters import letter_filename, render_signed_letter
from .links import Refusal, candidate_address, current_letter, refusal
from .models import Offer, OfferDecline, OfferLink, OfferSignature
from .services import accept_offer, decline_offer

# What the candidate agrees to before signing; kept word for word with the signature.
CONSENT_TEXT = (
    "I agree to sign this offer letter electronically. I understand that typing my full name "
    "and pressing “Sign and accept” is my signature, with the same effect as signing the "
    "letter by hand, and that a copy of the signed letter will be emailed to me."
)

# A reload within this time is the same visit, not a new activity.
SAME_VISIT = timedelta(minutes=30)


class AnswerRefused(ValidationError):
    """Why the candidate's answer was not recorded, in words for them."""


@dataclass(frozen=True)
class Visitor:
    """Where a request came from, for the audit trail."""

    ip_address: str | None
    user_agent: str


# --- Alerts ----------------------------------------------------------------------------------


def _signed_letter(alert: object) -> list[registry.Attachment]:
    signature = getattr(alert, "about", None)
    recipient = getattr(alert, "recipient", None)
    if not isinstance(signature, OfferSignature):
        return []
    if recipient is not None and not can_see_compensation(recipient):
        return []  # the letter is all amounts
    name = letter_filename(signature.offer).replace(".pdf", "-signed.pdf")
    return [registry.Attachment(name, bytes(signature.signed_pdf), "application/pdf")]


OFFER_SIGNED = registry.AlertKind(
    "offer_signed", "Offer signed by the candidate", urgent=True, attachments=_signed_letter
)
OFFER_SIGNED_COPY = registry.AlertKind(
    "offer_signed_copy",
    "Signed offer letter, emailed to the candidate",
    required=True,
    external=True,
    attachments=_signed_letter,
)
OFFER_DECLINED = registry.AlertKind(
    "offer_declined", "Offer declined by the candidate", urgent=True
)


def register_alert_kinds() -> None:
    for kind in (OFFER_SIGNED, OFFER_SIGNED_COPY, OFFER_DECLINED):
        registry.register_kind(kind)


def offer_team(offer: Offer) -> list[User]:
    """Who hears of the candidate's answer: who sent and drafted the offer, the candidate's
    owner and the role's hiring manager; active users, each once."""
    application = offer.application
    people = [
        offer.sent_by,
        offer.drafted_by,
        application.candidate.owner,
        application.role.hiring_manager,
    ]
    team: dict[int, User] = {}
    for person in people:
        if person is not None and person.is_active:
            team.setdefault(person.pk, person)
    return list(team.values())


def _where(offer: Offer) -> str:
    role = offer.application.role
    return f"{role.title}, {role.city}"


# --- Opening -----------------------------------------------------------------------------------


def record_view(link: OfferLink, visitor: Visitor) -> None:
    """Counts a view of the offer; the first, and each later visit, is an activity."""
    now = timezone.now()
    with transaction.atomic():
        link = OfferLink.objects.select_for_update().select_related("offer").get(pk=link.pk)
        first = link.first_opened_at is None
        new_visit = first or link.last_opened_at is None or now - link.last_opened_at > SAME_VISIT
        link.views += 1
        link.first_opened_at = link.first_opened_at or now
        link.last_opened_at = now
        link.save(update_fields=["views", "first_opened_at", "last_opened_at"])
        if new_visit:
            offer = link.offer
            log_activity(
                offer.application.candidate,
                kind=Activity.Kind.OFFER,
                summary=(
                    f"Opened their offer v{offer.version} for the first time"
                    if first
                    else f"Viewed their offer v{offer.version} again"
                ),
                body=f"From {visitor.ip_address or 'an unknown address'}, "
                f"{visitor.user_agent[:200] or 'an unknown browser'}.",
                by=None,
                application=offer.application,
                occurred_at=now,
            )


# --- Signing -----------------------------------------------------------------------------------


def _plain(name: str) -> list[str]:
    """A name's words, without case, accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return letters.casefold().split()


def name_matches(typed: str, name: str) -> bool:
    """Loosely: the same words, whatever the case, accents, punctuation and spacing, a middle
    name more or less. "ada lovelace", "Ada King Lovelace" and "ADA LOVELACE" all sign for
    Ada Lovelace; "A. Lovelace" and "Grace Hopper" do not."""
    typed_words, name_words = _plain(typed), _plain(name)
    if not typed_words or not name_words:
        return False
    if typed_words == name_words:
        return True
    return typed_words[0] == name_words[0] and typed_words[-1] == name_words[-1]


REFUSAL_WORDS = {
    Refusal.TAMPERED: "This link is not valid.",
    Refusal.REVOKED: "This link was withdrawn by the recruiter.",
    Refusal.EXPIRED: "This offer has expired.",
    Refusal.RESCINDED: "This offer was withdrawn.",
    Refusal.SUPERSEDED: "This offer was replaced by a newer version.",
    Refusal.ACCEPTED: "This offer is already signed.",
    Refusal.DECLINED: "This offer was declined.",
}


def _locked_offer(link: OfferLink) -> tuple[OfferLink, Offer]:
    """The link and its offer, the offer row locked, checked again: whatever was true when
    the page was shown may have changed since (a rescind, the deadline, another tab)."""
    offer = Offer.objects.select_for_update().get(pk=link.offer_id)
    link = OfferLink.objects.get(pk=link.pk)
    link.offer = offer
    refused = refusal(link)
    if refused is not None:
        raise AnswerRefused(REFUSAL_WORDS[refused])
    return link, offer


def sign_offer(
    link: OfferLink,
    *,
    typed_name: str,
    consented: bool,
    letter_sha256: str,
    visitor: Visitor,
) -> OfferSignature:
    """The candidate signs: the signature and its audit trail are recorded, the signed letter
    (the letter they read and its signature certificate) is made and emailed to them and to
    the team, the offer is accepted and a new hire's application marked hired."""
    errors: dict[str, str] = {}
    if not consented:
        errors["consent"] = "Tick the box to agree to sign electronically."
    name = link.offer.application.candidate.name
    if not typed_name.strip():
        errors["typed_name"] = "Type your full name to sign."
    elif not name_matches(typed_name, name):
        errors["typed_name"] = f"Type your full name as the offer names you: {name}."
    if errors:
        raise AnswerRefused(errors)
    try:
        with transaction.atomic():
            link, offer = _locked_offer(link)
            letter = current_letter(offer)
            if letter.sha256 != letter_sha256:
                raise AnswerRefused(
                    "The letter changed since you opened this page (its deadline was "
                    "extended): read the new letter, then sign."
                )
            signed_at = timezone.now()
            signature = OfferSignature(
                offer=offer,
                letter=letter,
                link=link,
                typed_name=" ".join(typed_name.split()),
                consent_text=CONSENT_TEXT,
                signed_at=signed_at,
                ip_address=visitor.ip_address,
                user_agent=visitor.user_agent[:500],
            )
            pdf = render_signed_letter(bytes(letter.pdf), signature)
            signature.signed_pdf = pdf
            signature.signed_pdf_sha256 = hashlib.sha256(pdf).hexdigest()
            signature.save()
            accept_offer(offer, by=None)
            _after_signing(offer, signature)
    except IntegrityError:
        # Another tab signed between our check and our insert: the database kept one.
        raise AnswerRefused(REFUSAL_WORDS[Refusal.ACCEPTED]) from None
    return signature


def _after_signing(offer: Offer, signature: OfferSignature) -> None:
    application = offer.application
    candidate = application.candidate
    log_activity(
        candidate,
        kind=Activity.Kind.OFFER,
        summary=f"Signed their offer v{offer.version}",
        body=f"Typed “{signature.typed_name}”, from {signature.ip_address or 'an unknown address'}"
        f"; letter SHA-256 {signature.letter.sha256}.",
        by=None,
        application=application,
        occurred_at=signature.signed_at,
    )
    address = candidate_address(offer)
    if address:
        raise_alert(
            kind=OFFER_SIGNED_COPY.name,
            to_email=address,
            sender=offer.sent_by,
            key=f"offer-signed-copy:{offer.pk}",
            subject=f"Your signed offer: {_where(offer)}",
            about=signature,
            context={"candidate_name": candidate.name, "role": _where(offer)},
        )
    for person in offer_team(offer):
        raise_alert(
            kind=OFFER_SIGNED.name,
            recipient=person,
            key=f"offer-signed:{offer.pk}:{person.pk}",
            subject=f"{candidate.name} signed offer v{offer.version} ({_where(offer)})",
            about=signature,
            context={
                "message": f"Signed on {signature.signed_at:%-d %b %Y at %H:%M} UTC as "
                f"“{signature.typed_name}”. The application is marked hired."
                + (" The signed letter is attached." if can_see_compensation(person) else "")
            },
            link=offer.get_absolute_url(),
        )


# --- Declining ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclineAnswer:
    reason: str
    competitor: Company | None = None
    rival_offer: str = ""
    note: str = ""

    @classmethod
    def of(cls, data: dict[str, Any]) -> DeclineAnswer:
        """From a decline form's cleaned data (the candidate's or the recruiter's)."""
        return cls(
            reason=data["reason"],
            competitor=data.get("competitor"),
            rival_offer=data.get("rival_offer", ""),
            note=data.get("note", ""),
        )


def check_decline(answer: DeclineAnswer) -> None:
    if answer.reason not in OfferDecline.Reason.values:
        raise AnswerRefused({"reason": "Choose the reason that fits best."})
    if answer.competitor is not None and answer.reason != OfferDecline.Reason.OTHER_OFFER:
        raise AnswerRefused({"competitor": "Name a company only if you chose another offer."})
    if answer.reason == OfferDecline.Reason.OTHER:
        if not answer.note.strip():
            raise AnswerRefused({"note": "Say in a few words why, if you can."})


def decline(
    offer: Offer,
    answer: DeclineAnswer,
    *,
    link: OfferLink | None = None,
    by: User | None = None,
    visitor: Visitor | None = None,
) -> OfferDecline:
    """The offer is declined, with its reason: by the candidate on their page (`link`), or
    recorded by a recruiter (`by`). Unless the offer keeps the application open for a
    revision, the application is closed as lost: to the competitor named, or for the reason
    given. The team is alerted."""
    check_decline(answer)
    try:
        with transaction.atomic():
            if link is not None:
                link, offer = _locked_offer(link)
            record = OfferDecline.objects.create(
                offer=offer,
                link=link,
                reason=answer.reason,
                competitor=answer.competitor,
                rival_offer=answer.rival_offer.strip(),
                note=answer.note.strip(),
                recorded_by=by,
                ip_address=visitor.ip_address if visitor else None,
                user_agent=visitor.user_agent[:500] if visitor else "",
            )
            offer = decline_offer(offer, by=by)
            closed = _close_application(offer, record, by=by)
            _after_declining(offer, record, closed=closed)
    except IntegrityError:
        raise AnswerRefused(REFUSAL_WORDS[Refusal.DECLINED]) from None
    return record


def _close_application(offer: Offer, record: OfferDecline, *, by: User | None) -> bool:
    application = offer.application
    if offer.keep_open_on_decline or application.is_closed:
        return False
    reason_text = record.get_reason_display()
    note = "; ".join(t for t in (record.note, record.rival_offer) if t)
    try:
        if record.competitor is not None:
            mark_lost(
                application,
                reason=Application.LostReason.COMPETING_OFFER,
                lost_to=record.competitor,
                note=note,
                by=by,
            )
        else:
            mark_lost(
                application,
                reason=Application.LostReason.DECLINED,
                note=f"{reason_text}{': ' + note if note else ''}",
                by=by,
            )
    except PipelineError as error:
        raise AnswerRefused(error.messages) from None
    return True


def _after_declining(offer: Offer, record: OfferDecline, *, closed: bool) -> None:
    application = offer.application
    candidate = application.candidate
    said = record.get_reason_display()
    if record.competitor is not None:
        said += f" ({record.competitor.name})"
    details = " ".join(
        t for t in (f"“{record.note}”" if record.note else "", record.rival_offer) if t
    )
    log_activity(
        candidate,
        kind=Activity.Kind.OFFER,
        summary=f"Declined their offer v{offer.version}: {said}"[:200],
        body=details,
        by=record.recorded_by,
        application=application,
        occurred_at=record.declined_at,
    )
    if not closed:
        outcome = "The application stays open, as the offer asked: revise the offer or close it."
    elif record.competitor is not None:
        outcome = f"The application is closed as lost to {record.competitor.name}."
    else:
        outcome = "The application is closed as lost."
    for person in offer_team(offer):
        raise_alert(
            kind=OFFER_DECLINED.name,
            recipient=person,
            key=f"offer-declined:{offer.pk}:{person.pk}",
            subject=f"{candidate.name} declined offer v{offer.version} ({_where(offer)})",
            about=offer,
            context={"message": f"Reason: {said}. {details} {outcome}".replace("  ", " ")},
            link=offer.get_absolute_url(),
        )
