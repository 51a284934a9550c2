"""Alert keys written by the database: the SQL key is exactly the one Python would write, so
a rule's filter on raised keys and raise_alert's unique key never disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from recruiting.alerts.keys import Stamp, alert_key, stamp, unraised
from recruiting.alerts.models import Alert
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MOMENTS = [
    datetime(2026, 11, 30, 9, 0, tzinfo=UTC),  # no microseconds: SQLite stores none
    datetime(2026, 11, 30, 9, 0, 0, 7, tzinfo=UTC),
    datetime(2026, 7, 1, 11, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Paris")),
]


def test_a_moment_is_written_in_utc_to_the_microsecond():
    assert stamp(MOMENTS[0]) == "2026-11-30T09:00:00.000000Z"
    assert stamp(MOMENTS[2]) == "2026-07-01T09:30:15.123456Z"


def test_sql_writes_the_key_python_writes():
    user = UserFactory()
    alerts = [
        Alert.objects.create(kind="k", recipient=user, key=f"a{n}", subject="s", created_at=moment)
        for n, moment in enumerate(MOMENTS)
    ]

    rows = Alert.objects.annotate(
        computed=alert_key("event:", F("pk"), ":", F("recipient"), ":", Stamp("created_at"))
    ).order_by("pk")

    assert [row.computed for row in rows] == [
        f"event:{alert.pk}:{user.pk}:{stamp(alert.created_at)}" for alert in alerts
    ]


def test_unraised_leaves_out_the_rows_whose_key_is_in_the_outbox():
    user = UserFactory()
    first, second = (
        Alert.objects.create(kind="k", recipient=user, key=f"row-{n}", subject="s") for n in (1, 2)
    )
    Alert.objects.create(kind="k", recipient=user, key=f"seen:{first.pk}", subject="s")

    rows = unraised(Alert.objects.filter(key__startswith="row-"), "seen:", F("pk"))

    assert [(row.pk, row.alert_key) for row in rows] == [(second.pk, f"seen:{second.pk}")]
