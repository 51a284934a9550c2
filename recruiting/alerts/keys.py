"""Alert keys written by the database, so a reminder rule can leave out, in its own query, the
events it has already raised.

A rule's rows (stale applications, expiring offers...) keep matching long after their alert
was raised; read back and re-raised every minute, a backlog of thousands would cost the scan
thousands of rows and failed inserts. Instead a rule annotates each row with its alert key,
computed in SQL, and keeps only the rows whose key is not in the outbox yet (an anti-join on
the key's unique index). The key raise_alert stores is that same annotation, so the filter
and the key can never disagree; raise_alert's unique key remains the guarantee against a race.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import (
    CharField,
    Exists,
    Expression,
    F,
    Func,
    OuterRef,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast

from .models import Alert

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler


def stamp(moment: datetime) -> str:
    """A moment as alert keys write it: UTC, to the microsecond, always the same length."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Stamp(Func):
    """stamp() in SQL, for a datetime column or expression."""

    arity = 1
    output_field = CharField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')',
            **extra,
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        # Django keeps SQLite datetimes as UTC text, "YYYY-MM-DD HH:MM:SS" with ".ffffff" only
        # when there are microseconds.
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(replace(substr({sql}, 1, 19), ' ', 'T') || '.' || "
            f"substr({sql} || '.000000', 21, 6) || 'Z')",
            (*params, *params),
        )


class AlertKey(Func):
    """Text parts joined with ||: no COALESCE around each part (as Concat has), since every
    part of a key is a column that is never null; the scan computes one per row it reads."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = CharField()


def alert_key(*parts: str | Expression | F) -> AlertKey:
    """The key as SQL: text parts as they are, columns and expressions as text (a datetime
    goes in through Stamp)."""
    return AlertKey(
        *(
            Value(part)
            if isinstance(part, str)
            else part
            if isinstance(part, Stamp)
            else Cast(part, output_field=TextField())
            for part in parts
        )
    )


def unraised(queryset: QuerySet[Any], *parts: str | Expression | F) -> QuerySet[Any]:
    """The rows of `queryset` whose alert was not raised yet, each row carrying its key as
    `alert_key` (to pass to raise_alert; each rule types its rows with that annotation).
    `parts` make the key, as for alert_key(); the first is a text that starts every key of the
    rule (say "application-stale:"), so the outbox is read only in that range of its key
    index, not whole."""
    prefix = parts[0]
    if not isinstance(prefix, str) or not prefix:
        raise TypeError("A key starts with its rule's text, e.g. 'application-stale:'.")
    return queryset.annotate(alert_key=alert_key(*parts)).filter(
        ~Exists(Alert.objects.filter(key__startswith=prefix, key=OuterRef("alert_key")))
    )
