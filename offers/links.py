"""The candidate's private link to a sent offer, and the letter frozen for them.

A link's address is its id signed with SECRET_KEY (HMAC-SHA256, `django.core.signing`): it
cannot be guessed or altered, and no secret is stored to leak. It opens the offer while the
link is live (one per offer; resending keeps it, revoking ends it) and the offer is sent and
not expired; what it shows once the offer is answered, rescinded, superseded or expired is a
page saying so (`refusal`). The email that carries it goes through the alert outbox, which
keeps the link's id, never its address: the address is made when the email is sent.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from recruiting.alerts import registry
from recruiting.alerts.services import raise_alert
from recruiting.lib.types import User

from .letters import render_offer_letter
from .models import Offer, OfferLetter, OfferLink

SALT = "closer.offer-link"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, algorithm="sha256")


def token_for(link: OfferLink) -> str:
    return _signer().sign(str(link.pk))


def url_for(link: OfferLink) -> str:
    path = reverse("offers:for_candidate", args=[token_for(link)])
    return settings.SITE_URL.rstrip("/") + path


def link_from_token(token: str) -> OfferLink | None:
    """The link a token names, or None when the token was altered or names no link."""
    try:
        pk = _signer().unsign(token)
    except signing.BadSignature:
        return None
    if not pk.isdigit():
        return None
    return OfferLink.objects.select_related("offer").filter(pk=int(pk)).first()


# --- What a link opens -------------------------------------------------------------------------


class Refusal(StrEnum):
    """Why a link does not open its offer; each has its page."""

    TAMPERED = "tampered"
    REVOKED = "revoked"
    EXPIRED = "expired"
    RESCINDED = "rescinded"
    SUPERSEDED = "superseded"
    ACCEPTED = "accepted"
    DECLINED = "declined"


_REFUSED_BY_STATUS = {
    Offer.Status.EXPIRED: Refusal.EXPIRED,
    Offer.Status.RESCINDED: Refusal.RESCINDED,
    Offer.Status.SUPERSEDED: Refusal.SUPERSEDED,
    Offer.Status.ACCEPTED: Refusal.ACCEPTED,
    Offer.Status.DECLINED: Refusal.DECLINED,
}


def refusal(link: OfferLink | None) -> Refusal | None:
    """Why `link` does not open its offer now, or None when it does."""
    if link is None:
        return Refusal.TAMPERED
    offer = link.offer
    if offer.status in _REFUSED_BY_STATUS:
        return _REFUSED_BY_STATUS[Offer.Status(offer.status)]
    if offer.status != Offer.Status.SENT:
        return Refusal.TAMPERED  # never sent: no link should exist
    if offer.is_expired:
        return Refusal.EXPIRED
    if link.revoked_at is not None:
        return Refusal.REVOKED
    return None


# --- The letter the candidate reads ------------------------------------------------------------


def current_letter(offer: Offer) -> OfferLetter:
    """The letter as the candidate reads it now, kept byte for byte: made the first time it
    is asked for (a letter takes WeasyPrint most of a second: sending does not wait for it),
    and again once the deadline it states moves."""
    letter = OfferLetter.objects.filter(offer=offer, expires_at=offer.expires_at).first()
    if letter is not None:
        return letter
    pdf = render_offer_letter(offer)
    try:
        with transaction.atomic():
            return OfferLetter.objects.create(
                offer=offer,
                expires_at=offer.expires_at,
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
            )
    except IntegrityError:  # made meanwhile by another request: theirs is the one
        return OfferLetter.objects.get(offer=offer, expires_at=offer.expires_at)


# --- Emailing the link -------------------------------------------------------------------------

OFFER_TO_CANDIDATE = registry.AlertKind(
    "offer_to_candidate",
    "Offer emailed to the candidate",
    required=True,
    external=True,
    render_context=lambda alert: {"offer_url": url_for(alert.about)},
)
OFFER_EXTENDED_TO_CANDIDATE = registry.AlertKind(
    "offer_extended_to_candidate",
    "Offer deadline extended, told to the candidate",
    required=True,
    external=True,
    render_context=lambda alert: {"offer_url": url_for(alert.about)},
)


def deadline_text(offer: Offer) -> str:
    """The deadline in the candidate's own timezone when we know it."""
    zone_name = offer.application.candidate.timezone or "UTC"
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = offer.expires_at.astimezone(zone)
    return f"{local:%A %-d %B %Y, %H:%M} ({zone_name.replace('_', ' ')})"


def candidate_address(offer: Offer) -> str:
    emails = offer.application.candidate.emails.order_by("-is_primary", "id")
    first = emails.first()
    return first.email if first else ""


def _email_link(link: OfferLink, *, by: User, kind: str, key: str) -> None:
    offer = link.offer
    candidate, role = offer.application.candidate, offer.application.role
    raise_alert(
        kind=kind,
        to_email=candidate_address(offer),
        sender=by,
        key=key,
        subject=f"Your offer: {role.title}, {role.city}",
        about=link,
        context={
            "candidate_name": candidate.name,
            "role": f"{role.title}, {role.city}",
            "version": offer.version,
            "expires_at": deadline_text(offer),
            "recruiter": by.get_full_name() or by.get_username(),
            "recruiter_email": by.email,
        },
    )


def live_link(offer: Offer) -> OfferLink | None:
    return OfferLink.objects.filter(offer=offer, revoked_at__isnull=True).first()


def issue_link(offer: Offer, *, by: User) -> OfferLink:
    """A live link to `offer`, emailed to the candidate from `by` (in the caller's
    transaction: the email leaves after commit)."""
    link = OfferLink.objects.create(offer=offer, created_by=by)
    _email_link(link, by=by, kind=OFFER_TO_CANDIDATE.name, key=f"offer-link:{link.pk}")
    return link


@transaction.atomic
def resend_link(offer: Offer, *, by: User) -> OfferLink:
    """Emails the live link again, or a new one if it was revoked. Two clicks in the same
    minute send one email."""
    link = live_link(offer) or OfferLink.objects.create(offer=offer, created_by=by)
    minute = timezone.now().strftime("%Y%m%d%H%M")
    _email_link(
        link, by=by, kind=OFFER_TO_CANDIDATE.name, key=f"offer-link:{link.pk}:resent:{minute}"
    )
    return link


@transaction.atomic
def revoke_link(offer: Offer, *, by: User) -> int:
    """The live link stops working at once; "resend" issues a new one."""
    return OfferLink.objects.filter(offer=offer, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )


def tell_deadline_extended(offer: Offer, *, by: User) -> None:
    link = live_link(offer)
    if link is None:
        return
    _email_link(
        link,
        by=by,
        kind=OFFER_EXTENDED_TO_CANDIDATE.name,
        key=f"offer-extended:{offer.pk}:{offer.expires_at.timestamp():.0f}",
    )


def register_alert_kinds() -> None:
    for kind in (OFFER_TO_CANDIDATE, OFFER_EXTENDED_TO_CANDIDATE):
        registry.register_kind(kind)
