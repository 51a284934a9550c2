"""A logging filter that keeps candidates' private offer links out of the logs.

An offer link's address is the offer's key (offers/links.py): a request log line that held it
in full would let whoever reads the logs open, sign or decline the offer. Every record that
reaches a handler has the signature cut to its first six characters, enough to tell two links
apart when reading a log.
"""

from __future__ import annotations

import logging
import re

# /offer/<link id>:<signature> (django.core.signing's URL-safe base64).
_TOKEN_IN_PATH = re.compile(r"(/offer/\d+:)([A-Za-z0-9_-]{6})[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    """`text` with every offer link's signature cut to 6 characters."""
    return _TOKEN_IN_PATH.sub(r"\1\2…", text)


class RedactOfferLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/offer/" in message:
            record.msg = redact(message)
            record.args = ()
        return True


class OneLineForRefusals(logging.Filter):
    """A refused request (any 4xx: not found, forbidden, a bad request) is one line: who asked
    for what and the answer. Django logs some of them with the exception's traceback, which says
    nothing about a request that was answered as designed and buries the errors that matter."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
