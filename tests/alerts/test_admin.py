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


# --- Pay stays with those allowed --------------------------------------------------------------


@pytest.fixture
def staff_without_pay(db):
    """A staff colleague allowed to view alerts in the admin, not to see pay."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="operator", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_alert"))
    return user


def ahead(user, key: str) -> Alert:
    return Alert.objects.create(
        kind="test_notice",
        recipient=user,
        key=key,
        subject="Helix beats our offer to Ada Lovelace by 1,960,000 USD",
        context={"message": "Signing bonus 14,167,650.54 USD; they pay 55.4% more."},
    )


def test_a_colleague_sees_only_their_own_alerts_in_the_admin(client, staff_without_pay):
    rita = UserFactory(username="rita")
    ritas = ahead(rita, "rita-1")
    own = ahead(staff_without_pay, "own-1")
    client.force_login(staff_without_pay)

    listed = client.get(reverse("admin:alerts_alert_changelist"))
    other = client.get(reverse("admin:alerts_alert_change", args=[ritas.pk]))

    assert [a.pk for a in listed.context["cl"].result_list] == [own.pk]
    assert other.status_code == 302  # "does not exist": back to the list


def test_amounts_are_hidden_from_whoever_may_not_see_pay(client, staff_without_pay):
    own = ahead(staff_without_pay, "own-1")
    client.force_login(staff_without_pay)

    listed = client.get(reverse("admin:alerts_alert_changelist")).content.decode()
    shown = client.get(reverse("admin:alerts_alert_change", args=[own.pk])).content.decode()

    for page in (listed, shown):
        assert "1,960,000" not in page
        assert "Helix beats our offer to Ada Lovelace by [amount hidden]" in page
    assert "14,167,650.54" not in shown and "55.4%" not in shown
    assert "Signing bonus [amount hidden]" in shown


def test_an_administrator_sees_every_alert_as_written(client, superuser):
    ahead(UserFactory(), "any-1")
    client.force_login(superuser)

    page = client.get(reverse("admin:alerts_alert_changelist")).content.decode()

    assert "Helix beats our offer to Ada Lovelace by 1,960,000 USD" in page
