"""Sending many emails over one SMTP connection, as alert delivery and outreach do."""

from __future__ import annotations

from contextlib import suppress

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend


def shared_smtp_connection() -> SmtpBackend | None:
    """A connection to keep open across a batch of emails, or None to let each email open its
    own. Only an SMTP connection is worth keeping open; the embedded file sink writes one file
    per connection, and a person reading var/mail/ wants one file per email."""
    connection = get_connection()
    return connection if isinstance(connection, SmtpBackend) else None


def close_quietly(connection: BaseEmailBackend) -> None:
    """Closes a connection the server may have dropped (its QUIT can fail); the outcome of each
    email is already recorded on its row."""
    with suppress(Exception):
        connection.close()
