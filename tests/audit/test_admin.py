"""The pay access log in the admin: a superuser lists it by date, filters it by kind and
user, searches it by a colleague's name or email or by what they opened, and changes nothing;
anyone else, staff with every permission on it included, is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from recruiting.audit.models import PayAccess
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:audit_payaccess_changelist")


@pytest.fixture
def rows(recruiter, approver):
    """Rita opened offer 12 yesterday; Ava the approvals page today."""
    yesterday = PayAccess.objects.create(
        at=timezone.now() - timedelta(days=1),
        user=recruiter,
        kind=PayAccess.Kind.OFFER_PAGE,
        label="Offer 12 v2, Research Scientist",
        path="/offers/12/",
        ip_address="203.0.113.7",
    )
    today = PayAccess.objects.create(
        user=approver,
        kind=PayAccess.Kind.APPROVALS,
        label="Offers waiting: 12, 13",
        path="/approvals/",
    )
    return yesterday, today


def listed(client, **query: str) -> list[PayAccess]:
    response = client.get(LIST, query)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_a_superuser_searches_by_name_email_and_what_was_opened(client, superuser, rows):
    rita, ava = rows
    client.force_login(superuser)

    assert listed(client) == [ava, rita]  # newest first
    assert listed(client, q="Recruiter") == [rita]  # Rita Recruiter's last name
    assert listed(client, q="approver@closer.test") == [ava]
    assert listed(client, q="Offer 12 v2") == [rita]
    assert listed(client, q="nobody") == []


def test_a_superuser_filters_by_kind_and_user_and_walks_the_dates(client, superuser, rows):
    rita, ava = rows
    client.force_login(superuser)

    assert listed(client, kind__exact="approvals") == [ava]
    assert listed(client, user__id__exact=str(rita.user_id)) == [rita]
    assert f"?at__year={ava.at.year}" in client.get(LIST).content.decode()  # the dates above
    yesterday = timezone.localtime(rita.at)
    assert listed(
        client,
        at__year=str(yesterday.year),
        at__month=str(yesterday.month),
        at__day=str(yesterday.day),
    ) == [rita]


def test_the_log_is_read_only_in_the_admin(client, superuser, rows):
    rita, _ = rows
    client.force_login(superuser)
    page = client.get(LIST).content.decode()
    row_page = client.get(reverse("admin:audit_payaccess_change", args=[rita.pk]))

    assert reverse("admin:audit_payaccess_add") not in page
    assert 'name="action"' not in page  # no bulk delete
    assert row_page.status_code == 200
    content = row_page.content.decode()
    assert "Offer 12 v2, Research Scientist" in content
    assert 'name="_save"' not in content and "deletelink" not in content
    assert client.get(reverse("admin:audit_payaccess_add")).status_code == 403
    assert client.post(reverse("admin:audit_payaccess_delete", args=[rita.pk])).status_code == 403
    assert PayAccess.objects.count() == 2


def test_anyone_but_a_superuser_is_refused(client, recruiter, rows):
    # Staff who even hold every permission Django made for the model: still refused.
    clerk = UserFactory(username="clerk")
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="audit"))
    for user in (recruiter, clerk):
        client.force_login(user)

        assert client.get(LIST).status_code == 403
        assert (
            client.get(reverse("admin:audit_payaccess_change", args=[rows[0].pk])).status_code
            == 403
        )
        assert "Pay accesses" not in client.get(reverse("admin:index")).content.decode()
