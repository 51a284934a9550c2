"""Erasing a person (the candidate admin's "Erase personal data", services.erase_person): no
trace of them is left in any column of any table, history and alerts included; their outreach
stops; the erasure is recorded without their data; what must not be erased now is refused
with the rule, and nothing changes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from candidates.models import Candidate
from offers.models import OfferLetter, OfferSignature
from recruiting.alerts.models import Alert
from recruiting.outreach.models import Enrollment
from recruiting.privacy.models import Erasure
from recruiting.privacy.services import PrivacyError, erase_person
from tests.factories import OfferFactory, UserFactory
from tests.privacy.conftest import EMAIL, NAME, OTHER_EMAIL, VISITOR
from tests.privacy.helpers import columns_mentioning, models_mentioning

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:candidates_candidate_changelist")
WORDS = (NAME, EMAIL, OTHER_EMAIL)


def erase_in_admin(client, candidate, **extra):
    return client.post(
        CHANGELIST,
        {"action": "erase_action", "_selected_action": [candidate.pk], "apply": "1", **extra},
        follow=True,
    )


def test_after_erasing_no_column_of_any_table_holds_their_name_or_addresses(
    zelda, client, superuser
):
    before = models_mentioning(*WORDS)
    # The person is everywhere first: the search would find a trace left behind.
    assert {
        "candidates_candidate.name",
        "candidates_candidate.search_text",
        "pipeline_activity.summary",
        "pipeline_activity.body",
        "outreach_sentmessage.subject",
        "offers_offersignature.typed_name",
        "offers_historicalcompetingoffer.notes",
        "offers_offer.last_comment",
        "offers_historicaloffer.last_comment",
        "offers_approval.comment",
        "alerts_alert.subject",
        "alerts_alert.context",
        "django_admin_log.object_repr",
        "candidates_candidateimport.preview",
        "candidates_candidateimport.row_errors",
    } <= before[NAME]
    assert {
        "candidates_candidateemail.email",
        "outreach_sentmessage.to_email",
        "alerts_alert.to_email",
        "django_admin_log.change_message",
    } <= before[EMAIL]
    assert (
        "offers_offersignature.ip_address"
        in models_mentioning(VISITOR.ip_address)[VISITOR.ip_address]
    )

    client.force_login(superuser)
    response = erase_in_admin(client, zelda.candidate, confirm="on")

    assert response.status_code == 200
    assert f"Erased the data of 1 person(s) (candidate {zelda.candidate.pk})" in (
        response.content.decode()
    )
    assert models_mentioning(*WORDS) == {word: set() for word in WORDS}
    assert columns_mentioning(*WORDS, "Quartermaine", VISITOR.ip_address) == {
        word: set() for word in (*WORDS, "Quartermaine", VISITOR.ip_address)
    }
    # The files that held their name are emptied; the hashes that prove them stay.
    assert all(len(bytes(letter.pdf)) == 0 for letter in OfferLetter.objects.all())
    signature = OfferSignature.objects.get()
    assert len(bytes(signature.signed_pdf)) == 0 and signature.signed_pdf_sha256


def test_erasing_keeps_the_record_and_its_figures_but_not_the_person(zelda, superuser):
    candidate = zelda.candidate
    erase_person(candidate, by=superuser)

    candidate.refresh_from_db()
    assert candidate.name == f"Erased person {candidate.pk}"
    assert candidate.phone == "" and candidate.linkedin_url == "" and candidate.current_title == ""
    assert candidate.do_not_contact is True
    assert not candidate.emails.exists()
    # What is not about the person stays for the figures: the pipeline, the offer's amounts.
    assert candidate.specialty == Candidate.Specialty.PRETRAINING
    zelda.offer.refresh_from_db()
    assert zelda.offer.base_salary == 400_000
    assert zelda.application.activities.exists()
    # Alerts about her say nothing of her any more, and none waits to be sent.
    assert not Alert.objects.filter(status=Alert.Status.PENDING).exists()
    assert set(Alert.objects.exclude(to_email="").values_list("to_email", flat=True)) == {
        "erased@erased.invalid"
    }


def test_their_outreach_is_stopped_through_the_outreach_service(zelda, superuser):
    assert zelda.active_enrollment.status == Enrollment.Status.ACTIVE

    result = erase_person(zelda.candidate, by=superuser)

    zelda.active_enrollment.refresh_from_db()
    assert zelda.active_enrollment.status == Enrollment.Status.STOPPED
    assert zelda.active_enrollment.stopped_reason == "The person's data was erased."
    assert zelda.active_enrollment.next_send_at is None
    assert result.enrollments_stopped == 1
    assert not Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).exists()


def test_the_erasure_is_recorded_with_who_when_and_counts_and_nothing_of_theirs(zelda, superuser):
    erase_person(zelda.candidate, by=superuser)

    erasure = Erasure.objects.get()
    assert erasure.candidate_id == zelda.candidate.pk
    assert erasure.erased_by == superuser and erasure.reason == Erasure.Reason.REQUEST
    assert erasure.counts["candidates.candidate"] == 1
    assert erasure.counts["candidates.candidateemail"] == 2
    assert erasure.counts["offers.historicalcompetingoffer"] >= 1
    assert erasure.counts["alerts.alert"] >= 3
    record = str(
        {f.name: getattr(erasure, f.attname) for f in Erasure._meta.concrete_fields}
    ).lower()
    for word in (*WORDS, "zelda", "quartermaine"):
        assert word.lower() not in record


def test_erasing_twice_is_refused_with_the_rule(zelda, superuser):
    erase_person(zelda.candidate, by=superuser)

    with pytest.raises(PrivacyError, match="was erased already"):
        erase_person(zelda.candidate, by=superuser)
    assert Erasure.objects.count() == 1


def test_a_person_with_an_open_offer_is_refused_and_nothing_changes(client, superuser, recruiter):
    offer = OfferFactory(drafted_by=recruiter)
    candidate = offer.application.candidate
    name = candidate.name
    client.force_login(superuser)

    response = erase_in_admin(client, candidate, confirm="on")

    page = response.content.decode()
    assert "an offer still open cannot be erased; rescind or close it first" in page
    candidate.refresh_from_db()
    assert candidate.name == name and candidate.emails.exists()
    assert not Erasure.objects.exists()


def test_the_erasure_asks_for_confirmation_first(zelda, client, superuser):
    client.force_login(superuser)

    response = erase_in_admin(client, zelda.candidate)

    assert "Tick the box to confirm the erasure." in response.content.decode()
    zelda.candidate.refresh_from_db()
    assert zelda.candidate.name == NAME and not Erasure.objects.exists()


def test_only_who_holds_the_permission_is_offered_the_action(client, recruiter, zelda):
    client.force_login(recruiter)
    actions = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert "erase_action" not in [name for name, _ in actions]

    recruiter.user_permissions.add(Permission.objects.get(codename="erase_personal_data"))
    recruiter = UserFactory._meta.model.objects.get(pk=recruiter.pk)  # permissions re-read
    client.force_login(recruiter)
    actions = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert "erase_action" in [name for name, _ in actions]
