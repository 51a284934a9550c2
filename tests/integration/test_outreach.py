"""Outreach through the real parts: Redis, a Celery worker process and an SMTP server.

The worker runs at the real time, so time is moved, not waited for: a test that needs days to
pass moves the rows back (an enrollment's due time, its sent messages' claims), and one that
needs office hours or the night picks the candidate's timezone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import F
from django.test import Client
from django.utils import timezone

from candidates.models import CompanyPause
from recruiting.outreach.models import (
    Enrollment,
    MessageTemplate,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import add_business_days, mark_replied
from recruiting.outreach.services import enroll as enroll_through_the_service
from recruiting.outreach.tasks import send_due
from recruiting.pipeline.models import Activity, Stage
from tests.factories import ApplicationFactory, CandidateFactory, CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

EVERY_DAY = "0,1,2,3,4,5,6"


@pytest.fixture(autouse=True)
def every_day_here(settings):
    """This process (which enrolls, and so sets the first step's time) opens the window every
    day, as the workers do: a zone where it is office hours now may be on a weekend."""
    settings.OUTREACH_WINDOW = {**settings.OUTREACH_WINDOW, "weekdays": list(range(7))}


MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def every_day_worker(django_db_setup, smtp_server, tmp_path_factory) -> Iterator[object]:
    """A real worker whose outreach window is open every day of the week (the test runs at
    the real time, which may be a weekend everywhere), on a Redis of this module's own. The
    module's tests share it: each drains what it queued before it ends."""
    from recruiting.celery import app
    from tests.integration.conftest import RedisServer, _start_worker, _stop_worker, _use_broker

    redis = RedisServer(tmp_path_factory.mktemp("outreach-redis"))
    redis.start()
    saved = app.conf.broker_url, settings.CELERY_BROKER_URL
    _use_broker(app, redis.url, close=False)
    settings.CELERY_BROKER_URL = redis.url
    process = None
    try:
        process = _start_worker(
            tmp_path_factory.mktemp("outreach-worker") / "worker.log",
            smtp_server,
            CELERY_BROKER_URL=redis.url,
            OUTREACH_WINDOW_WEEKDAYS=EVERY_DAY,
        )
        yield process
    finally:
        if process is not None:
            _stop_worker(process)
        _use_broker(app, saved[0], close=True)
        settings.CELERY_BROKER_URL = saved[1]
        redis.kill()


@pytest.fixture
def capped_worker(own_broker, smtp_server, tmp_path):
    """A real worker, on the test's own Redis, whose senders may each send 2 emails a day."""
    from tests.integration.conftest import _start_worker, _stop_worker

    process = _start_worker(
        tmp_path / "worker.log",
        smtp_server,
        CELERY_BROKER_URL=own_broker.url,
        OUTREACH_WINDOW_WEEKDAYS=EVERY_DAY,
        OUTREACH_DAILY_CAP_PER_SENDER="2",
    )
    yield process
    _stop_worker(process)


def a_timezone_where(hours: range) -> str:
    """A fixed-offset zone where the local hour is now in `hours`: the zones span 27 hours,
    so every hour of the day is somewhere."""
    now = timezone.now()
    for offset in range(-12, 15):
        name = "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT+N is N hours behind
        if now.astimezone(ZoneInfo(name)).hour % 24 in hours:
            return name
    raise AssertionError(f"unreachable: some zone is at {hours} now")


def a_timezone_in_office_hours() -> str:
    """A fixed-offset zone where it is now between 10:00 and 16:00."""
    return a_timezone_where(range(10, 16))


def window() -> tuple[time, time]:
    return (
        time.fromisoformat(settings.OUTREACH_WINDOW["start"]),
        time.fromisoformat(settings.OUTREACH_WINDOW["end"]),
    )


def a_timezone_before_dawn() -> str:
    """A zone where it is night and the window opens later today (02:00-07:00 by default)."""
    start, _ = window()
    return a_timezone_where(range(max(start.hour - 7, 0), max(start.hour - 2, 1)))


def a_timezone_in_the_evening() -> str:
    """A zone where the window has closed for today (18:00-23:00 by default)."""
    _, end = window()
    return a_timezone_where(range(end.hour + 1, 24))


def opening(day: date, zone: str) -> datetime:
    """When the window opens on `day` in `zone`."""
    return datetime.combine(day, window()[0], tzinfo=ZoneInfo(zone))


def first_window_moment_from(moment: datetime, zone: str) -> datetime:
    """`moment` if it is inside the window in `zone` (open every day), else the next opening."""
    start, end = window()
    local = moment.astimezone(ZoneInfo(zone))
    if start <= local.time() < end:
        return moment
    return opening(local.date() + timedelta(days=local.time() >= end), zone)


def local_today(zone: str) -> date:
    return timezone.now().astimezone(ZoneInfo(zone)).date()


def days_pass(*enrollments: Enrollment) -> None:
    """Moves time on until each enrollment's next step is due. The worker lives at the real
    time, so the enrollment is moved back instead, with what it sent (so a sender's daily cap
    counts those emails on the day they now went)."""
    now = timezone.now()
    for enrollment in enrollments:
        enrollment.refresh_from_db()
        assert enrollment.next_send_at is not None and enrollment.next_send_at > now
        wait = enrollment.next_send_at - now + MINUTE
        Enrollment.objects.filter(pk=enrollment.pk).update(
            enrolled_at=F("enrolled_at") - wait, next_send_at=F("next_send_at") - wait
        )
        SentMessage.objects.filter(enrollment=enrollment).update(
            claimed_at=F("claimed_at") - wait, sent_at=F("sent_at") - wait
        )


def run_send_due(drain, times: int = 1) -> None:
    """Queues the every-minute job and returns once the worker has run it."""
    for _ in range(times):
        send_due.delay()
    drain()


def text_of(message) -> str:
    # SMTP carries lines ended by CRLF.
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


@pytest.fixture
def rita(db):
    return UserFactory(
        username="rita", first_name="Rita", last_name="Recruiter", email="rita@closer.example"
    )


def enroll(candidate, sequence, *, by, now, **kwargs) -> Enrollment:
    """services.enroll, with a first step of no delay due at `now`, as on a weekday: on a
    weekend in the candidate's zone it would wait for Monday (business days), and the worker
    lives at the real time, which may be a weekend wherever it is office hours."""
    enrollment = enroll_through_the_service(candidate, sequence, by=by, now=now, **kwargs)
    if sequence.steps.get(position=1).delay_business_days == 0:
        Enrollment.objects.filter(pk=enrollment.pk).update(next_send_at=now)
        enrollment.refresh_from_db()
    return enrollment


def a_sequence(name: str, *delays: int, send_during_pause: bool = False) -> Sequence:
    """A sequence whose step N has the subject "Step N for {{ candidate.first_name }}" and is
    sent delays[N-1] business days after the previous one."""
    sequence = Sequence.objects.create(name=name, send_during_pause=send_during_pause)
    for position, delay in enumerate(delays, start=1):
        template = MessageTemplate.objects.create(
            name=f"{name}, step {position}",
            subject=f"Step {position} for {{{{ candidate.first_name }}}}",
            body_text=f"Hi {{{{ candidate.first_name }}}},\n\nNote {position}.\n\n"
            "{{ sender.name }}",
        )
        SequenceStep.objects.create(
            sequence=sequence, position=position, template=template, delay_business_days=delay
        )
    return sequence


def test_the_send_job_run_twice_by_the_worker_sends_step_one_once(every_day_worker, drain, mail):
    zone = a_timezone_in_office_hours()
    rita = UserFactory(
        username="rita", first_name="Rita", last_name="Recruiter", email="rita@closer.example"
    )
    ada = CandidateFactory(name="Ada Lovelace", owner=rita, timezone=zone, email="ada@example.org")
    template = MessageTemplate.objects.create(
        name="First touch",
        subject="{{ candidate.first_name }}, a word from {{ sender.name }}",
        body_text="Hi {{ candidate.first_name }},\n\nShall we talk?\n\n{{ sender.name }}",
    )
    sequence = Sequence.objects.create(name="Researchers")
    SequenceStep.objects.create(sequence=sequence, position=1, template=template)
    SequenceStep.objects.create(
        sequence=sequence, position=2, template=template, delay_business_days=2
    )
    enrollment = enroll(ada, sequence, by=rita, now=timezone.now() - timedelta(minutes=1))

    send_due.delay()
    send_due.delay()
    [message] = mail.wait_for(1)
    drain()

    assert len(mail.messages) == 1
    assert message["From"] == "Rita Recruiter <rita@closer.example>"
    assert message["Reply-To"] == "Rita Recruiter <rita@closer.example>"
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Ada, a word from Rita Recruiter"
    assert "/outreach/opt-out/" in message.get_body(("plain",)).get_content()
    assert "/outreach/opt-out/" in message.get_body(("html",)).get_content()
    [sent] = SentMessage.objects.all()
    assert sent.status == SentMessage.Status.SENT
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE and enrollment.next_position == 2


def test_a_three_step_sequence_sends_step_one_waits_sends_step_two_and_stops_at_a_reply(
    every_day_worker, drain, mail, rita
):
    ada = CandidateFactory(
        name="Ada Lovelace", owner=rita, timezone=a_timezone_in_office_hours(), email="ada@x.org"
    )
    application = ApplicationFactory(candidate=ada)
    assert application.stage.kind == Stage.Kind.SOURCED
    sequence = a_sequence("Researchers", 0, 2, 3)
    enrollment = enroll(
        ada, sequence, by=rita, application=application, now=timezone.now() - MINUTE
    )

    # Step one goes out, in Rita's name, rendered for Ada; she is now contacted.
    run_send_due(drain)
    [first] = mail.messages
    assert first["To"] == "ada@x.org"
    assert first["From"] == "Rita Recruiter <rita@closer.example>"
    assert first["Subject"] == "Step 1 for Ada"
    assert text_of(first).startswith("Hi Ada,\n\nNote 1.\n\nRita Recruiter")
    application.refresh_from_db()
    assert application.stage.kind == Stage.Kind.CONTACTED
    enrollment.refresh_from_db()
    sent_one = SentMessage.objects.get(enrollment=enrollment, step__position=1)
    assert enrollment.next_position == 2
    assert enrollment.next_send_at == add_business_days(
        sent_one.claimed_at, 2, ZoneInfo(ada.timezone)
    )

    # A minute later, step two is not due: nothing more.
    run_send_due(drain)
    assert len(mail.messages) == 1

    # Two business days pass: step two goes out.
    days_pass(enrollment)
    run_send_due(drain)
    assert len(mail.messages) == 2
    second = mail.messages[1]
    assert (second["To"], second["Subject"]) == ("ada@x.org", "Step 2 for Ada")
    assert "Note 2." in text_of(second)
    enrollment.refresh_from_db()
    assert enrollment.next_position == 3

    # Three more business days pass, and step three is due; but Ada has replied, and Rita says
    # so (the admin's action) before the job runs: nothing goes out.
    days_pass(enrollment)
    assert mark_replied(enrollment, by=rita) == 1
    run_send_due(drain)

    assert len(mail.messages) == 2
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REPLIED
    assert enrollment.next_send_at is None
    assert set(
        SentMessage.objects.filter(enrollment=enrollment).values_list("step__position", "status")
    ) == {(1, SentMessage.Status.SENT), (2, SentMessage.Status.SENT)}
    assert sorted(Activity.objects.filter(candidate=ada).values_list("kind", "summary")) == [
        ("email", "Replied to the outreach sequence Researchers"),
        ("email", "Step 1 of Researchers: Step 1 for Ada"),
        ("email", "Step 2 of Researchers: Step 2 for Ada"),
    ]


def test_the_opt_out_link_in_an_email_stops_every_sequence_and_marks_do_not_contact(
    every_day_worker, drain, mail, rita
):
    ada = CandidateFactory(
        name="Ada Lovelace", owner=rita, timezone=a_timezone_in_office_hours(), email="ada@x.org"
    )
    researchers = enroll(ada, a_sequence("Researchers", 0, 2), by=rita, now=timezone.now() - MINUTE)
    # A second sequence whose first step is not due yet.
    leads = enroll(ada, a_sequence("Team leads", 1), by=rita, now=timezone.now() - MINUTE)
    run_send_due(drain)
    [message] = mail.messages
    assert message["Subject"] == "Step 1 for Ada"

    # Days pass: both sequences have a step due. Ada clicks the link first.
    days_pass(researchers, leads)
    [link] = re.findall(r"https?://\S+/outreach/opt-out/\S+/", text_of(message))
    # The header is folded (the link is long); unfolded, it is the same link.
    assert message["List-Unsubscribe"].split(",")[0].strip() == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlsplit(link).path
    browser = Client(enforce_csrf_checks=True)  # a real browser's visit: the form's token
    page = browser.get(path)
    assert page.status_code == 200
    assert b"Stop all emails" in page.content
    [csrf] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    done = browser.post(path, {"csrfmiddlewaretoken": csrf})
    assert done.status_code == 200
    assert b"You will get no more emails from us" in done.content

    ada.refresh_from_db()
    assert ada.do_not_contact
    assert set(
        Enrollment.objects.filter(candidate=ada).values_list("sequence__name", "status")
    ) == {
        ("Researchers", Enrollment.Status.OPTED_OUT),
        ("Team leads", Enrollment.Status.OPTED_OUT),
    }
    run_send_due(drain)
    assert len(mail.messages) == 1
    # A second click (an old email) says the same and changes nothing.
    again = browser.post(path, {"csrfmiddlewaretoken": csrf})
    assert again.status_code == 200 and b"You will get no more emails" in again.content

    # A link whose token was tampered with (another enrollment's id, a changed signature)
    # opens nothing.
    token = path.rstrip("/").rpartition("/")[2]
    value, _, signature = token.partition(":")
    changed = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for forged in (f"{leads.pk}:{signature}", f"{value}:{changed}"):
        assert Client().get(f"/outreach/opt-out/{forged}/").status_code == 404
        assert Client().post(f"/outreach/opt-out/{forged}/").status_code == 404


def test_at_night_nothing_is_sent_and_the_step_waits_for_the_window_to_open(
    every_day_worker, drain, mail, rita
):
    before_dawn, evening = a_timezone_before_dawn(), a_timezone_in_the_evening()
    ada = CandidateFactory(name="Ada Lovelace", owner=rita, timezone=before_dawn)
    grace = CandidateFactory(name="Grace Hopper", owner=rita, timezone=evening)
    sequence = a_sequence("Researchers", 0, 2)
    early = enroll(ada, sequence, by=rita, now=timezone.now() - MINUTE)
    late = enroll(grace, sequence, by=rita, now=timezone.now() - MINUTE)
    # Read before the run: a late evening that turns midnight meanwhile opens on the same day.
    ada_today, grace_today = local_today(before_dawn), local_today(evening)

    run_send_due(drain, times=2)

    assert mail.messages == []
    assert not SentMessage.objects.exists()
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == late.status == Enrollment.Status.ACTIVE
    assert early.next_position == late.next_position == 1
    # Later today where it is before dawn; tomorrow where the window has closed.
    assert early.next_send_at == opening(ada_today, before_dawn)
    assert late.next_send_at == opening(grace_today + timedelta(days=1), evening)
    for enrollment, zone in ((early, before_dawn), (late, evening)):
        assert enrollment.next_send_at.astimezone(ZoneInfo(zone)).time() == window()[0]


def test_a_company_pause_holds_the_step_until_it_ends_unless_the_sequence_sends_during_pauses(
    every_day_worker, drain, mail, rita
):
    zone = a_timezone_in_office_hours()
    today = local_today(zone)
    helix = CompanyFactory(name="Helix Intelligence")
    pause = CompanyPause.objects.create(
        company=helix, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=3)
    )
    ada, grace = (
        CandidateFactory(name=name, owner=rita, timezone=zone, current_company=helix, email=email)
        for name, email in (("Ada Lovelace", "ada@x.org"), ("Grace Hopper", "grace@x.org"))
    )
    held = enroll(ada, a_sequence("Researchers", 0), by=rita, now=timezone.now() - MINUTE)
    enroll(
        grace,
        a_sequence("Urgent", 0, send_during_pause=True),
        by=rita,
        now=timezone.now() - MINUTE,
    )

    run_send_due(drain)

    [message] = mail.messages
    assert (message["To"], message["Subject"]) == ("grace@x.org", "Step 1 for Grace")
    held.refresh_from_db()
    assert held.status == Enrollment.Status.ACTIVE and held.next_position == 1
    # The day after the pause's last day, when the window opens.
    assert held.next_send_at == opening(pause.ends_on + timedelta(days=1), zone)


