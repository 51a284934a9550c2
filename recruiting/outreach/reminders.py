"""Outreach's alert kinds, registered with the alerts app in OutreachConfig.ready()."""

from __future__ import annotations

from recruiting.alerts import registry

# A candidate answered: the owner wants to know today, but it wakes no one (quiet hours hold).
OUTREACH_REPLY = registry.AlertKind("outreach_reply", "Outreach reply")
# A mailbox Closer reads for replies cannot be reached: once an outage, to its owner.
MAILBOX_UNREACHABLE = registry.AlertKind("outreach_mailbox_unreachable", "Mailbox unreachable")


def register() -> None:
    for kind in (OUTREACH_REPLY, MAILBOX_UNREACHABLE):
        registry.register_kind(kind)
