"""Writing the pay access log, and its retention purge."""

from __future__ import annotations

import logging
from datetime import timedelta

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Subquery
from django.http import HttpRequest
from django.utils import timezone

from recruiting.lib.access import can_see_compensation

from .models import PayAccess

log = logging.getLogger(__name__)

# The transaction-local setting the database's trigger reads before letting a DELETE through.
PURGE_SETTING = "closer.pay_access_purge"


def client_ip(request: HttpRequest) -> str | None:
    """The address sign-in throttling counts too (allauth's: X-Forwarded-For read only as far
    as ALLAUTH_TRUSTED_PROXY_COUNT says, else REMOTE_ADDR)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no address at all (a test client without REMOTE_ADDR)
        return None


def record_pay_access(
    request: HttpRequest,
    *,
    kind: PayAccess.Kind,
    obj: models.Model | None = None,
    label: str = "",
) -> bool:
    """Log that `request.user` was shown amounts on this page: one INSERT, nothing when the
    user may not see pay (the page showed them none). Says whether a row was written.

    `label` says what was opened in a few words, ids and titles, never a person's name (the
    log outlives an erased candidate); by default the object's kind and id ("Candidate 12")."""
    user = request.user
    if not user.is_authenticated or not can_see_compensation(user):
        return False
    if not label:
        label = f"{obj._meta.verbose_name} {obj.pk}".capitalize() if obj else kind.label
    access = PayAccess(
        user_id=user.pk,
        kind=kind,
        label=label[:200],
        path=request.path[:500],
        ip_address=client_ip(request),
    )
    if obj is not None:
        meta = obj._meta
        # The content type is read inside the INSERT: one query, whether or not Django's
        # content type cache is warm (a query count does not depend on which page came first).
        access.content_type_id = Subquery(
            ContentType.objects.filter(app_label=meta.app_label, model=meta.model_name).values(
                "pk"
            )[:1]
        )
        access.object_id = obj.pk
    access.save(force_insert=True)
    return True


def _allow_purge(on: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config(%s, %s, true)", [PURGE_SETTING, "on" if on else "off"]
            )


def purge_pay_access(*, days: int | None = None) -> int:
    """Delete the rows older than PAY_ACCESS_LOG_DAYS; returns how many. The only delete the
    database allows: the trigger lets a DELETE through when this transaction says it purges."""
    keep = settings.PAY_ACCESS_LOG_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=keep)
    with transaction.atomic():
        _allow_purge(True)
        deleted, _ = PayAccess.objects.filter(at__lt=cutoff).delete()
        # Transaction-local ends at commit or rollback; called inside a caller's
        # transaction, this is a savepoint, whose release keeps the setting: off at once.
        _allow_purge(False)
    log.info("pay access log: %d rows older than %d days purged", deleted, keep)
    return deleted
