"""The reports' aggregates in PostgreSQL, against answers computed by hand: a percentile is
interpolated between its two neighbours (PostgreSQL's percentile_cont), and the days between
two moments count their fraction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db.models import F, Q
from django.utils import timezone

from recruiting.lib.aggregates import Days, Median, Percentile, percentile_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def waits():
    """Four people who first signed in 1, 2, 3 and 10 days after joining."""
    joined = timezone.now() - timedelta(days=30)
    for days in (1, 2, 3, 10):
        UserFactory(username=f"waited-{days}", date_joined=joined, last_login=joined)
        User.objects.filter(username=f"waited-{days}").update(
            last_login=joined + timedelta(days=days)
        )
    return User.objects.filter(username__startswith="waited-")


def test_the_median_of_1_2_3_and_10_is_2_5_and_their_90th_percentile_7_9(waits):
    wait = Days(F("last_login"), F("date_joined"))

    figures = waits.aggregate(median=Median(wait), p90=Percentile(wait, 0.9))

    # Sorted 1, 2, 3, 10: the median sits halfway between 2 and 3; the 90th percentile at
    # position 1 + 0.9 x 3 = 3.7, 70% of the way from 3 to 10: 3 + 0.7 x 7 = 7.9.
    assert figures["median"] == pytest.approx(2.5)
    assert figures["p90"] == pytest.approx(7.9)


def test_a_filtered_percentile_counts_only_its_rows_and_none_over_no_rows(waits):
    wait = Days(F("last_login"), F("date_joined"))

    figures = waits.aggregate(
        without_the_slowest=Median(wait, filter=~Q(username="waited-10")),
        nobody=Median(wait, filter=Q(username="nobody")),
    )

    # 1, 2 and 3: the median is the middle one.
    assert figures["without_the_slowest"] == pytest.approx(2)
    assert figures["nobody"] is None


def test_half_a_day_counts_as_half(waits):
    UserFactory(username="half")
    joined = timezone.now() - timedelta(days=3)
    User.objects.filter(username="half").update(
        date_joined=joined, last_login=joined + timedelta(hours=12)
    )

    days = User.objects.filter(username="half").aggregate(
        d=Median(Days("last_login", "date_joined"))
    )

    assert days["d"] == pytest.approx(0.5)


def test_the_python_hand_check_agrees_with_postgresql():
    assert percentile_of([10, 1, 3, 2], 0.5) == 2.5
    assert percentile_of([10, 1, 3, 2], 0.9) == pytest.approx(7.9)
    assert percentile_of([7], 0.9) == 7
    assert percentile_of([], 0.5) is None


def test_a_fraction_outside_0_to_1_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Percentile("id", 1.5)
