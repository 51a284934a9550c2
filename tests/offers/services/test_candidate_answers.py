"""The offer in the candidate's hands: sending emails them a private link and moves the
application to Offer; the link opens their page (and nothing of ours), refuses what it must
with a page that says why; they sign (once, whatever the clicks and tabs) or decline with a
reason, and the recruiter sees all of it."""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from candidates.models import Company
from offers.answers import AnswerRefused, DeclineAnswer, Visitor, decline, name_matches
from offers.links import live_link, revoke_link, token_for
from offers.models import OfferDecline, OfferLink, OfferSignature
from offers.services import rescind_offer, revise_offer, send_offer, submit_for_approval
from offers.views.candidate import CONTENT_SECURITY_POLICY as CANDIDATE_PAGE_POLICY
from recruiting.alerts.delivery import send_alert
from recruiting.alerts.models import Alert
from recruiting.lib.logs import RedactOfferLinks
from recruiting.pipeline.models import Activity, Application
from tests.factories import CompanyFactory
from tests.offers.services.helpers import Status, move_expiry_to_the_past, reload

VISITOR = Visitor(ip_address="203.0.113.7", user_agent="Mozilla/5.0 (iPhone) Safari")


@pytest.fixture
def sent(offer_in):
    return offer_in(Status.SENT)


def the_link(offer) -> OfferLink:
    link = live_link(offer)
    assert link is not None
    return link


def page_url(offer) -> str:
    return reverse("offers:for_candidate", args=[token_for(the_link(offer))])


def candidate_client() -> Client:
    return Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari")


def sign(client: Client, offer, name: str = "Ada Lovelace", consent: bool = True):
    page = client.get(page_url(offer))
    sha = page.context["letter"].sha256
    data = {"letter_sha256": sha, "typed_name": name}
    if consent:
        data["consent"] = "on"
    token = token_for(the_link(offer))
    return client.post(reverse("offers:sign", args=[token]), data)


def deliver_all() -> None:
    for alert in Alert.objects.filter(status=Alert.Status.PENDING, in_digest=False):
        send_alert(alert.pk)


# --- Sending -----------------------------------------------------------------------------------


def test_sending_emails_the_candidate_a_private_link_from_the_recruiter(sent, recruiter):
    deliver_all()

    to_candidate = [
        m for m in mail.outbox if m.to == [sent.application.candidate.emails.get().email]
    ]
    assert len(to_candidate) == 1
    message = to_candidate[0]
    assert message.from_email == f"Rita Recruiter <{recruiter.email}>"
    assert message.reply_to == [f"Rita Recruiter <{recruiter.email}>"]
    assert "http://testserver" not in message.body
    assert page_url(sent) in message.body
    # The outbox row keeps whom and why, never the link itself.
    row = Alert.objects.get(kind="offer_to_candidate")
    assert row.status == Alert.Status.SENT
    assert token_for(the_link(sent)) not in str(row.context)


def test_sending_moves_the_application_to_the_offer_stage(sent):
    assert sent.application.stage.name == "Offer"


def test_an_offer_to_a_candidate_without_an_address_is_not_sent(offer_in, recruiter):
    offer = offer_in(Status.APPROVED)
    offer.application.candidate.emails.all().delete()

    with pytest.raises(Exception, match="has no email address"):
        send_offer(offer, by=recruiter)

    assert reload(offer).status == Status.APPROVED
    assert not OfferLink.objects.exists()


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_the_offer_and_nothing_of_ours(sent):
    response = candidate_client().get(page_url(sent))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your offer: Senior Research Scientist, Pre-training" in page
    assert "Total rewards (USD)" in page
    assert "Base salary" in page
    for internal in ("band", "Band", "approv", "competing", "Competing"):
        assert internal not in page, internal
    # Its own policy, stricter than the workspace's (no nonce: nothing inline at all), which
    # the site-wide middleware does not replace.
    assert response["Content-Security-Policy"] == CANDIDATE_PAGE_POLICY
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert "<script>" not in page  # only its own file: the policy allows no inline script


