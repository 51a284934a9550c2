"""Who sees the amounts of competing offers: without view_compensation none anywhere and
the offers read-only; with it, the amounts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from offers.models import CompetingOffer
from tests.offers.competing_admin.helpers import ADD, LIST, change_url, staff_who_may_view, text_of

pytestmark = pytest.mark.django_db


# --- Who sees amounts ----------------------------------------------------------------------


def pages_showing_amounts(competing: CompetingOffer) -> list[str]:
    record = competing.history.first()
    return [
        LIST,
        change_url(competing),
        reverse("admin:offers_competingoffer_history", args=[competing.pk]),
        reverse(
            "admin:offers_competingoffer_simple_history", args=[competing.pk, record.history_id]
        ),
        reverse("admin:candidates_candidate_change", args=[competing.candidate_id]),
        reverse("admin:pipeline_application_change", args=[competing.application_id]),
    ]


# Their base and grant (and the notes quoting them), in euros and dollars; the comparison's
# figures and percentages.
AMOUNTS = (
    "381,150",
    "381150",
    "677,600",
    "677600",
    "450,000",
    "650,000",
    "150,000",
    "225,000",
    "2,600,000",
    "30.0%",
    "52.9%",
)


def test_without_view_compensation_no_amount_is_shown_anywhere(client, theirs):
    client.force_login(staff_who_may_view(compensation=False))

    for url in pages_showing_amounts(theirs):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert not [amount for amount in AMOUNTS if amount in page], url
    page = text_of(client.get(change_url(theirs)))
    assert "hidden" in page
    # Who is ahead, and why, in words.
    assert "Helix Intelligence pays more than we do in year one; we win on team lead" in page
    assert "Equity: theirs higher" in page
    assert "Counter-offer" not in page
    history = text_of(client.get(reverse("admin:offers_competingoffer_history", args=[theirs.pk])))
    assert "hidden" in history


def test_with_view_compensation_the_amounts_are_shown(client, theirs):
    client.force_login(staff_who_may_view(compensation=True))

    for url in pages_showing_amounts(theirs):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert [amount for amount in AMOUNTS if amount in page], url


def test_without_view_compensation_competing_offers_are_read_only(client, theirs):
    user = staff_who_may_view(compensation=False)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_competingoffer", "change_competingoffer"])
    )
    client.force_login(user)

    assert client.get(ADD).status_code == 403
    page = client.get(reverse("admin:candidates_candidate_change", args=[theirs.candidate_id]))
    assert "Add competing offer" not in page.content.decode()
