"""The outreach report: reply, opt-out and bounce rates by sequence, step, template and top
motivator, each with the count behind it, checked against small histories whose answers are
worked out by hand below."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from recruiting.audit.models import PayAccess
from recruiting.outreach.models import (
    Enrollment,
    MessageTemplate,
    PitchParagraph,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import (
    add_business_days,
    enroll,
    mark_replied,
    note_last_emails,
    opt_out,
    send_due_steps,
    stop_for_bounce,
)
from recruiting.pipeline.models import Role
from recruiting.web.reports.base import Filters, Scope
from recruiting.web.reports.outreach import build
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory, UserFactory, prospect

pytestmark = pytest.mark.django_db

URL = reverse("web:report_outreach")
DECEMBER = {"date_from": "2026-12-01", "date_to": "2026-12-31"}
STEP_ONE_AT = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
STEP_TWO_AT = datetime(2026, 12, 9, 18, 0, tzinfo=UTC)
REPLIED = Enrollment.Status.REPLIED
OPTED_OUT = Enrollment.Status.OPTED_OUT
BOUNCED = Enrollment.Status.BOUNCED
ACTIVE = Enrollment.Status.ACTIVE


# --- Building histories ------------------------------------------------------------------------


def template_named(name: str) -> MessageTemplate:
    template, _ = MessageTemplate.objects.get_or_create(
        name=name, defaults={"subject": "Hello", "body_text": "Hi {{ candidate.first_name }}"}
    )
    return template


def sequence_of(name: str, *templates: str) -> Sequence:
    sequence = Sequence.objects.create(name=name)
    for position, template in enumerate(templates, 1):
        SequenceStep.objects.create(
            sequence=sequence, position=position, template=template_named(template)
        )
    return sequence


def went_through(
    candidate,
    sequence: Sequence,
    sent_at: list[datetime],
    status: str = ACTIVE,
    application=None,
) -> Enrollment:
    """An enrollment sent its first len(sent_at) steps at those moments, then ended as
    `status` (what the sending job and the mailbox leave behind, written directly)."""
    enrollment = Enrollment.objects.create(
        candidate=candidate,
        sequence=sequence,
        application=application,
        enrolled_at=sent_at[0] - timedelta(days=1),
        status=status,
    )
    steps = sequence.steps.order_by("position")
    for step, at in zip(steps, sent_at, strict=False):
        SentMessage.objects.create(
            enrollment=enrollment,
            step=step,
            status=SentMessage.Status.SENT,
            claimed_at=at,
            sent_at=at,
        )
    note_last_emails([enrollment.pk])  # as the sender does when it records an email
    return enrollment


@pytest.fixture
def history(recruiter):
    """Researchers (First touch, then Follow-up), 25 candidates sent step one in December:
      0-2 replied after step one; 3-4 opted out after it; 5 bounced after it;
      6-24 (19) were sent step two: 6 and 7 replied after it, the others did nothing yet.
    Top motivators: 0, 1, 2, 6 and 8-13 weigh publishing 5 (10 people, Publishing); the other
    15 weigh everything 3 (a tie: Pay, as the pitch chooses).
    Engineers (First touch), 3 candidates weighing everything 3 (Pay): one replied."""
    researchers = sequence_of("Researchers", "First touch", "Follow-up")
    engineers = sequence_of("Engineers", "First touch")
    publishing = {0, 1, 2, 6, 8, 9, 10, 11, 12, 13}
    outcomes = {0: REPLIED, 1: REPLIED, 2: REPLIED, 3: OPTED_OUT, 4: OPTED_OUT, 5: BOUNCED}
    outcomes |= {6: REPLIED, 7: REPLIED}
    for i in range(25):
        person = CandidateFactory(
            name=f"Researcher {i}",
            owner=recruiter,
            motivator_publishing=5 if i in publishing else 3,
        )
        sent = [STEP_ONE_AT] if i < 6 else [STEP_ONE_AT, STEP_TWO_AT]
        went_through(person, researchers, sent, outcomes.get(i, ACTIVE))
    for i in range(3):
        person = CandidateFactory(name=f"Engineer {i}", owner=recruiter)
        went_through(person, engineers, [STEP_ONE_AT], REPLIED if i == 0 else ACTIVE)
    return researchers, engineers


def scope_for(user, **filters) -> Scope:
    f = Filters(date_from=date(2026, 12, 1), date_to=date(2026, 12, 31), **filters)
    return Scope(user=user, filters=f, pay=False)


def tables(user, **filters) -> dict[str, list[dict]]:
    return {t.key: list(t.rows) for t in build(scope_for(user, **filters))}


def row(rows: list[dict], **where) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in where.items())]
    assert len(found) == 1, f"{len(found)} rows for {where}"
    return found[0]


def figures(r: dict) -> tuple:
    return (
        r["replied"],
        str(r["reply_rate"]),
        r["opted_out"],
        str(r["opt_out_rate"]),
        r["bounced"],
        str(r["bounce_rate"]),
    )


def cells(page: str, marker: str) -> list[str]:
    """The texts of the cells of the table row that holds `marker`, with their † marks."""
    found = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(marker)}(?:(?!</tr>).)*</tr>", page, re.S)
    assert found, f"no row holds {marker}"
    texts = re.findall(r"<td[^>]*>(.*?)</td>", found.group(0), re.S)
    return [re.sub(r"<[^>]+>", "", t).strip() for t in texts]


def section(page: str, key: str) -> str:
    found = re.search(rf'id="table-{key}">(.*?)</section>', page, re.S)
    assert found, f"no table {key}"
    return found.group(1)


# --- The figures -------------------------------------------------------------------------------


def test_by_sequence_the_rates_are_of_the_enrollments_emailed(history, recruiter):
    rows = tables(recruiter)["sequences"]
    researchers = row(rows, sequence="Researchers")
    # 25 step-one emails + 19 step-two emails = 44 sent, to 25 enrollments.
    assert (researchers["n_sent"], researchers["n_emailed"]) == (44, 25)
    # replied 0, 1, 2, 6, 7: 5 of 25 = 20.0%; opted out 3, 4: 2 of 25 = 8.0%;
    # bounced 5: 1 of 25 = 4.0%.
    assert figures(researchers) == (5, "20.0", 2, "8.0", 1, "4.0")
    engineers = row(rows, sequence="Engineers")
    # 1 of 3 = 33.3%.
    assert (engineers["n_sent"], engineers["n_emailed"]) == (3, 3)
    assert figures(engineers) == (1, "33.3", 0, "0.0", 0, "0.0")


def test_by_step_an_outcome_counts_against_the_last_email_before_it(history, recruiter):
    rows = tables(recruiter)["steps"]
    one = row(rows, sequence="Researchers", position=1)
    # step one: 25 sent; 3 replied after it (12.0%), 2 opted out (8.0%), 1 bounced (4.0%).
    assert (one["template"], one["n_sent"]) == ("First touch", 25)
    assert figures(one) == (3, "12.0", 2, "8.0", 1, "4.0")
    two = row(rows, sequence="Researchers", position=2)
    # step two: 19 sent; 2 replied after it: 2 / 19 = 10.526…% → 10.5%.
    assert (two["template"], two["n_sent"]) == ("Follow-up", 19)
    assert figures(two) == (2, "10.5", 0, "0.0", 0, "0.0")
    assert row(rows, sequence="Engineers", position=1)["n_sent"] == 3


def test_by_template_the_steps_that_use_it_are_counted_together(history, recruiter):
    rows = tables(recruiter)["templates"]
    first = row(rows, template="First touch")
    # Researchers' step one (25) and Engineers' (3): 28 emails. Replied after them 3 + 1 = 4:
    # 4 / 28 = 14.285…% → 14.3%; opted out 2 / 28 = 7.142…% → 7.1%; bounced 1 / 28 = 3.571…%
    # → 3.6%.
    assert first["n_sent"] == 28
    assert figures(first) == (4, "14.3", 2, "7.1", 1, "3.6")
    follow_up = row(rows, template="Follow-up")
    assert follow_up["n_sent"] == 19
    assert figures(follow_up) == (2, "10.5", 0, "0.0", 0, "0.0")


def test_by_top_motivator_and_by_sequence_and_top_motivator(history, recruiter):
    found = tables(recruiter)
    rows = found["motivators"]
    # Publishing: 10 enrollments, of whom 0, 1, 2 and 6 replied: 4 of 10 = 40.0%.
    publishing = row(rows, motivator="Publishing")
    assert publishing["n_emailed"] == 10
    assert figures(publishing) == (4, "40.0", 0, "0.0", 0, "0.0")
    # Pay (all weigh 3): 15 researchers + 3 engineers = 18; replied 7 and one engineer: 2 / 18
    # = 11.1%; opted out 3, 4: 11.1%; bounced 5: 1 / 18 = 5.555…% → 5.6%.
    pay = row(rows, motivator="Pay")
    assert pay["n_emailed"] == 18
    assert figures(pay) == (2, "11.1", 2, "11.1", 1, "5.6")
    assert [r["motivator"] for r in rows] == ["Pay", "Publishing"]  # in MOTIVATORS' order

    by_sequence = found["sequence_motivators"]
    assert [(r["sequence"], r["motivator"]) for r in by_sequence] == [
        ("Engineers", "Pay"),
        ("Researchers", "Pay"),
        ("Researchers", "Publishing"),
    ]
    # Researchers weighing pay: 1 reply (7) of 15 = 6.666…% → 6.7%; publishing 4 of 10.
    assert figures(by_sequence[1])[:2] == (1, "6.7")
    assert by_sequence[1]["n_emailed"] == 15
    assert figures(by_sequence[2])[:2] == (4, "40.0")
    assert figures(by_sequence[0])[:2] == (1, "33.3")


def test_a_tie_between_motivators_goes_to_the_one_listed_first(recruiter):
    sequence = sequence_of("Researchers", "First touch")
    # Team lead and location both weigh 5: team lead is listed first in MOTIVATORS.
    person = CandidateFactory(motivator_team_lead=5, motivator_location=5, motivator_pay=4)
    went_through(person, sequence, [STEP_ONE_AT], REPLIED)
    (only,) = tables(recruiter)["motivators"]
    assert only["motivator"] == "Team lead reputation"
    assert figures(only)[:2] == (1, "100.0")


def test_the_dates_are_those_of_the_emails_sent(recruiter):
    """A: step one on 20 November, step two on 2 December, then replied. B: step one on 25
    November, then replied. A's reply counts in December, with the email it answered."""
    sequence = sequence_of("Researchers", "First touch", "Follow-up")
    november_20 = datetime(2026, 11, 20, 18, tzinfo=UTC)
    november_25 = datetime(2026, 11, 25, 18, tzinfo=UTC)
    went_through(CandidateFactory(name="A"), sequence, [november_20, STEP_ONE_AT], REPLIED)
    went_through(CandidateFactory(name="B"), sequence, [november_25], REPLIED)

    (december,) = tables(recruiter)["sequences"]
    # One email (A's step two) to one enrollment, answered: 1 of 1.
    assert (december["n_sent"], december["n_emailed"], december["replied"]) == (1, 1, 1)

    november = build(
        Scope(
            user=recruiter,
            filters=Filters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)),
            pay=False,
        )
    )
    sequences, steps = november[0].rows, november[1].rows
    # Two step-one emails to two enrollments; only B's reply answered a November email.
    assert (sequences[0]["n_sent"], sequences[0]["n_emailed"], sequences[0]["replied"]) == (
        2,
        2,
        1,
    )
    assert str(sequences[0]["reply_rate"]) == "50.0"
    assert [(r["position"], r["n_sent"], r["replied"]) for r in steps] == [(1, 2, 1)]