def test_the_first_view_and_later_visits_are_activities_on_the_application(sent):
    client = candidate_client()
    client.get(page_url(sent))
    client.get(page_url(sent))  # a reload: the same visit
    link = live_link(sent)
    OfferLink.objects.filter(pk=link.pk).update(last_opened_at=timezone.now() - timedelta(hours=2))
    client.get(page_url(sent))

    summaries = list(
        Activity.objects.filter(application=sent.application, kind=Activity.Kind.OFFER)
        .order_by("occurred_at")
        .values_list("summary", flat=True)
    )
    assert summaries == [
        f"Opened their offer v{sent.version} for the first time",
        f"Viewed their offer v{sent.version} again",
    ]
    link.refresh_from_db()
    assert link.views == 3 and link.first_opened_at is not None


def test_the_letter_pdf_is_the_one_whose_fingerprint_the_page_shows(sent):
    client = candidate_client()
    page = client.get(page_url(sent))
    pdf = client.get(page_url(sent) + "letter.pdf")

    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == page.context["letter"].sha256
    assert page.context["letter"].sha256 in page.content.decode()


@pytest.mark.parametrize(
    ("how", "status", "words"),
    [
        ("tampered", 404, "This link is not valid."),
        ("revoked", 410, "This link was withdrawn by the recruiter."),
        ("expired", 410, "This offer has expired."),
        ("rescinded", 410, "This offer was withdrawn."),
        ("superseded", 410, "This offer was replaced by a newer version."),
    ],
)
def test_each_link_that_cannot_open_the_offer_says_why(sent, recruiter, how, status, words):
    url = page_url(sent)
    if how == "tampered":
        url = url.replace(":", ":x", 1)
    elif how == "revoked":
        revoke_link(sent, by=recruiter)
    elif how == "expired":
        move_expiry_to_the_past(sent)
    elif how == "rescinded":
        rescind_offer(sent, by=recruiter)
    elif how == "superseded":
        revision = revise_offer(sent, by=recruiter)
        send_offer(submit_for_approval(revision, by=recruiter), by=recruiter)

    response = candidate_client().get(url)

    assert response.status_code == status
    page = response.content.decode()
    assert words in page
    assert "Total rewards" not in page
    if how != "tampered":
        assert f'write to Rita Recruiter, <a href="mailto:{recruiter.email}">' in page


# --- Signing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "matches"),
    [
        ("Ada Lovelace", True),
        ("  ada   LOVELACE ", True),
        ("Ada King Lovelace", True),
        ("Ada Lovelace.", True),
        ("A. Lovelace", False),
        ("Grace Hopper", False),
        ("", False),
    ],
)
def test_the_typed_name_is_checked_loosely(typed, matches):
    assert name_matches(typed, "Ada Lovelace") is matches


def test_accents_and_case_do_not_matter():
    assert name_matches("frederique perez", "Frédérique Pérez")


def test_signing_accepts_the_offer_hires_and_keeps_the_audit_trail(sent, recruiter):
    response = sign(candidate_client(), sent)

    assert response.status_code == 302
    offer = reload(sent)
    assert offer.status == Status.ACCEPTED
    assert Application.objects.get(pk=offer.application_id).status == Application.Status.HIRED
    signature = OfferSignature.objects.get(offer=offer)
    assert signature.typed_name == "Ada Lovelace"
    assert signature.ip_address == "203.0.113.7"
    assert signature.user_agent == "Mozilla/5.0 (iPhone) Safari"
    assert "sign this offer letter electronically" in signature.consent_text
    assert hashlib.sha256(bytes(signature.signed_pdf)).hexdigest() == signature.signed_pdf_sha256
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(signature.signed_pdf)).pages)
    assert "Signature certificate" in text
    assert "Ada Lovelace" in text
    assert f"{signature.signed_at:%-d %B %Y}" in text
    assert signature.letter.sha256 in text.replace("\n", "")
    # The signed letter begins with the letter read, page for page.
    letter_pages = len(PdfReader(io.BytesIO(bytes(signature.letter.pdf))).pages)
    assert len(PdfReader(io.BytesIO(signature.signed_pdf)).pages) == letter_pages + 1


