"""Outreach on the application page: the candidate's enrollments listed, enrolling them in a
sequence (or the rule that refuses it, on the form), and marking them replied."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from candidates.models import CandidateEmail
from recruiting.outreach.models import (
    Enrollment,
    MessageTemplate,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import enroll, send_due_steps, stop_enrollment
from recruiting.pipeline.models import Activity, Application
from recruiting.pipeline.services import mark_lost
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    RoleFactory,
    UserFactory,
    prospect,
)

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 10:00 in Los Angeles (the factories' candidate timezone), and two
# business days on, when a first step with a delay of 2 is due.
MONDAY_10_LA = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
WEDNESDAY_10_LA = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


def page_url(application: Application) -> str:
    return reverse("web:application", args=[application.pk])


def enroll_url(application: Application) -> str:
    return reverse("web:enroll", args=[application.pk])


def replied_url(application: Application, enrollment: Enrollment) -> str:
    return reverse("web:mark_replied", args=[application.pk, enrollment.pk])


@pytest.fixture
def template(db):
    return MessageTemplate.objects.create(
        name="First touch",
        subject="{{ candidate.first_name }}, {{ role.title }}?",
        body_text="Hi {{ candidate.first_name }},\n\n{{ sender.name }}",
    )


def make_sequence(name: str, template: MessageTemplate, steps: int = 2) -> Sequence:
    sequence = Sequence.objects.create(name=name)
    for position in range(1, steps + 1):
        SequenceStep.objects.create(
            sequence=sequence, position=position, template=template, delay_business_days=2
        )
    return sequence


@pytest.fixture
def sequence(template):
    return make_sequence("Researchers", template)


@pytest.fixture
def application(recruiter, hiring_manager):
    candidate = CandidateFactory(name="Ada Lovelace", owner=recruiter, email="ada@example.org")
    role = RoleFactory(title="Pre-training Lead", city="Paris", hiring_manager=hiring_manager)
    return ApplicationFactory(candidate=candidate, role=role, by=recruiter)


def enrolled(application, sequence, by):
    return enroll(application.candidate, sequence, by=by, application=application, now=MONDAY_10_LA)


def sequence_field_error(html: str, message: str) -> bool:
    """The message is shown under the form's sequence field."""
    start = html.index('id="enroll-form"')
    form = html[start : html.index("</form>", start)]
    return 'id="error_1_id_outreach-sequence"' in form and escape(message) in form


# --- What each user sees ----------------------------------------------------------------------


def test_the_section_lists_each_enrollment_with_its_status_next_step_and_what_was_sent(
    client, recruiter, application, sequence, template, mailoutbox
):
    sent_one = enrolled(application, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)  # step 1 goes; step 2 is due three business days on
    stopped = enrolled(application, make_sequence("Leads", template, steps=3), recruiter)
    stop_enrollment(stopped, reason="Met at NeurIPS instead.")
    client.force_login(recruiter)

    html = client.get(page_url(application)).content.decode()

    section = html[html.index('id="outreach"') :]
    assert "Researchers" in section and "Leads" in section
    assert ">Active</span>" in section and ">Stopped</span>" in section
    sent_one.refresh_from_db()
    assert "Step 2 of 2" in section
    # In UTC, the page's zone, and at the candidate's own clock (Los Angeles, 8 hours behind).
    due = sent_one.next_send_at
    assert due.hour == 18  # three business days after step 1 went at 10:00 their time
    assert f"due {due:%-d %b %Y %H:%M} UTC · 10:00 their time" in section
    assert "1 of 2" in section  # steps sent
    assert "0 of 3" in section
    assert "Met at NeurIPS instead." in section
    assert f'id="mark-replied-{sent_one.pk}"' in section
    assert f'id="mark-replied-{stopped.pk}"' not in section  # only an active one replies
    assert 'id="enroll-form"' in section


