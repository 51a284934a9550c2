"""Replies, auto-replies and bounces, read from the mailboxes outreach is answered to.

Each message is read once into a `Reading` (pure: no database), then handled in one
transaction that first inserts its InboundMessage row: the unique (mailbox, UIDVALIDITY, UID)
is the claim, so a message is acted on once whatever the job's retries, two runs at once or a
worker killed mid-run (its committed messages are claimed, the rest are read again). A copy of
a message already handled (the same Message-ID in another mailbox) does nothing.

- A delivery status notification (RFC 3464, or the common non-standard ones that flufl.bounce,
  Mailman's bounce detectors, knows) counts a bounce against the addresses it reports
  (outreach/bounces.py).
- A message that names one of our emails in In-Reply-To or References, or failing that comes
  from the address of a candidate with an active enrollment, is about that enrollment: an
  auto-reply (Auto-Submitted other than "no", X-Autoreply, X-Autorespond, Precedence bulk,
  auto_reply, junk or list, an out-of-office subject) stops nothing and postpones the next step
  if OUTREACH_AUTO_REPLY_POSTPONE_DAYS says so; anything else is a reply, which stops the
  candidate's enrollments as "Mark replied" does, with its text (without the quoted history,
  through mail-parser-reply) as an activity, and alerts the candidate's owner.
"""

from __future__ import annotations

import email
import email.policy
import html
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses
from enum import StrEnum
from time import monotonic
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from flufl.bounce import all_failures
from mailparser_reply import EmailReplyParser

from recruiting.alerts.services import raise_alert

from . import bounces, services
from .mailbox import UNREACHABLE, Mailbox, opened
from .models import Enrollment, InboundMessage, MailboxState, SentMessage
from .reminders import MAILBOX_UNREACHABLE, OUTREACH_REPLY

log = logging.getLogger(__name__)

BATCH = 500  # messages a run reads at most; the rest wait for the next run
FETCH_CHUNK = 25  # messages fetched in one IMAP command
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs"]
MAX_REPLY_TEXT = 10_000

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
AUTO_PRECEDENCE = {"bulk", "auto_reply", "junk", "list"}
AUTO_SUBJECT = re.compile(
    r"out of (the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
    r"abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absence du bureau|"
    r"respuesta autom[áa]tica|fuera de la oficina|risposta automatica|^\s*auto:",
    re.IGNORECASE,
)
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|failure notice|"
    r"delivery (has )?failed|mail delivery failed|could not be delivered|non[- ]?delivery",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    """What Closer takes from a message."""

    message_id: str
    references: tuple[str, ...]  # In-Reply-To first, then References, newest first
    from_address: str
    subject: str
    automatic: bool
    permanent_failures: frozenset[str]
    temporary_failures: frozenset[str]
    text: str  # the reply without its quoted history

    @property
    def is_bounce(self) -> bool:
        return bool(self.permanent_failures or self.temporary_failures)


def read(raw: bytes) -> Reading:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    references = _ids(message.get("In-Reply-To", "")) + tuple(
        reversed(_ids(message.get("References", "")))
    )
    permanent: frozenset[str] = frozenset()
    temporary: frozenset[str] = frozenset()
    if _looks_like_bounce(message):
        # flufl.bounce reads the classic Message (compat32), as Mailman gives it.
        temporary_bytes, permanent_bytes = all_failures(email.message_from_bytes(raw))
        permanent = frozenset(a.decode("ascii").lower() for a in permanent_bytes)
        temporary = frozenset(a.decode("ascii").lower() for a in temporary_bytes) - permanent
        references += _original_ids(message)
    return Reading(
        message_id=_header(message, "Message-ID")[:255],
        references=tuple(dict.fromkeys(references)),
        from_address=_from_address(message),
        subject=_header(message, "Subject"),
        automatic=is_automatic(message),
        permanent_failures=permanent,
        temporary_failures=temporary,
        text="" if permanent or temporary else reply_text(message),
    )


def _header(message: Message, name: str) -> str:
    try:
        return " ".join(str(message.get(name, "")).split())
    except (ValueError, LookupError):  # an undecodable header: treated as absent
        return ""


def _ids(value: object) -> tuple[str, ...]:
    return tuple(MESSAGE_ID.findall(str(value or "")))


