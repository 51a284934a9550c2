"""My alerts and the preferences page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from recruiting.alerts import registry
from recruiting.alerts.models import Alert, AlertPreference, AlertProfile

pytestmark = pytest.mark.django_db

registry.register_kind(registry.AlertKind("test_notice", "A test notice"))
registry.register_kind(registry.AlertKind("test_urgent", "An urgent notice", urgent=True))


def alert(user, n: int, **fields) -> Alert:
    return Alert.objects.create(
        kind="test_notice",
        recipient=user,
        key=f"{user.pk}-{n}",
        subject=f"Notice number {n}",
        link=f"/admin/offers/offer/{n}/change/",
        created_at=timezone.now() - timedelta(hours=n),
        **fields,
    )


def test_my_alerts_lists_mine_newest_first_with_links(client, recruiter, outsider):
    for n in (3, 1, 2):
        alert(recruiter, n)
    alert(outsider, 9)
    client.force_login(recruiter)

    page = client.get(reverse("alerts:mine")).content.decode()

    assert (
        page.index("Notice number 1")
        < page.index("Notice number 2")
        < page.index("Notice number 3")
    )
    assert 'href="/admin/offers/offer/2/change/"' in page
    assert "Notice number 9" not in page
    assert "A test notice" in page


def test_my_alerts_takes_the_same_queries_for_few_and_many(
    client, recruiter, django_assert_max_num_queries
):
    client.force_login(recruiter)
    alert(recruiter, 1)
    # Session, user, the alerts and their count, the kinds' labels, and the user's permissions
    # once (the navigation offers the candidate list to those who may see it).
    with django_assert_max_num_queries(7):
        client.get(reverse("alerts:mine"))
    for n in range(2, 60):
        alert(recruiter, n)
    with django_assert_max_num_queries(7):
        client.get(reverse("alerts:mine"))


def test_my_alerts_needs_a_login(client):
    response = client.get(reverse("alerts:mine"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def every_kind(mode: str = "immediately") -> dict[str, str]:
    """The form's choice for every registered kind (the domain apps register theirs too)."""
    return {f"kind_{kind.name}": mode for kind in registry.kinds()}


def test_preferences_are_saved_and_shown_again(client, recruiter):
    client.force_login(recruiter)

    response = client.post(
        reverse("alerts:preferences"),
        {
            **every_kind(),
            "kind_test_notice": "digest",
            "timezone": "Europe/Paris",
            "quiet_from": "21:00",
            "quiet_until": "07:30",
        },
        follow=True,
    )

    assert "Your alert preferences are saved." in response.content.decode()
    assert AlertPreference.objects.get(user=recruiter, kind="test_notice").mode == "digest"
    profile = AlertProfile.objects.get(user=recruiter)
    assert (profile.timezone, str(profile.quiet_from)) == ("Europe/Paris", "21:00:00")
    form = client.get(reverse("alerts:preferences")).context["form"]
    assert form.initial["kind_test_notice"] == "digest"


def test_half_given_quiet_hours_are_refused_on_the_field_and_nothing_is_saved(client, recruiter):
    client.force_login(recruiter)

    response = client.post(
        reverse("alerts:preferences"),
        {**every_kind("off"), "timezone": "UTC", "quiet_from": "21:00", "quiet_until": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["quiet_until"] == [
        "Give both ends of the quiet hours, or neither."
    ]
    assert not AlertPreference.objects.exists()
    assert not AlertProfile.objects.filter(user=recruiter).exists()


def test_a_refused_save_says_so_at_the_top_of_the_page(client, recruiter):
    client.force_login(recruiter)

    response = client.post(
        reverse("alerts:preferences"),
        {**every_kind("off"), "timezone": "UTC", "quiet_from": "21:00", "quiet_until": ""},
    )

    page = response.content.decode()
    summary = page.index("Nothing was saved: 1 field below needs a change.")
    assert summary < page.index("When each alert reaches you")  # above the form
    assert "Quiet until</a>: Give both ends of the quiet hours, or neither." in page


def test_alerts_held_for_quiet_hours_follow_new_preferences(client, recruiter):
    # Held until the end of the quiet hours: one alert that stays on, one turned off.
    later = timezone.now() + timedelta(hours=5)
    stays = alert(recruiter, 1, next_attempt_at=later)
    muted = Alert.objects.create(
        kind="test_urgent", recipient=recruiter, key="muted", subject="Muted", next_attempt_at=later
    )
    client.force_login(recruiter)

    client.post(
        reverse("alerts:preferences"),
        {**every_kind(), "kind_test_urgent": "off", "timezone": "UTC"},  # no quiet hours now
    )

    stays.refresh_from_db()
    muted.refresh_from_db()
    assert stays.status == "pending" and stays.next_attempt_at <= timezone.now()
    assert muted.status == "suppressed"


def test_my_alerts_shows_times_in_my_timezone_and_why_one_failed(client, recruiter):
    AlertProfile.objects.create(user=recruiter, timezone="America/Los_Angeles")
    alert(recruiter, 1, status="failed", last_error="The recipient has no email address.")
    client.force_login(recruiter)

    page = client.get(reverse("alerts:mine")).content.decode()

    assert "PST" in page
    assert "not sent: The recipient has no email address." in page


def test_the_admin_links_to_my_alerts_and_my_preferences(client, recruiter):
    client.force_login(recruiter)

    page = client.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("alerts:mine")}">My alerts</a>' in page
    assert f'href="{reverse("alerts:preferences")}">Alert preferences</a>' in page


def test_my_alerts_hide_the_amounts_from_whoever_may_no_longer_see_pay(client, approver):
    alert(approver, 1, context={"message": "Needed for: signing bonus 14,167,650.54 USD."})
    Alert.objects.filter(recipient=approver).update(subject="Ahead of us by $1.2M")
    approver.groups.clear()  # moved out of the approvers since
    client.force_login(approver)

    page = client.get(reverse("alerts:mine")).content.decode()

    assert "Ahead of us by [amount hidden]" in page
    assert "Needed for: signing bonus [amount hidden]." in page
    assert "14,167,650.54" not in page and "$1.2M" not in page


def test_my_alerts_show_the_amounts_to_whoever_may_see_pay(client, approver):
    alert(approver, 1, context={"message": "Needed for: signing bonus 14,167,650.54 USD."})
    client.force_login(approver)

    page = client.get(reverse("alerts:mine")).content.decode()

    assert "Needed for: signing bonus 14,167,650.54 USD." in page