def test_the_signed_letter_goes_to_the_candidate_and_the_recruiter(sent, recruiter):
    deliver_all()  # the link
    sign(candidate_client(), sent)
    mail.outbox.clear()

    deliver_all()

    by_address = {tuple(m.to): m for m in mail.outbox}
    candidate_copy = by_address[(sent.application.candidate.emails.get().email,)]
    recruiter_copy = by_address[(recruiter.email,)]
    for message in (candidate_copy, recruiter_copy):
        (name, content, mimetype) = message.attachments[0]
        assert mimetype == "application/pdf" and name.endswith("-signed.pdf")
        assert content == bytes(OfferSignature.objects.get().signed_pdf)
    assert "Ada Lovelace signed offer v1" in recruiter_copy.subject


def test_a_second_click_or_tab_never_signs_twice(sent):
    first, second = candidate_client(), candidate_client()
    page = second.get(page_url(sent))  # the second tab is open before the first signs
    token = token_for(the_link(sent))

    sign(first, sent)
    response = second.post(
        reverse("offers:sign", args=[token]),
        {
            "letter_sha256": page.context["letter"].sha256,
            "typed_name": "Ada Lovelace",
            "consent": "on",
        },
    )

    assert "This offer is signed." in response.content.decode()
    assert OfferSignature.objects.count() == 1
    assert Activity.objects.filter(summary__startswith="Signed their offer").count() == 1


def test_a_wrong_name_or_no_consent_signs_nothing_and_says_which(sent):
    wrong = sign(candidate_client(), sent, name="Grace Hopper")
    unconsented = sign(candidate_client(), sent, consent=False)

    assert "Type your full name as the offer names you: Ada Lovelace." in wrong.content.decode()
    assert "Tick the box to agree to sign electronically." in unconsented.content.decode()
    assert not OfferSignature.objects.exists()
    assert reload(sent).status == Status.SENT


def test_a_letter_changed_since_the_page_was_read_must_be_read_again(sent, recruiter):
    client = candidate_client()
    page = client.get(page_url(sent))
    type(sent).objects.filter(pk=sent.pk).update(expires_at=sent.expires_at + timedelta(days=2))

    response = client.post(
        reverse("offers:sign", args=[token_for(the_link(sent))]),
        {
            "letter_sha256": page.context["letter"].sha256,
            "typed_name": "Ada Lovelace",
            "consent": "on",
        },
    )

    assert "The letter changed since you opened this page" in response.content.decode()
    assert not OfferSignature.objects.exists()


# --- Declining ---------------------------------------------------------------------------------


def test_a_decline_naming_a_competitor_closes_the_application_as_lost_to_them(sent, recruiter):
    meridian = CompanyFactory(name="Meridian AI", kind=Company.Kind.COMPETITOR)
    token = token_for(the_link(sent))

    response = candidate_client().post(
        reverse("offers:decline_by_candidate", args=[token]),
        {
            "reason": OfferDecline.Reason.OTHER_OFFER,
            "competitor": meridian.pk,
            "rival_offer": "A $2M signing bonus and remote work",
        },
    )

    assert response.status_code == 302
    application = Application.objects.get(pk=sent.application_id)
    assert application.status == Application.Status.LOST
    assert application.lost_reason == Application.LostReason.COMPETING_OFFER
    assert application.lost_to == meridian
    assert "A $2M signing bonus" in application.lost_note
    assert reload(sent).status == Status.DECLINED
    record = OfferDecline.objects.get()
    assert record.ip_address == "203.0.113.7" and record.recorded_by is None
    alert = Alert.objects.get(kind="offer_declined", recipient=recruiter)
    assert "I chose another offer (Meridian AI)" in alert.context["message"]
    assert "closed as lost to Meridian AI" in alert.context["message"]
    page = candidate_client().get(reverse("offers:for_candidate", args=[token]))
    assert "This offer was declined." in page.content.decode()


