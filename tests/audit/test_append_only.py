"""The pay access log is append-only in the database: an UPDATE or a DELETE is refused,
whatever sends it; only the retention purge deletes, and only rows older than
PAY_ACCESS_LOG_DAYS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone

from recruiting.audit.models import PayAccess
from recruiting.audit.services import purge_pay_access

pytestmark = pytest.mark.django_db


def row(user, *, days_ago: float, label: str = "Offer 1 v1") -> PayAccess:
    return PayAccess.objects.create(
        at=timezone.now() - timedelta(days=days_ago),
        user=user,
        kind=PayAccess.Kind.OFFER_PAGE,
        label=label,
        path="/offers/1/",
        ip_address="203.0.113.7",
    )


def refused(sql: str, params: list[str | int] | None = None) -> str:
    with pytest.raises(ProgrammingError) as error, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(error.value)


def test_the_database_refuses_to_change_a_row(recruiter):
    kept = row(recruiter, days_ago=1)

    message = refused("UPDATE audit_payaccess SET label = %s WHERE id = %s", ["x", kept.pk])
    assert "the pay access log is append-only: UPDATE refused" in message
    with pytest.raises(ProgrammingError, match="UPDATE refused"), transaction.atomic():
        PayAccess.objects.filter(pk=kept.pk).update(label="Offer 2")

    kept.refresh_from_db()
    assert kept.label == "Offer 1 v1"


def test_the_database_refuses_to_delete_a_row_even_an_old_one(recruiter):
    old = row(recruiter, days_ago=10_000)

    message = refused("DELETE FROM audit_payaccess WHERE id = %s", [old.pk])
    assert "the pay access log is append-only: DELETE refused" in message
    with pytest.raises(ProgrammingError, match="DELETE refused"), transaction.atomic():
        old.delete()

    assert PayAccess.objects.filter(pk=old.pk).exists()


def test_the_purge_removes_only_rows_older_than_the_setting(settings, recruiter):
    settings.PAY_ACCESS_LOG_DAYS = 30
    gone = [row(recruiter, days_ago=31), row(recruiter, days_ago=400)]
    kept = [row(recruiter, days_ago=29), row(recruiter, days_ago=0)]

    assert purge_pay_access() == 2

    remaining = set(PayAccess.objects.values_list("pk", flat=True))
    assert remaining == {r.pk for r in kept}
    assert not remaining & {r.pk for r in gone}


def test_the_purges_permission_ends_with_its_transaction(settings, recruiter):
    settings.PAY_ACCESS_LOG_DAYS = 30
    row(recruiter, days_ago=31)
    recent = row(recruiter, days_ago=1)
    purge_pay_access()

    # The setting the purge turned on was local to its transaction (a savepoint here).
    message = refused("DELETE FROM audit_payaccess WHERE id = %s", [recent.pk])
    assert "DELETE refused" in message
    assert PayAccess.objects.filter(pk=recent.pk).exists()