def test_a_sender_sends_no_more_than_the_daily_cap_and_the_rest_go_the_next_day(
    capped_worker, drain, mail, rita
):
    zone = a_timezone_in_office_hours()
    sam = UserFactory(
        username="sam", first_name="Sam", last_name="Sourcer", email="sam@closer.example"
    )
    sequence = a_sequence("Researchers", 0)
    names = ["Ada Lovelace", "Grace Hopper", "Edsger Dijkstra"]
    ritas = [CandidateFactory(name=name, owner=rita, timezone=zone) for name in names]
    barbara = CandidateFactory(name="Barbara Liskov", owner=sam, timezone=zone)
    started = timezone.now()
    # Enrolled a minute apart: the job sends the longest due first.
    enrollments = [
        enroll(candidate, sequence, by=rita, now=started - (3 - i) * MINUTE)
        for i, candidate in enumerate(ritas)
    ]
    enroll(barbara, sequence, by=sam, now=started - MINUTE)

    run_send_due(drain)

    # Rita's cap of 2 is reached; Sam's emails are his own.
    assert sorted(m["Subject"] for m in mail.messages) == [
        "Step 1 for Ada",
        "Step 1 for Barbara",
        "Step 1 for Grace",
    ]
    assert sorted(m["From"] for m in mail.messages) == [
        "Rita Recruiter <rita@closer.example>",
        "Rita Recruiter <rita@closer.example>",
        "Sam Sourcer <sam@closer.example>",
    ]
    third = enrollments[2]
    third.refresh_from_db()
    assert third.status == Enrollment.Status.ACTIVE and third.next_position == 1
    next_utc_day = started.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert third.next_send_at == first_window_moment_from(next_utc_day, zone)

    # A second run the same day sends nothing more.
    run_send_due(drain)
    assert len(mail.messages) == 3

    # The next day: yesterday's emails no longer count, and the third goes out.
    days_pass(third)
    SentMessage.objects.update(claimed_at=F("claimed_at") - timedelta(days=1))
    run_send_due(drain)
    assert len(mail.messages) == 4
    assert mail.messages[3]["Subject"] == "Step 1 for Edsger"
    assert Enrollment.objects.filter(status=Enrollment.Status.COMPLETED).count() == 4


