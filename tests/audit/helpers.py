"""What the pay access log's tests share: reading the one row a page wrote."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from recruiting.audit.models import PayAccess


def the_row(*, user, kind: PayAccess.Kind, obj: Model | None, path: str) -> PayAccess:
    """The log's only row, checked to be `user` opening `obj` (or a page of many) at `path`."""
    rows = list(PayAccess.objects.all())
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row.user, row.kind, row.path) == (user, kind, path)
    if obj is None:
        assert (row.content_type, row.object_id) == (None, None)
    else:
        assert row.content_type == ContentType.objects.get_for_model(obj)
        assert row.object_id == obj.pk
    assert row.ip_address == "127.0.0.1"  # the test client's REMOTE_ADDR
    return row
