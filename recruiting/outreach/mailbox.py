"""The mailboxes outreach is answered to, read over IMAP (IMAPClient).

Each is a URL in OUTREACH_MAILBOXES, from the environment; its password is read from there
each time and never written to the database (MailboxState keeps its name: user@host:port/folder).
The mailbox is read as its user keeps it: EXAMINE (read-only) and BODY.PEEK, so that nothing is
marked read, unless OUTREACH_MAILBOX_MARK_SEEN asks for the messages Closer acted on to be; and
nothing is ever deleted or moved.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

SCHEMES = {"imaps": (993, "tls"), "imap+starttls": (143, "starttls"), "imap": (143, "plain")}
TIMEOUT = 30  # seconds for connecting and for each command

# What "cannot be reached" means: the network, TLS, the login, the folder, the server's answers.
UNREACHABLE = (OSError, socket.timeout, ssl.SSLError, imaplib.IMAP4.error, IMAPClientError)


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    security: str  # "tls", "starttls" or "plain"
    user: str
    password: str
    folder: str
    owner_email: str

    @property
    def name(self) -> str:
        """What the database keeps: no password."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"[:300]

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"Mailbox({self.name!r})"


def parse(url: str) -> Mailbox:
    """One OUTREACH_MAILBOXES URL; a bad one is refused with the rule it breaks."""
    parts = urlsplit(url.strip())
    where = "OUTREACH_MAILBOXES"
    if parts.scheme not in SCHEMES:
        raise ImproperlyConfigured(
            f"{where}: a mailbox URL begins with imaps://, imap+starttls:// or imap:// "
            f"(got {parts.scheme or 'none'}://)."
        )
    if not parts.hostname or not parts.username or parts.password is None:
        raise ImproperlyConfigured(
            f"{where}: a mailbox URL names its user, password and host "
            f"({parts.scheme}://user:password@host:port/folder)."
        )
    try:
        port = parts.port or SCHEMES[parts.scheme][0]
    except ValueError:
        raise ImproperlyConfigured(f"{where}: a mailbox URL's port is a number.") from None
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    user = unquote(parts.username)
    owner = parse_qs(parts.query).get("owner", [""])[0] or (user if "@" in user else "")
    return Mailbox(
        host=parts.hostname,
        port=port,
        security=SCHEMES[parts.scheme][1],
        user=user,
        password=unquote(parts.password),
        folder=folder,
        owner_email=owner,
    )


def configured() -> list[Mailbox]:
    return [parse(url) for url in settings.OUTREACH_MAILBOXES if url.strip()]


def by_name(name: str) -> Mailbox | None:
    """The configured mailbox of this name (a task's argument: names cross the broker, never
    passwords), or None once the setting no longer lists it."""
    return next((mailbox for mailbox in configured() if mailbox.name == name), None)


@dataclass(frozen=True)
class Folder:
    client: IMAPClient
    uidvalidity: int
    uidnext: int
    writable: bool

    def new_uids(self, after: int, since: date | None) -> list[int]:
        """UIDs above `after` (or, read for the first time, of the messages since `since`), in
        order. `n:*` always names the last message, even below n: it is filtered out."""
        if since is not None:
            uids = self.client.search(["SINCE", since])
        else:
            uids = self.client.search(["UID", f"{after + 1}:*"])
        return sorted(uid for uid in uids if uid > after)

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        """The messages' bytes, read with BODY.PEEK: their \\Seen flag is left as it was."""
        answers = self.client.fetch(uids, ["BODY.PEEK[]"])
        return {uid: data[b"BODY[]"] for uid, data in answers.items() if b"BODY[]" in data}

    def mark_seen(self, uid: int) -> None:
        if self.writable:
            self.client.add_flags([uid], [b"\\Seen"])


@contextmanager
def opened(mailbox: Mailbox, *, writable: bool) -> Iterator[Folder]:
    """Logs in and selects the folder: read-only (EXAMINE) unless `writable`. Raises one of
    UNREACHABLE when it cannot."""
    client = IMAPClient(
        mailbox.host,
        port=mailbox.port,
        ssl=mailbox.security == "tls",
        ssl_context=ssl.create_default_context() if mailbox.security == "tls" else None,
        timeout=TIMEOUT,
    )
    try:
        if mailbox.security == "starttls":
            client.starttls(ssl.create_default_context())
        client.login(mailbox.user, mailbox.password)
        selected = client.select_folder(mailbox.folder, readonly=not writable)
        yield Folder(
            client, int(selected[b"UIDVALIDITY"]), int(selected.get(b"UIDNEXT", 1)), writable
        )
    finally:
        try:
            client.logout()
        except UNREACHABLE:
            with suppress(*UNREACHABLE):
                client.shutdown()