def test_without_enrollments_the_section_says_so_and_offers_only_sequences_that_can_enroll(
    client, recruiter, application, sequence, template
):
    Sequence.objects.create(name="Empty one")  # no steps
    inactive = make_sequence("Retired one", template)
    inactive.active = False
    inactive.save()
    client.force_login(recruiter)

    html = client.get(page_url(application)).content.decode()

    assert "Not enrolled in any sequence." in html
    assert f'<option value="{sequence.pk}">Researchers</option>' in html
    assert "Empty one" not in html and "Retired one" not in html


def test_a_hiring_manager_sees_the_enrollments_but_no_form_and_is_refused_the_steps(
    client, hiring_manager, recruiter, application, sequence
):
    enrollment = enrolled(application, sequence, recruiter)
    other = make_sequence("Leads", sequence.steps.first().template)
    client.force_login(hiring_manager)

    html = client.get(page_url(application)).content.decode()
    enrolling = client.post(enroll_url(application), {"outreach-sequence": other.pk})
    replying = client.post(replied_url(application, enrollment))

    assert "Researchers" in html and ">Active</span>" in html
    assert 'id="enroll-form"' not in html and "Mark replied" not in html
    assert enrolling.status_code == 404 and replying.status_code == 404
    assert list(Enrollment.objects.values_list("sequence__name", "status")) == [
        ("Researchers", "active")
    ]


def test_a_hiring_manager_given_the_right_may_enroll(client, hiring_manager, application, sequence):
    hiring_manager.user_permissions.add(Permission.objects.get(codename="change_candidate"))
    client.force_login(hiring_manager)

    assert 'id="enroll-form"' in client.get(page_url(application)).content.decode()
    page = client.post(enroll_url(application), {"outreach-sequence": sequence.pk}, follow=True)

    assert "Enrolled Ada Lovelace in Researchers" in page.content.decode()
    assert Enrollment.objects.get().enrolled_by == hiring_manager


def test_an_outsider_and_another_roles_hiring_manager_get_404_everywhere(
    client, outsider, recruiter, application, sequence
):
    enrollment = enrolled(application, sequence, recruiter)
    other_manager = UserFactory(username="other_manager")
    other_manager.user_permissions.add(Permission.objects.get(codename="change_candidate"))
    RoleFactory(hiring_manager=other_manager)
    other = make_sequence("Leads", sequence.steps.first().template)

    for user in (outsider, other_manager):
        client.force_login(user)
        assert client.get(page_url(application)).status_code == 404
        assert client.post(
            enroll_url(application), {"outreach-sequence": other.pk}
        ).status_code == (404)
        assert client.post(replied_url(application, enrollment)).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert Enrollment.objects.count() == 1


# --- Enrolling --------------------------------------------------------------------------------


def test_a_recruiter_enrolls_the_candidate_and_sees_when_step_one_goes_out(
    client, recruiter, application, sequence
):
    client.force_login(recruiter)

    page = client.post(enroll_url(application), {"outreach-sequence": sequence.pk}, follow=True)

    assert page.redirect_chain == [(page_url(application), 302)]
    enrollment = Enrollment.objects.get()
    assert (enrollment.candidate, enrollment.application, enrollment.enrolled_by) == (
        application.candidate,
        application,
        recruiter,
    )
    html = page.content.decode()
    assert (
        f"Enrolled Ada Lovelace in Researchers; step 1 goes out on "
        f"{enrollment.next_send_at:%-d %b %Y}, in their working hours."
    ) in html
    assert "Step 1 of 2" in html and ">Active</span>" in html


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        ("do_not_contact", "Ada Lovelace is marked do-not-contact."),
        ("no_email", "Ada Lovelace has no email address."),
        ("already_enrolled", "Ada Lovelace is already enrolled in Researchers."),
    ],
)
def test_an_enrollment_the_rules_refuse_shows_why_on_the_field_and_saves_nothing(
    client, recruiter, application, sequence, arrange, message
):
    candidate = application.candidate
    if arrange == "do_not_contact":
        candidate.do_not_contact = True
        candidate.save()
    elif arrange == "no_email":
        CandidateEmail.objects.filter(candidate=candidate).delete()
    else:
        enrolled(application, sequence, recruiter)
    before = list(Enrollment.objects.values_list("pk", flat=True))
    client.force_login(recruiter)

    page = client.post(enroll_url(application), {"outreach-sequence": sequence.pk})

    assert page.status_code == 200
    html = page.content.decode()
    assert sequence_field_error(html, message)
    assert f'<option value="{sequence.pk}" selected>Researchers' in html
    assert list(Enrollment.objects.values_list("pk", flat=True)) == before
    assert "Enrolled Ada Lovelace" not in html


