"""What stops a sequence: a reply (the admin action too), the opt-out link, do-not-contact,
a move past contacted, a lost or deleted application, a filled role, even when it
happens while the job runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from candidates.models import CandidateEmail
from recruiting.outreach.models import (
    AddressBounce,
    Enrollment,
    SentMessage,
    Sequence,
    SequenceStep,
)
from recruiting.outreach.services import (
    OutreachError,
    add_business_days,
    enroll,
    enrollment_for_unsubscribe_subject,
    mark_replied,
    opt_out,
    send_due_steps,
)
from recruiting.pipeline.models import Application, Role, Stage
from recruiting.pipeline.services import mark_lost, move_stage
from tests.factories import prospect
from tests.outreach.sending_helpers import OPT_OUT, WEDNESDAY_10_LA, enrolled

pytestmark = pytest.mark.django_db


# --- Stopping --------------------------------------------------------------------------------


def test_a_reply_stops_every_enrollment_and_nothing_is_sent_after(
    ada, sequence, template, recruiter, mailoutbox
):
    other = Sequence.objects.create(name="Engineers")
    SequenceStep.objects.create(sequence=other, position=1, template=template)
    SequenceStep.objects.create(sequence=other, position=2, template=template)
    first = enrolled(ada, sequence, recruiter)
    second = enrolled(ada, other, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    assert len(mailoutbox) == 2

    assert mark_replied(first, by=recruiter) == 2

    for enrollment in (first, second):
        enrollment.refresh_from_db()
        assert enrollment.status == Enrollment.Status.REPLIED
        assert enrollment.next_send_at is None
    assert send_due_steps(WEDNESDAY_10_LA + timedelta(days=30)) == {}
    assert len(mailoutbox) == 2


def test_the_admin_action_marks_replied(ada, sequence, recruiter, recruiter_client, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)

    response = recruiter_client.post(
        reverse("admin:outreach_enrollment_changelist"),
        {"action": "mark_replied_action", "_selected_action": [enrollment.pk]},
        follow=True,
    )

    assert "Marked 1 enrollment(s) as replied." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REPLIED
    assert send_due_steps(WEDNESDAY_10_LA) == {}


def test_the_admin_action_on_two_enrollments_of_one_candidate_warns_of_nothing(
    ada, sequence, template, recruiter, recruiter_client
):
    other = Sequence.objects.create(name="Engineers")
    SequenceStep.objects.create(sequence=other, position=1, template=template)
    both = [enrolled(ada, sequence, recruiter).pk, enrolled(ada, other, recruiter).pk]

    response = recruiter_client.post(
        reverse("admin:outreach_enrollment_changelist"),
        {"action": "mark_replied_action", "_selected_action": both},
        follow=True,
    )

    page = response.content.decode()
    assert "Marked 2 enrollment(s) as replied." in page
    assert "already" not in page
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"replied"}


def test_a_reply_to_the_last_step_marks_the_completed_enrollment_replied(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    send_due_steps(add_business_days(WEDNESDAY_10_LA, 3))
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED and len(mailoutbox) == 2

    assert mark_replied(enrollment, by=recruiter) == 1

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REPLIED
    assert enrollment.stopped_reason == "Replied (marked by Rita Recruiter)."


def test_the_opt_out_link_stops_everything_and_marks_do_not_contact(
    ada, sequence, template, recruiter, client, mailoutbox
):
    other = Sequence.objects.create(name="Engineers")
    SequenceStep.objects.create(
        sequence=other, position=1, template=template, delay_business_days=9
    )
    enrollment = enrolled(ada, sequence, recruiter)
    later = enrolled(ada, other, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    path = OPT_OUT.search(mailoutbox[0].body).group(0).split("://", 1)[1].partition("/")[2]

    page = client.get(f"/{path}")
    assert page.status_code == 200
    assert "Stop all emails" in page.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.is_active  # a GET (a link scanner) changes nothing

    done = client.post(f"/{path}")
    assert done.status_code == 200
    assert "no more emails" in done.content.decode()
    ada.refresh_from_db()
    assert ada.do_not_contact
    for e in (enrollment, later):
        e.refresh_from_db()
        assert e.status == Enrollment.Status.OPTED_OUT
    assert send_due_steps(WEDNESDAY_10_LA + timedelta(days=60)) == {}
    # The link opened again says it is done, rather than ask again.
    again = client.get(f"/{path}").content.decode()
    assert "You will get no more emails from us" in again and "Stop all emails" not in again
    assert len(mailoutbox) == 1


def test_a_tampered_opt_out_token_is_a_404(ada, sequence, recruiter, client, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    token = OPT_OUT.search(mailoutbox[0].body).group(0).rstrip("/").rpartition("/")[2]
    value, _, signature = token.partition(":")
    forged = f"{enrollment.pk + 1}:{signature}"

    assert client.get(reverse("outreach:opt_out", args=[forged])).status_code == 404
    assert client.post(reverse("outreach:opt_out", args=[forged])).status_code == 404
    assert client.post(reverse("outreach:opt_out", args=["nonsense"])).status_code == 404
    ada.refresh_from_db()
    assert not ada.do_not_contact


def test_a_candidate_saved_do_not_contact_is_stopped_at_once(ada, sequence, recruiter, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)
    ada.do_not_contact = True
    ada.save(update_fields=["do_not_contact"])  # as the admin's form and an import save it

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stopped_reason == "The candidate is marked do-not-contact."
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert mailoutbox == []


def test_the_bulk_do_not_contact_action_stops_enrollments_at_once(
    ada, sequence, recruiter, recruiter_client, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)

    recruiter_client.post(
        reverse("admin:candidates_candidate_changelist"),
        {"action": "mark_do_not_contact_action", "_selected_action": [ada.pk]},
    )

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert mailoutbox == []


def test_a_do_not_contact_flag_set_behind_the_services_back_still_stops_at_send(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    type(ada).objects.filter(pk=ada.pk).update(do_not_contact=True)  # no signal: a raw update

    assert send_due_steps(WEDNESDAY_10_LA) == {"stopped": 1}

    assert mailoutbox == []
    enrollment.refresh_from_db()
    assert enrollment.stopped_reason == "The candidate is marked do-not-contact."


def test_an_application_moved_past_contacted_stops_the_enrollment(
    ada, application, sequence, role, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    move_stage(application, role.stages.get(kind=Stage.Kind.SCREEN), by=recruiter)

    # At once, not at the next send: the page shows no step due that will never go.
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stopped_reason == "The application moved to Screen, past contacted."
    assert enrollment.next_send_at is None
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert mailoutbox == []


def test_an_application_lost_stops_its_enrollment_at_once(
    ada, application, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)

    mark_lost(application, reason=Application.LostReason.NOT_INTERESTED, by=recruiter)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stopped_reason == "The application is lost."
    assert send_due_steps(WEDNESDAY_10_LA) == {}


def test_a_move_within_sourced_and_contacted_leaves_the_enrollment_going(
    ada, application, sequence, role, recruiter
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    move_stage(application, role.stages.get(kind=Stage.Kind.CONTACTED), by=recruiter)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_the_admin_action_says_which_enrollments_it_left_because_they_had_ended(
    ada, sequence, recruiter, recruiter_client
):
    enrollment = enrolled(ada, sequence, recruiter)
    opt_out(enrollment)

    response = recruiter_client.post(
        reverse("admin:outreach_enrollment_changelist"),
        {"action": "mark_replied_action", "_selected_action": [enrollment.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "Marked 0 enrollment(s) as replied." in page
    assert "Left as they were, having ended already: Ada Lovelace (opted out)." in page


def test_a_reply_committed_after_the_job_read_the_enrollment_still_stops_the_email(
    ada, application, sequence, recruiter, mailoutbox
):
    from recruiting.outreach.services import _claim

    enrollment = enrolled(ada, sequence, recruiter, application)
    stale = Enrollment.objects.get(pk=enrollment.pk)  # as the job read it, due and active
    step = sequence.steps.get(position=1)
    mark_replied(enrollment, by=recruiter)  # the recruiter, in between

    assert _claim(stale, step, recruiter, WEDNESDAY_10_LA) == "skipped"
    assert not SentMessage.objects.exists()
    assert send_due_steps(WEDNESDAY_10_LA) == {}
    assert mailoutbox == []


def test_a_role_filled_meanwhile_stops_the_pitch_and_takes_no_one_new(
    ada, application, sequence, role, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    grace = prospect(role=role, name="Grace Hopper", owner=recruiter)
    role.status = Role.Status.FILLED
    role.save(update_fields=["status"])

    assert send_due_steps(WEDNESDAY_10_LA) == {"stopped": 1}
    assert mailoutbox == []
    enrollment.refresh_from_db()
    assert enrollment.stopped_reason == "The role is filled."

    with pytest.raises(OutreachError) as raised:
        enroll(grace, sequence, by=recruiter)
    assert raised.value.message == (f"The role {role.title} is filled: there is nothing to pitch.")


def test_a_deleted_application_stops_a_sequence_that_names_the_role(
    ada, application, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter, application)
    application.delete()

    assert send_due_steps(WEDNESDAY_10_LA) == {"stopped": 1}

    assert mailoutbox == []  # no "Ada, in ?"
    enrollment.refresh_from_db()
    assert enrollment.stopped_reason == (
        "The step names the role, and there is no application to name."
    )


def test_a_mail_clients_one_click_unsubscribe_needs_no_cookie_nor_token(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    link = OPT_OUT.search(mailoutbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].partition("/")[2]
    mail_client = Client(enforce_csrf_checks=True)  # no cookie, no form: RFC 8058's POST

    done = mail_client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert done.status_code == 200
    assert "no more emails" in done.content.decode()
    ada.refresh_from_db()
    enrollment.refresh_from_db()
    assert ada.do_not_contact and enrollment.status == Enrollment.Status.OPTED_OUT


def test_a_tampered_or_foreign_one_click_unsubscribe_does_nothing_and_says_so(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    token = OPT_OUT.search(mailoutbox[0].body).group(0).rstrip("/").rpartition("/")[2]
    value, _, signature = token.partition(":")
    foreign = signing.TimestampSigner(salt="another.purpose").sign(value)
    mail_client = Client(enforce_csrf_checks=True)

    for bad in (f"{value}:{signature[:-2]}xx", foreign):
        refused = mail_client.post(
            reverse("outreach:opt_out", args=[bad]),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert refused.status_code == 404
        assert "No such opt-out link" in refused.content.decode()

    ada.refresh_from_db()
    enrollment.refresh_from_db()
    assert not ada.do_not_contact and enrollment.is_active


def test_an_emailed_unsubscribe_names_its_enrollment_by_the_subject(
    ada, sequence, recruiter, mailoutbox
):
    enrollment = enrolled(ada, sequence, recruiter)
    send_due_steps(WEDNESDAY_10_LA)
    token = OPT_OUT.search(mailoutbox[0].body).group(0).rstrip("/").rpartition("/")[2]

    assert enrollment_for_unsubscribe_subject(f"Re: Unsubscribe {token}") == enrollment
    assert enrollment_for_unsubscribe_subject(f"unsubscribe {token}x") is None
    assert enrollment_for_unsubscribe_subject("Re: your email") is None


def test_a_step_never_goes_to_an_address_that_bounces(ada, sequence, recruiter, mailoutbox):
    enrollment = enrolled(ada, sequence, recruiter)
    # Marked bouncing without its enrollments stopped (an address added back by an import).
    AddressBounce.objects.create(
        address=CandidateEmail.objects.get(candidate=ada),
        status=AddressBounce.Status.HARD,
        first_bounced_at=WEDNESDAY_10_LA,
        last_bounced_at=WEDNESDAY_10_LA,
    )

    send_due_steps(WEDNESDAY_10_LA)

    assert mailoutbox == []
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stopped_reason == (
        "The candidate has no email address (or every one of theirs bounces)."
    )