def test_every_run_twice_sends_each_step_once_to_each_candidate(
    every_day_worker, drain, mail, rita
):
    zone = a_timezone_in_office_hours()
    people = {
        "Ada Lovelace": "ada@x.org",
        "Grace Hopper": "grace@x.org",
        "Edsger Dijkstra": "edsger@x.org",
    }
    sequence = a_sequence("Researchers", 0, 1)
    enrollments = [
        enroll(
            CandidateFactory(name=name, owner=rita, timezone=zone, email=email),
            sequence,
            by=rita,
            now=timezone.now() - MINUTE,
        )
        for name, email in people.items()
    ]

    run_send_due(drain, times=2)
    assert len(mail.messages) == 3
    days_pass(*enrollments)
    run_send_due(drain, times=2)

    received = sorted((m["To"], m["Subject"]) for m in mail.messages)
    assert received == sorted(
        (email, f"Step {step} for {name.split()[0]}")
        for name, email in people.items()
        for step in (1, 2)
    )
    assert SentMessage.objects.filter(status=SentMessage.Status.SENT).count() == 6
    assert set(Enrollment.objects.values_list("status", flat=True)) == {Enrollment.Status.COMPLETED}
    assert Activity.objects.filter(kind="email", summary__contains=" of Researchers: ").count() == 6