def _from_address(message: Message) -> str:
    try:
        addresses = getaddresses([str(message.get("From", ""))])
    except (ValueError, LookupError):
        return ""
    return addresses[0][1].strip().lower() if addresses else ""


def is_automatic(message: Message) -> bool:
    """An auto-reply (RFC 3834's Auto-Submitted, the headers of common responders, or an
    out-of-office subject)."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = _header(message, name).lower()
        if value and value not in ("no", "false", "0"):
            return True
    if _header(message, "Precedence").lower() in AUTO_PRECEDENCE:
        return True
    return bool(AUTO_SUBJECT.search(_header(message, "Subject")))


def _looks_like_bounce(message: EmailMessage) -> bool:
    """Worth asking flufl.bounce (whose heuristic detectors are for bounces, not replies)."""
    if message.get_content_type() == "multipart/report":
        return True
    sender = _from_address(message)
    if sender.partition("@")[0] in BOUNCE_SENDERS:
        return True
    return bool(BOUNCE_SUBJECT.search(_header(message, "Subject")))


def _original_ids(message: EmailMessage) -> tuple[str, ...]:
    """The Message-ID of the email a bounce returns, from its attached copy or headers."""
    found: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            attached = part.get_payload()
            inner = attached[0] if isinstance(attached, list) and attached else attached
            if isinstance(inner, Message):
                found += _ids(inner.get("Message-ID", ""))
        elif content_type == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                headers = HeaderParser().parsestr(payload.decode("utf-8", "replace"))
                found += _ids(headers.get("Message-ID", ""))
    return tuple(found)


def reply_text(message: EmailMessage) -> str:
    """The text the person wrote: the plain part (or the HTML one, as text) without the quoted
    history and signature markers, through mail-parser-reply."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = cast(str, cast(EmailMessage, body).get_content())
    except (LookupError, ValueError, KeyError):  # an unknown charset or a broken part
        return ""
    if body.get_content_type() == "text/html":
        content = html_text(content)
    content = content.replace("\r\n", "\n")
    reply = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(content)
    return (reply if reply and reply.strip() else content).strip()[:MAX_REPLY_TEXT]


HTML_QUOTE = re.compile(r"<blockquote\b.*</blockquote\s*>", re.IGNORECASE | re.DOTALL)
HTML_BREAK = re.compile(r"<br\s*/?>|</(div|p|li|tr|h[1-6])\s*>", re.IGNORECASE)


def html_text(content: str) -> str:
    """An HTML reply as text: what mail clients quote (a blockquote, Gmail's and Outlook's
    alike) left out, blocks and breaks as lines."""
    content = HTML_QUOTE.sub("", content)
    content = HTML_BREAK.sub("\n", content)
    return html.unescape(strip_tags(content))


# --- Acting on a message -----------------------------------------------------------------------


class Outcome(StrEnum):
    REPLY = "reply"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    UNSUBSCRIBE = "unsubscribe"  # the List-Unsubscribe mailto: "unsubscribe <token>"
    OTHER = "other"
    DUPLICATE = "duplicate"  # another copy of a message handled before
    READ_BEFORE = "read_before"  # this very message was handled by an earlier run
    FAILED = "failed"  # could not be handled: recorded, and passed


ACTED = {Outcome.REPLY, Outcome.AUTO_REPLY, Outcome.BOUNCE, Outcome.UNSUBSCRIBE}