def test_a_sequence_that_cannot_enroll_posted_by_hand_is_refused(
    client, recruiter, application, sequence
):
    sequence.active = False
    sequence.save()
    empty = Sequence.objects.create(name="Empty one")
    client.force_login(recruiter)

    for chosen in (sequence, empty):
        page = client.post(enroll_url(application), {"outreach-sequence": chosen.pk})

        assert page.status_code == 200
        assert sequence_field_error(
            page.content.decode(), "Choose an active sequence that has steps."
        )
    assert not Enrollment.objects.exists()


def test_a_closed_application_offers_no_form_and_refuses_an_enrollment(
    client, recruiter, application, sequence
):
    mark_lost(application, reason="not_interested", by=recruiter)
    client.force_login(recruiter)

    html = client.get(page_url(application)).content.decode()
    page = client.post(enroll_url(application), {"outreach-sequence": sequence.pk})

    assert 'id="enroll-form"' not in html and "enroll from an open one" in html
    assert page.status_code == 200
    assert sequence_field_error(
        page.content.decode(),
        f"Ada Lovelace's application to {application.role.title} is lost; enroll from an open one.",
    )
    assert not Enrollment.objects.exists()


# --- Marking replied --------------------------------------------------------------------------


def test_mark_replied_stops_every_active_enrollment_of_the_candidate(
    client, recruiter, application, sequence, template
):
    first = enrolled(application, sequence, recruiter)
    second = enrolled(application, make_sequence("Leads", template), recruiter)
    client.force_login(recruiter)

    page = client.post(replied_url(application, first), follow=True)

    assert page.redirect_chain == [(page_url(application), 302)]
    html = page.content.decode()
    assert "Ada Lovelace replied: 2 enrollments marked replied, no more emails go out." in html
    outreach = html[html.index('id="outreach"') :]
    outreach = outreach[: outreach.index("</section>")]
    assert outreach.count(">Replied</span>") == 2 and "Mark replied" not in html
    # The application moved on from Sourced to the role's Replied stage.
    application.refresh_from_db()
    assert application.stage.kind == "replied"
    assert "Replied (marked by Rita Recruiter)." in html
    for enrollment in (first, second):
        enrollment.refresh_from_db()
        assert enrollment.status == Enrollment.Status.REPLIED
    assert Activity.objects.filter(summary__startswith="Replied to the outreach").count() == 1


def test_a_reply_after_the_last_step_marks_the_completed_enrollment_replied(
    client, recruiter, application, template, mailoutbox
):
    one_step = make_sequence("One note", template, steps=1)
    enrollment = enrolled(application, one_step, recruiter)
    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 1}
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    client.force_login(recruiter)
    assert "Mark replied" in client.get(page_url(application)).content.decode()

    page = client.post(replied_url(application, enrollment), follow=True)

    assert "Ada Lovelace replied: 1 enrollment marked replied" in page.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REPLIED


def test_marking_a_stopped_enrollment_replied_is_a_message_not_an_error_page(
    client, recruiter, application, sequence
):
    enrollment = enrolled(application, sequence, recruiter)
    stop_enrollment(enrollment, reason="Paused by hand.")
    client.force_login(recruiter)

    page = client.post(replied_url(application, enrollment), follow=True)

    assert page.status_code == 200
    assert "This enrollment is already stopped." in page.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED


