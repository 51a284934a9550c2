"""A sequence's figures in the admin: enrolled, sent, replied, opted out, reply rate by step."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recruiting.outreach.models import Sequence, SequenceStep
from recruiting.outreach.services import (
    add_business_days,
    enroll,
    mark_replied,
    opt_out,
    send_due_steps,
)
from tests.factories import prospect

pytestmark = pytest.mark.django_db

MONDAY_10_LA = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
WEDNESDAY_10_LA = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # step one is due (2 days)
STEP_TWO_DUE = add_business_days(WEDNESDAY_10_LA, 3)
SEQUENCES = reverse("admin:outreach_sequence_changelist")


@pytest.fixture
def history(sequence, recruiter, mailoutbox):
    """Four candidates through the two-step sequence: after step one Ada replies and Bob opts
    out; Cleo and Dan get step two; Cleo replies to it."""
    people = {
        name: prospect(name=name, owner=recruiter, email=f"{name.lower()}@example.org")
        for name in ("Ada", "Bob", "Cleo", "Dan")
    }
    enrollments = {
        name: enroll(person, sequence, by=recruiter, now=MONDAY_10_LA)
        for name, person in people.items()
    }
    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 4}
    mark_replied(enrollments["Ada"], by=recruiter)
    opt_out(enrollments["Bob"])
    assert send_due_steps(STEP_TWO_DUE) == {"sent": 2}
    mark_replied(enrollments["Cleo"], by=recruiter)
    assert len(mailoutbox) == 6
    return sequence


def cells(page: str, marker: str) -> list[str]:
    """The texts of the cells of the first table row that holds `marker`."""
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(marker)}(?:(?!</tr>).)*</tr>", page, re.S)
    assert row, f"no row holds {marker}"
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(0), re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def test_the_sequence_list_shows_each_sequences_figures(recruiter_client, history):
    page = recruiter_client.get(SEQUENCES).content.decode()

    # ... steps, enrolled, active, emails sent, replied, opted out, reply rate
    assert cells(page, "Researchers")[-7:] == ["2", "4", "0", "6", "2", "1", "50.0%"]


def test_the_sequence_page_shows_the_reply_rate_by_step(recruiter_client, history):
    url = reverse("admin:outreach_sequence_change", args=[history.pk])
    page = " ".join(recruiter_client.get(url).content.decode().split())

    assert (
        "4 enrollments (0 in progress) · 6 emails sent · 2 replied · "
        "reply rate 50.0% (2 of the 4 emailed) · 1 opted out"
    ) in page
    # step, template, sent, replied after it, reply rate, opted out after it, bounced
    step_one = cells(page, "<td>1</td>")
    step_two = cells(page, "<td>2</td>")
    assert step_one == ["1", "First touch", "4", "1", "25.0%", "1", "0"]
    assert step_two == ["2", "First touch", "2", "1", "50.0%", "0", "0"]


def test_a_sequence_nobody_was_enrolled_in_shows_no_rate(recruiter_client, sequence):
    page = recruiter_client.get(SEQUENCES).content.decode()
    assert cells(page, "Researchers")[-7:] == ["2", "0", "0", "0", "0", "0", "–"]
    url = reverse("admin:outreach_sequence_change", args=[sequence.pk])
    page = " ".join(recruiter_client.get(url).content.decode().split())
    assert "0 enrollments (0 in progress) · 0 emails sent · 0 replied · 0 opted out" in page
    assert cells(page, "<td>1</td>") == ["1", "First touch", "0", "0", "–", "0", "0"]


def test_the_list_takes_as_many_queries_for_one_sequence_as_for_five(
    recruiter_client, history, template
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert recruiter_client.get(SEQUENCES).status_code == 200
        return len(captured)

    one = queries()
    for n in range(4):
        extra = Sequence.objects.create(name=f"Engineers {n}")
        SequenceStep.objects.create(sequence=extra, position=1, template=template)
    assert queries() == one