def handle(
    mailbox: str, *, uidvalidity: int, uid: int, raw: bytes, now: datetime | None = None
) -> Outcome:
    """Acts on one message once: its row is inserted in the transaction that acts, so a run
    that dies before the commit leaves it to the next, and one after finds it claimed."""
    now = now or timezone.now()
    reading = read(raw)
    with transaction.atomic():
        row = InboundMessage(
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            message_id=reading.message_id,
            kind=InboundMessage.Kind.OTHER,
            handled_at=now,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            return Outcome.READ_BEFORE
        if reading.message_id and (
            InboundMessage.objects.filter(message_id=reading.message_id)
            .exclude(pk=row.pk)
            .exclude(kind=InboundMessage.Kind.DUPLICATE)
            .exists()
        ):
            outcome, enrollment = Outcome.DUPLICATE, None
        else:
            outcome, enrollment = _act(reading, row, now)
        row.kind, row.enrollment = str(outcome), enrollment
        row.save(update_fields=["kind", "enrollment"])
    return outcome


def _act(reading: Reading, row: InboundMessage, now: datetime) -> tuple[Outcome, Enrollment | None]:
    if reading.message_id and SentMessage.objects.filter(message_id=reading.message_id).exists():
        return Outcome.OTHER, None  # one of ours (a copy kept in the mailbox)
    if reading.is_bounce:
        original = _sent_message(reading.references)
        ours = bounces.record_bounces(reading.permanent_failures, hard=True, now=now)
        ours += bounces.record_bounces(reading.temporary_failures, hard=False, now=now)
        if not ours and original is not None and original.to_email:
            # The report names the address as the receiving server rewrote it (a forward):
            # the email it returns says which it was.
            bounces.record_bounces(
                [original.to_email], hard=bool(reading.permanent_failures), now=now
            )
        return Outcome.BOUNCE, original.enrollment if original else None
    unsubscribing = services.enrollment_for_unsubscribe_subject(reading.subject)
    if unsubscribing is not None and not reading.automatic:
        # A mail client's "Unsubscribe" through the mailto of List-Unsubscribe: the signed
        # token in the subject, not the sender, says whose (as the link's does).
        services.opt_out(unsubscribing, now=now)
        return Outcome.UNSUBSCRIBE, unsubscribing
    enrollment = _enrollment_for(reading)
    if enrollment is None:
        return Outcome.OTHER, None
    if reading.automatic:
        days = settings.OUTREACH_AUTO_REPLY_POSTPONE_DAYS
        if days > 0:
            services.postpone_for_auto_reply(enrollment, days=days, now=now)
        return Outcome.AUTO_REPLY, enrollment
    services.record_reply(enrollment, subject=reading.subject, text=reading.text, now=now)
    _alert_reply(enrollment, row, reading, now)
    return Outcome.REPLY, enrollment


def _sent_message(references: tuple[str, ...]) -> SentMessage | None:
    if not references:
        return None
    found = {
        sent.message_id: sent
        for sent in SentMessage.objects.filter(message_id__in=references).select_related(
            "enrollment"
        )
    }
    return next((found[ref] for ref in references if ref in found), None)


def _enrollment_for(reading: Reading) -> Enrollment | None:
    sent = _sent_message(reading.references)
    if sent is not None:
        return sent.enrollment
    if not reading.from_address:
        return None
    return (
        Enrollment.objects.filter(
            candidate__emails__email__iexact=reading.from_address,
            status=Enrollment.Status.ACTIVE,
        )
        .order_by("-enrolled_at", "-id")
        .first()
    )


def _alert_reply(
    enrollment: Enrollment, row: InboundMessage, reading: Reading, now: datetime
) -> None:
    enrollment = Enrollment.objects.select_related(
        "candidate__owner", "enrolled_by", "sequence", "application"
    ).get(pk=enrollment.pk)
    owner = services.sender_of(enrollment)
    if owner is None or not owner.is_active:
        return
    candidate = enrollment.candidate
    about = enrollment.application or candidate
    raise_alert(
        kind=OUTREACH_REPLY.name,
        recipient=owner,
        key=f"outreach-reply:{row.pk}",
        subject=f"{candidate.name} replied to {enrollment.sequence}",
        about=about,
        context={
            "message": f"{reading.subject}\n\n{reading.text[:1000]}\n\n"
            "Their sequences stopped; the reply is on their page."
        },
        link=about.get_absolute_url(),
        now=now,
    )


# --- Reading a mailbox -------------------------------------------------------------------------


def read_mailbox(
    mailbox: Mailbox, *, now: datetime | None = None, budget: timedelta | None = None
) -> dict[str, int]:
    """Reads the messages that arrived since the last run (the last OUTREACH_MAILBOX_LOOKBACK_
    DAYS the first time, or after the server renumbered the folder) and handles each. A mailbox
    that cannot be reached alerts its owner once, until a run reads it again. Returns how many
    messages had each outcome."""
    now = now or timezone.now()
    state, _ = MailboxState.objects.get_or_create(name=mailbox.name)
    outcomes: Counter[str] = Counter()
    started = monotonic()
    mark_seen = settings.OUTREACH_MAILBOX_MARK_SEEN
    try:
        with opened(mailbox, writable=mark_seen) as folder:
            renumbered = state.uidvalidity != folder.uidvalidity
            since = (now - timedelta(days=settings.OUTREACH_MAILBOX_LOOKBACK_DAYS)).date()
            after = 0 if renumbered else state.last_uid
            uids = folder.new_uids(after, since if renumbered else None)
            complete = len(uids) <= BATCH
            uids = uids[:BATCH]
            for start in range(0, len(uids), FETCH_CHUNK):
                chunk = uids[start : start + FETCH_CHUNK]
                for uid, raw in sorted(folder.fetch(chunk).items()):
                    outcome = _handle_or_record(mailbox.name, folder.uidvalidity, uid, raw, now)
                    outcomes[outcome] += 1
                    if outcome in ACTED and mark_seen:
                        folder.mark_seen(uid)
                _advance(state, folder.uidvalidity, chunk[-1])
                if budget is not None and monotonic() - started >= budget.total_seconds():
                    complete = False
                    break
            if complete:
                _advance(state, folder.uidvalidity, max(folder.uidnext - 1, 0))
    except UNREACHABLE as error:
        _unreachable(mailbox, state, error, now)
        return {"unreachable": 1}
    MailboxState.objects.filter(pk=state.pk).update(
        failing_since=None, last_error="", last_read_at=now
    )
    return dict(outcomes)


def _handle_or_record(
    mailbox: str, uidvalidity: int, uid: int, raw: bytes, now: datetime
) -> Outcome:
    """A message that cannot be handled (a bug, a message no parser expected) is recorded as
    such and passed: it must not stop every run after it at the same place. A database error
    (a deadlock with the send job, an outage) is not the message's fault: it ends the run, and
    the next one reads the message again."""
    try:
        return handle(mailbox, uidvalidity=uidvalidity, uid=uid, raw=raw, now=now)
    except DatabaseError:
        raise
    except Exception:
        log.exception("outreach: message %s of %s could not be handled", uid, mailbox)
    try:
        with transaction.atomic():
            InboundMessage.objects.create(
                mailbox=mailbox,
                uidvalidity=uidvalidity,
                uid=uid,
                kind=InboundMessage.Kind.FAILED,
                handled_at=now,
            )
    except IntegrityError:
        return Outcome.READ_BEFORE
    return Outcome.FAILED


def _advance(state: MailboxState, uidvalidity: int, uid: int) -> None:
    """Moves the mark on, never back (a slower run of the same mailbox may end after)."""
    MailboxState.objects.filter(pk=state.pk).exclude(uidvalidity=uidvalidity).update(
        uidvalidity=uidvalidity, last_uid=uid
    )
    MailboxState.objects.filter(pk=state.pk, uidvalidity=uidvalidity, last_uid__lt=uid).update(
        last_uid=uid
    )


@transaction.atomic
def _unreachable(mailbox: Mailbox, state: MailboxState, error: Exception, now: datetime) -> None:
    text = f"{type(error).__name__}: {error}"[:500]
    log.warning("outreach: the mailbox %s cannot be read: %s", mailbox.name, text)
    # Compare-and-set: of the runs that fail in an outage, the first alone starts it.
    started = MailboxState.objects.filter(pk=state.pk, failing_since__isnull=True).update(
        failing_since=now, last_error=text
    )
    if not started:
        MailboxState.objects.filter(pk=state.pk).update(last_error=text)
        return
    owner = (
        get_user_model()
        .objects.filter(email__iexact=mailbox.owner_email, is_active=True)
        .order_by("id")
        .first()
        if mailbox.owner_email
        else None
    )
    if owner is None:
        log.warning("outreach: the mailbox %s has no owner in Closer to tell", mailbox.name)
        return
    raise_alert(
        kind=MAILBOX_UNREACHABLE.name,
        recipient=owner,
        key=f"outreach-mailbox-unreachable:{state.pk}:{now.isoformat()}",
        subject=f"Closer cannot read the mailbox {mailbox.user} on {mailbox.host}",
        context={
            "message": f"{text}\n\nReplies and bounces that arrive there are not read until "
            "it can be (and sequences go on meanwhile). Check its password or app password "
            "and the server; you will not be told again until it has been read once."
        },
        now=now,
    )