def test_an_email_of_a_deleted_step_counts_as_the_sequence_page_counts_it(
    recruiter, recruiter_client
):
    """Steps one and two were sent, then the candidate replied, then step two was deleted: its
    email stays on record (without a step), in the sequence's figures and in no step's, and the
    sequence page then counts the reply against step one; so does the report."""
    sequence = sequence_of("Researchers", "First touch", "Follow-up")
    went_through(CandidateFactory(), sequence, [STEP_ONE_AT, STEP_TWO_AT], REPLIED)
    sequence.steps.get(position=2).delete()

    found = tables(recruiter)
    (researchers,) = found["sequences"]
    assert (researchers["n_sent"], researchers["n_emailed"], researchers["replied"]) == (2, 1, 1)
    assert [(r["position"], r["n_sent"], r["replied"]) for r in found["steps"]] == [(1, 1, 1)]
    admin_page = recruiter_client.get(
        reverse("admin:outreach_sequence_change", args=[sequence.pk])
    ).content.decode()
    # step, template, sent, replied after it, reply rate
    assert cells(admin_page, "<td>1</td>")[:5] == ["1", "First touch", "1", "1", "100.0%"]


def test_nothing_sent_in_the_period_shows_no_rows(recruiter):
    sequence = sequence_of("Researchers", "First touch")
    went_through(CandidateFactory(), sequence, [datetime(2025, 6, 1, tzinfo=UTC)], REPLIED)
    assert all(rows == [] for rows in tables(recruiter).values())


