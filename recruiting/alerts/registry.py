"""What domain apps tell the alerts app: the kinds of alert they raise, and their reminder
rules. The alerts app imports no domain app; domain apps call these from AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class AlertKind:
    name: str
    label: str
    urgent: bool = False  # an urgent alert ignores quiet hours
    # A required kind (an invitation, a password reset) cannot be turned off, held or put in
    # the digest: the preferences page does not offer it.
    required: bool = False
    # A kind addressed to someone outside Closer (a candidate: their offer, their signed
    # letter), by address, from a colleague. It has no preferences: it is always required.
    external: bool = False
    # The files an email of this kind carries, made when it is sent from the alert (what it is
    # about, whom it is for): the outbox keeps no files of its own.
    attachments: Callable[[Any], list[Attachment]] | None = None
    # What the email needs that the outbox must not keep in its rows (a candidate's private
    # link, which the admin would show): made from the alert when it is sent.
    render_context: Callable[[Any], dict[str, object]] | None = None

    def __post_init__(self) -> None:
        if self.external and not self.required:
            raise ValueError(f"The external alert kind {self.name} must be required.")


# A reminder rule looks at the database as of `now` and raises the alerts that have come due
# (through services.raise_alert, whose unique keys make a second run raise nothing new).
ReminderRule = Callable[[datetime], Iterable[object]]

_kinds: dict[str, AlertKind] = {}
_rules: dict[str, ReminderRule] = {}


def register_kind(kind: AlertKind) -> AlertKind:
    _kinds[kind.name] = kind
    return kind


def register_rule(name: str, rule: ReminderRule) -> None:
    _rules[name] = rule


def kind(name: str) -> AlertKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"No alert kind “{name}” is registered.") from None


def kinds() -> list[AlertKind]:
    return sorted(_kinds.values(), key=lambda k: k.label)


def optional_kinds() -> list[AlertKind]:
    """The kinds a user chooses how to get (the preferences page)."""
    return [k for k in kinds() if not k.required]


def rules() -> dict[str, ReminderRule]:
    return dict(_rules)