def test_a_decline_leaves_the_application_open_when_the_offer_says_so(sent, recruiter):
    type(sent).objects.filter(pk=sent.pk).update(keep_open_on_decline=True)

    decline(
        reload(sent),
        DeclineAnswer(reason=OfferDecline.Reason.TIMING, note="Starting in spring is too soon"),
        link=live_link(sent),
        visitor=VISITOR,
    )

    application = Application.objects.get(pk=sent.application_id)
    assert application.status == Application.Status.OPEN
    alert = Alert.objects.get(kind="offer_declined", recipient=recruiter)
    assert "stays open" in alert.context["message"]


def test_a_decline_for_another_reason_closes_it_as_declined_with_the_words(sent):
    decline(
        reload(sent),
        DeclineAnswer(reason=OfferDecline.Reason.LOCATION, note="I will not move to London"),
        link=live_link(sent),
        visitor=VISITOR,
    )

    application = Application.objects.get(pk=sent.application_id)
    assert application.lost_reason == Application.LostReason.DECLINED
    assert application.lost_note == "Location: I will not move to London"


def test_another_reason_must_be_said(sent):
    with pytest.raises(AnswerRefused) as refused:
        decline(reload(sent), DeclineAnswer(reason=OfferDecline.Reason.OTHER), link=live_link(sent))

    assert refused.value.message_dict == {"note": ["Say in a few words why, if you can."]}
    assert reload(sent).status == Status.SENT


# --- Logs ----------------------------------------------------------------------------------------


def test_no_log_line_holds_a_link_in_full(sent):
    token = token_for(the_link(sent))
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"GET /offer/%s/ HTTP/1.1" 200 %s',
        (token, 10),
        None,
    )

    RedactOfferLinks().filter(record)

    line = record.getMessage()
    signature = token.split(":", 1)[1]
    assert signature not in line
    assert f"/offer/{token.split(':')[0]}:{signature[:6]}…/" in line


def test_a_refused_link_reaches_no_log_in_full(sent, caplog):
    token = token_for(the_link(sent))
    tampered = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")

    with caplog.at_level(logging.INFO, logger="django"):
        response = candidate_client().get(reverse("offers:for_candidate", args=[tampered]))

    assert response.status_code == 404
    logged = [record.getMessage() for record in caplog.records]
    assert any("/offer/" in line for line in logged)  # Django logs the refused request...
    assert not any(tampered.split(":", 1)[1] in line for line in logged)  # ...cut short
    assert not logging.getLogger("django").handlers  # none of Django's own, unfiltered


@pytest.mark.parametrize("how", ["rescinded", "expired"])
def test_a_signature_after_a_rescind_or_the_deadline_is_refused_with_its_page(sent, recruiter, how):
    client = candidate_client()
    page = client.get(page_url(sent))
    token = token_for(the_link(sent))
    if how == "rescinded":
        rescind_offer(sent, by=recruiter)
    else:
        move_expiry_to_the_past(sent)

    response = client.post(
        reverse("offers:sign", args=[token]),
        {
            "letter_sha256": page.context["letter"].sha256,
            "typed_name": "Ada Lovelace",
            "consent": "on",
        },
    )

    assert response.status_code == 410
    words = "This offer was withdrawn." if how == "rescinded" else "This offer has expired."
    assert words in response.content.decode()
    assert not OfferSignature.objects.exists()
    assert reload(sent).status != Status.ACCEPTED