# --- The sequence pages' figures, from the real services ---------------------------------------

MONDAY_10_LA = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
WEDNESDAY_10_LA = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # step one is due (2 days)
STEP_TWO_DUE = add_business_days(WEDNESDAY_10_LA, 3)


@pytest.fixture
def played(recruiter, mailoutbox):
    """Four candidates through a three-step sequence with the services: after step one Ada
    replies and Bob opts out; Cleo and Dan get step two; Cleo replies, Dan's address bounces
    (read from the mailbox) before step three."""
    template = MessageTemplate.objects.create(
        name="First touch",
        subject="{{ candidate.first_name }}, {{ role.title }}?",
        body_text="Hi {{ candidate.first_name }},\n\n{{ pitch }}",
    )
    PitchParagraph.objects.create(template=template, motivator="pay", text="We pay well.")
    sequence = Sequence.objects.create(name="Researchers")
    for position, delay in ((1, 2), (2, 3), (3, 5)):
        SequenceStep.objects.create(
            sequence=sequence, position=position, template=template, delay_business_days=delay
        )
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
    stop_for_bounce(people["Dan"], address="dan@example.org", now=STEP_TWO_DUE)
    return sequence


def test_the_figures_agree_with_the_sequence_page(played, recruiter_client):
    admin_page = recruiter_client.get(
        reverse("admin:outreach_sequence_change", args=[played.pk])
    ).content.decode()
    assert "reply rate 50.0% (2 of the 4 emailed)" in " ".join(admin_page.split())
    page = " ".join(recruiter_client.get(URL, DECEMBER).content.decode().split())
    # The sequence page: 6 emails sent, reply rate 50.0% (2 of the 4 emailed), 1 opted out.
    # Here: 2 replied of 4 = 50.0%, Bob 1 of 4 = 25.0%, Dan 1 of 4 = 25.0%.
    assert cells(section(page, "sequences"), "Researchers") == [
        "Researchers",
        "6",
        "4",
        "2",
        "50.0% of 4†",
        "1",
        "25.0% of 4†",
        "1",
        "25.0% of 4†",
    ]
    steps = section(page, "steps")
    # Step one: 4 sent, Ada replied (25.0%), Bob opted out; step two: 2 sent, Cleo replied
    # (50.0%), Dan bounced (50.0%), as the sequence page's step table says.
    assert cells(steps, "<td>1</td>") == [
        "Researchers",
        "1",
        "First touch",
        "4",
        "1",
        "25.0% of 4†",
        "1",
        "25.0% of 4†",
        "0",
        "0.0% of 4†",
    ]
    assert cells(steps, "<td>2</td>") == [
        "Researchers",
        "2",
        "First touch",
        "2",
        "1",
        "50.0% of 2†",
        "0",
        "0.0% of 2†",
        "1",
        "50.0% of 2†",
    ]


