"""The Alert admin: kinds by their labels, and retrying failed alerts with honest feedback."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from recruiting.alerts import registry
from recruiting.alerts.models import Alert
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

registry.register_kind(registry.AlertKind("test_notice", "A test notice"))


def failed(user, key: str) -> Alert:
    return Alert.objects.create(
        kind="test_notice",
        recipient=user,
        key=key,
        subject=f"Notice {key}",
        status=Alert.Status.FAILED,
        attempts=6,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )


def retry(client, alerts):
    response = client.post(
        reverse("admin:alerts_alert_changelist"),
        {"action": "retry_action", "_selected_action": [a.pk for a in alerts]},
        follow=True,
    )
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_list_names_kinds_by_their_labels(client, superuser):
    failed(UserFactory(), "k1")
    client.force_login(superuser)

    page = client.get(reverse("admin:alerts_alert_changelist")).content.decode()

    assert "A test notice" in page
    assert "?kind=test_notice" in page  # the kind filter, labelled


def test_retrying_puts_failed_alerts_back_in_line_and_says_how_many(client, superuser):
    rita = UserFactory(email="rita@closer.example")
    one, two = failed(rita, "r1"), failed(rita, "r2")
    sent = Alert.objects.create(kind="test_notice", recipient=rita, key="s", status="sent")
    client.force_login(superuser)

    shown = retry(client, [one, two, sent])

    assert shown == [
        "2 failed alert(s) will be sent again within a minute (1 of those selected had not failed)."
    ]
    one.refresh_from_db()
    assert (one.status, one.attempts) == ("pending", 0)


def test_retrying_warns_when_nothing_failed_or_the_recipient_has_no_email(client, superuser):
    nobody = UserFactory(email="")
    sent = Alert.objects.create(kind="test_notice", recipient=nobody, key="s", status="sent")
    client.force_login(superuser)

    assert retry(client, [sent]) == ["None of the selected alerts had failed: nothing to retry."]
    assert retry(client, [failed(nobody, "n1")])[1].startswith(
        "1 of them go(es) to someone with no email address and will fail again"
    )
