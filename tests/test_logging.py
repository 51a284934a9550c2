"""What Closer's log says of a refused request: one line, no traceback, no private link.
Read from the console handler the settings configure, as a server's log would show it."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """What the root's console handler writes, for the test's length."""
    [console] = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        yield stream
    finally:
        console.setStream(previous)


def test_a_forbidden_request_is_one_line_without_a_traceback(client, outsider, server_log):
    client.force_login(outsider)  # staff, without any permission on candidates

    response = client.get(reverse("admin:candidates_candidate_changelist"))

    assert response.status_code == 403
    lines = server_log.getvalue().splitlines()
    assert lines == ["Forbidden (Permission denied): /admin/candidates/candidate/"]


def test_a_server_error_keeps_its_traceback():
    """Only refusals lose theirs: an error still says where it came from."""
    from recruiting.lib.logs import OneLineForRefusals

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "x", (), sys.exc_info()
        )
    record.status_code = 500

    OneLineForRefusals().filter(record)

    assert record.exc_info is not None