# --- The page, the CSV, who sees what ----------------------------------------------------------


def test_the_page_shows_each_rate_with_its_count_and_flags_small_ones(history, recruiter_client):
    page = " ".join(recruiter_client.get(URL, DECEMBER).content.decode().split())
    sequences = section(page, "sequences")
    # 25 emailed: enough. 3 emailed: flagged, with the footnote.
    assert cells(sequences, "Researchers") == [
        "Researchers",
        "44",
        "25",
        "5",
        "20.0% of 25",
        "2",
        "8.0% of 25",
        "1",
        "4.0% of 25",
    ]
    assert cells(sequences, "Engineers")[3:5] == ["1", "33.3% of 3†"]
    assert "† Fewer than 20 behind this rate: too few to mean much." in sequences
    # The chart: reply rate by sequence.
    assert "<title>Researchers: 20.0%</title>" in sequences
    assert "<title>Engineers: 33.3%</title>" in sequences
    assert "Reply rate by sequence" in sequences
    motivators = section(page, "motivators")
    assert cells(motivators, "Publishing")[3:5] == ["4", "40.0% of 10†"]
    assert "Which pitch works for whom" in page
    # The competitor filter means nothing here and is not offered.
    assert 'name="competitor"' not in page


def test_the_csv_holds_plain_numbers(history, recruiter_client):
    response = recruiter_client.get(URL, {**DECEMBER, "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    header = lines.index(["By sequence"]) + 1
    assert lines[header] == [
        "Sequence",
        "Emails sent",
        "Enrollments emailed",
        "Replied",
        "Reply rate",
        "Opted out",
        "Opt-out rate",
        "Bounced",
        "Bounce rate",
    ]
    assert ["Researchers", "44", "25", "5", "20.0", "2", "8.0", "1", "4.0"] in lines
    assert ["Engineers", "3", "3", "1", "33.3", "0", "0.0", "0", "0.0"] in lines


def test_without_pay_the_report_is_the_same_and_no_pay_access_is_logged(history, client):
    """There is no amount in this report: who may see pay sees the same figures, and opening it
    is not an access to pay."""
    from django.contrib.auth.models import Group

    pages = []
    for name, pay in (("plain", False), ("payroll", True)):
        user = UserFactory(username=name)
        user.groups.add(Group.objects.get(name="Recruiters"))
        if pay:
            user.user_permissions.add(Permission.objects.get(codename="view_compensation"))
        client.force_login(user)
        pages.append(
            (
                client.get(URL, {**DECEMBER, "format": "csv"}).content,
                cells(client.get(URL, DECEMBER).content.decode(), "Researchers"),
            )
        )
    assert pages[0] == pages[1]
    assert not PayAccess.objects.exists()


def test_a_hiring_manager_sees_only_their_roles(recruiter, hiring_manager, client):
    """Hank's role: two enrollments (one replied). Another role: one, replied. And one
    enrollment with no application at all, replied: a hiring manager sees neither."""
    sequence = sequence_of("Researchers", "First touch")
    hanks = RoleFactory(hiring_manager=hiring_manager)
    other = RoleFactory()
    for replied in (True, False):
        application = ApplicationFactory(role=hanks)
        went_through(
            application.candidate,
            sequence,
            [STEP_ONE_AT],
            REPLIED if replied else ACTIVE,
            application=application,
        )
    elsewhere = ApplicationFactory(role=other)
    went_through(elsewhere.candidate, sequence, [STEP_ONE_AT], REPLIED, application=elsewhere)
    went_through(CandidateFactory(), sequence, [STEP_ONE_AT], REPLIED)

    client.force_login(hiring_manager)
    page = " ".join(client.get(URL, DECEMBER).content.decode().split())
    # 1 of Hank's 2.
    assert cells(section(page, "sequences"), "Researchers")[1:5] == ["2", "2", "1", "50.0% of 2†"]
    assert "your roles only" in page

    # A recruiter sees all four: 3 of 4.
    (everyone,) = tables(recruiter)["sequences"]
    assert (everyone["n_emailed"], everyone["replied"]) == (4, 3)
    # Asking for a role counts its applications' enrollments only: 1 of 1 for the other role.
    (one,) = tables(recruiter, role=other.pk)["sequences"]
    assert (one["n_emailed"], one["replied"]) == (1, 1)
    # The zone and level are the role's: none of these roles is in Paris.
    assert tables(recruiter, zone=Role.Zone.PARIS)["sequences"] == []


def test_the_owner_is_the_candidates_even_without_an_application(recruiter):
    sequence = sequence_of("Researchers", "First touch")
    someone_else = UserFactory(username="owen")
    went_through(CandidateFactory(owner=recruiter), sequence, [STEP_ONE_AT], REPLIED)
    went_through(CandidateFactory(owner=someone_else), sequence, [STEP_ONE_AT])
    (mine,) = tables(recruiter, owner=recruiter.pk)["sequences"]
    assert (mine["n_emailed"], mine["replied"]) == (1, 1)
    (theirs,) = tables(recruiter, owner=someone_else.pk)["sequences"]
    assert (theirs["n_emailed"], theirs["replied"]) == (1, 0)


def test_the_report_takes_two_queries_whatever_its_size(
    history, recruiter, django_assert_num_queries
):
    # Two (was ten): the enrollments grouped by sequence, top motivator and the step of their
    # last email, which every table but the steps' is summed from, and the emails each step
    # sent. Still the same count at any size.
    with django_assert_num_queries(2):
        build(scope_for(recruiter))
    more = sequence_of("Designers", "Designers' first touch", "Designers' follow-up")
    for _ in range(10):
        went_through(CandidateFactory(motivator_location=5), more, [STEP_ONE_AT, STEP_TWO_AT])
    with django_assert_num_queries(2):
        found = build(scope_for(recruiter))
    assert len(found[0].rows) == 3


def test_the_reports_page_lists_it(recruiter_client):
    page = recruiter_client.get(reverse("web:reports")).content.decode()
    assert URL in page and "Outreach" in page