def test_another_candidates_enrollment_cannot_be_marked_from_this_page(
    client, recruiter, application, sequence
):
    stranger = enroll(prospect(), sequence, by=recruiter)
    client.force_login(recruiter)

    assert client.post(replied_url(application, stranger)).status_code == 404
    stranger.refresh_from_db()
    assert stranger.status == Enrollment.Status.ACTIVE


# --- Staying fast -----------------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_page_reads_one_or_five_enrollments_in_as_many_queries(
    client, recruiter, hiring_manager, template, mailoutbox
):
    one = ApplicationFactory(role=RoleFactory(hiring_manager=hiring_manager), by=recruiter)
    five = ApplicationFactory(role=RoleFactory(hiring_manager=hiring_manager), by=recruiter)
    for application, count in ((one, 1), (five, 5)):
        for i in range(count):
            enrolled(
                application, make_sequence(f"Sequence {application.pk}-{i}", template), recruiter
            )
    send_due_steps(WEDNESDAY_10_LA)  # a sent message on each
    assert SentMessage.objects.filter(status="sent").count() == 6
    client.force_login(recruiter)

    html = client.get(page_url(five)).content.decode()

    assert html.count("Mark replied</button>") == 5
    assert queries_for(client, page_url(one)) == queries_for(client, page_url(five))
    client.force_login(hiring_manager)  # the list without the forms: just as flat
    assert queries_for(client, page_url(one)) == queries_for(client, page_url(five))


def test_a_do_not_contact_candidate_is_offered_no_enroll_form(client, recruiter, application):
    application.candidate.do_not_contact = True
    application.candidate.save(update_fields=["do_not_contact"])
    client.force_login(recruiter)

    section = client.get(page_url(application)).content.decode()
    section = section[section.index('id="outreach"') :]

    assert "Ada Lovelace is marked do-not-contact." in section
    assert 'id="enroll-form"' not in section


def test_the_card_says_which_application_each_enrollment_is_about_and_when_one_may_reply(
    client, recruiter, application, sequence, template, mailoutbox
):
    other = ApplicationFactory(
        candidate=application.candidate, role=RoleFactory(title="Inference Lead"), by=recruiter
    )
    here = enrolled(application, sequence, recruiter)
    there = enroll(
        application.candidate, make_sequence("Leads", template), by=recruiter, application=other
    )
    client.force_login(recruiter)

    section = client.get(page_url(application)).content.decode()
    section = section[section.index('id="outreach"') :]

    assert "for this application" in section and "for Inference Lead, San Francisco" in section
    # Nothing was sent yet: there is nothing to reply to.
    assert f'id="mark-replied-{here.pk}"' not in section
    assert f'id="mark-replied-{there.pk}"' not in section
    # The form says which sequences she is in already.
    assert ">Researchers (enrolled already)</option>" in section


def test_an_application_past_contacted_offers_no_enroll_form(client, recruiter, application):
    from recruiting.pipeline.services import move_stage

    move_stage(application, application.role.stages.get(kind="screen"), by=recruiter)
    client.force_login(recruiter)

    section = client.get(page_url(application)).content.decode()
    section = section[section.index('id="outreach"') :]

    assert 'id="enroll-form"' not in section
    assert "This application is at Screen, past Contacted" in section


def test_a_hiring_manager_sees_only_the_outreach_about_their_roles(
    client, recruiter, hiring_manager, application, sequence, template
):
    other = ApplicationFactory(
        candidate=application.candidate, role=RoleFactory(title="Inference Lead"), by=recruiter
    )
    enrolled(application, sequence, recruiter)
    enroll(application.candidate, make_sequence("Leads", template), by=recruiter, application=other)
    client.force_login(hiring_manager)

    section = client.get(page_url(application)).content.decode()
    section = section[section.index('id="outreach"') :]

    assert "Researchers" in section and "for this application" in section
    assert "Leads" not in section and "Inference Lead" not in section
