"""Messages as they arrive in a recruiter's mailbox: a candidate's reply in the thread, an
out-of-office, delivery status notifications (RFC 3464, and Exim's own kind). Also used by
tests/integration/test_outreach_mailbox.py, which delivers them to a real IMAP server."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

REPLY_TEXT = "Thanks Rita, happy to talk on Tuesday afternoon.\n\nBest,\nAda"
QUOTED = (
    "\n\nOn Wed, 2 Dec 2026 at 10:00, Rita Recruiter <recruiter@closer.test> wrote:\n"
    "> Hi Ada,\n>\n> We pay at the top of the market.\n"
)


def reply(
    *,
    in_reply_to: str = "",
    sender: str = "Ada Lovelace <ada@example.org>",
    to: str = "recruiter@closer.test",
    subject: str = "Re: Ada, Research Scientist in London?",
    body: str = REPLY_TEXT + QUOTED,
    headers: dict[str, str] | None = None,
    html: str = "",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    if html:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
    return message.as_bytes()


def out_of_office(*, in_reply_to: str) -> bytes:
    return reply(
        in_reply_to=in_reply_to,
        subject="Automatic reply: Ada, Research Scientist in London?",
        body="I am out of the office until 14 December with limited access to email.",
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )


def dsn(
    *,
    recipient: str = "ada@example.org",
    original_id: str = "",
    action: str = "failed",
    status: str = "5.1.1",
) -> bytes:
    """An RFC 3464 delivery status notification, as Postfix writes them."""
    boundary = "dsn-boundary-1"
    notice_id = make_msgid(domain="mx.example.net")
    return (
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        "To: recruiter@closer.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {notice_id}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "From: Rita Recruiter <recruiter@closer.test>\r\n"
        f"To: {recipient}\r\n"
        f"Message-ID: {original_id}\r\n"
        "Subject: Ada, Research Scientist in London?\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def exim_bounce(*, recipient: str = "ada@example.org") -> bytes:
    """Exim's own bounce: plain text, the address in X-Failed-Recipients."""
    return (
        "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\r\n"
        "To: recruiter@closer.test\r\n"
        "Subject: Mail delivery failed: returning message to sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.net')}\r\n"
        f"X-Failed-Recipients: {recipient}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "\r\n"
        "This message was created automatically by mail delivery software.\r\n\r\n"
        "A message that you sent could not be delivered to one or more of its\r\n"
        "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
        f"  {recipient}\r\n"
        "    SMTP error from remote mail server after RCPT TO:\r\n"
        "    550 5.1.1 User unknown\r\n"
    ).encode()
