"""The offer in the candidate's hands, in a real browser with a real Celery worker and SMTP
server: the recruiter sends an approved offer; the worker emails the candidate their private
link; the candidate opens it from that email on a phone, reads the statement, and signs, the
button clicked twice and a second tab signing too; the offer is accepted once and the signed
letter carries the name, the date and the letter's SHA-256. A decline naming a competitor
shows on the application as lost to them. Tampered, expired, rescinded and superseded links
each get their page (screenshots in artifacts/screenshots/)."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from candidates.models import Company
from offers.links import live_link, token_for
from offers.models import Offer, OfferSignature
from offers.services import (
    draft_offer,
    rescind_offer,
    revise_offer,
    send_offer,
    submit_for_approval,
)
from recruiting.pipeline.models import Application
from tests.factories import ApplicationFactory, CandidateFactory, CompanyFactory, offer_terms

from .conftest import screenshot, sign_in
from .test_offer_workspace import market, senior_scientist_role  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("market", "groups")]

OFFER_LINK = re.compile(r"https?://[^\s/]+(/offer/\S+/)")


@pytest.fixture
def groups():
    # The groups are made after migrate; a transactional test's flush removed them.
    from offers.permissions import ensure_groups as offer_groups
    from recruiting.pipeline.permissions import ensure_groups as pipeline_groups

    pipeline_groups(None)
    offer_groups(None)


def approved_offer(recruiter, name: str = "Ada Lovelace", email: str = "ada@lovelace.example"):
    application = ApplicationFactory.create(
        candidate=CandidateFactory.create(name=name, email=email),
        role=senior_scientist_role(),
    )
    offer = draft_offer(application, offer_terms(), by=recruiter)
    return submit_for_approval(offer, by=recruiter)  # no rule applies to it: approved


def link_in(message, live_server) -> str:
    """The offer link of an email, on the test's server (the worker knows the site by its
    setting, not by this test's port)."""
    text = message.get_body(("plain",)).get_content()
    found = OFFER_LINK.search(text)
    assert found is not None, text
    return live_server.url + found.group(1)


def sign_on(page: Page, name: str = "Ada Lovelace") -> None:
    page.get_by_label("I agree to sign electronically").check()
    page.get_by_label("Your full name").fill(name)


def test_the_candidate_opens_the_emailed_link_on_a_phone_and_signs_once(
    page, phone, browser, live_server, celery_worker, smtp_server, recruiter
):
    smtp_server.reset()
    offer = approved_offer(recruiter)
    sign_in(page, live_server, recruiter)
    page.goto(f"{live_server.url}{reverse('offers:detail', args=[offer.pk])}")
    page.get_by_role("button", name="Send to the candidate", exact=True).click()
    expect(page.locator("main .alert-success")).to_contain_text("Sent: Ada Lovelace gets a")

    [email] = smtp_server.wait_for(1)
    assert email["To"] == "ada@lovelace.example"
    assert "Rita Recruiter" in email["From"] and email["Reply-To"] == email["From"]
    link = link_in(email, live_server)
    assert Application.objects.get(pk=offer.application_id).stage.name == "Offer"

    # The candidate reads it on a phone: the statement, the deadline, whom to ask.
    phone.goto(link)
    expect(
        phone.get_by_role("heading", name="Your offer: Senior Research Scientist")
    ).to_be_visible()
    expect(phone.locator(".statement")).to_contain_text("Total rewards (USD)")
    expect(phone.locator(".countdown")).to_contain_text("left")
    expect(phone.locator("main")).to_contain_text("Questions: write to Rita Recruiter")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    screenshot(phone, "candidate-offer-phone")
    letter = phone.request.get(link + "letter.pdf")
    assert letter.ok and letter.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(letter.body()).hexdigest() in phone.locator(".hash").inner_text()

    # A second tab is open on the same offer before the first signs.
    second_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    second = second_context.new_page()
    second.goto(link)
    sign_on(second)

    sign_on(phone)
    phone.get_by_role("button", name="Sign and accept").dblclick()
    expect(phone.locator("h1")).to_have_text("This offer is signed.")
    expect(phone.locator("main")).to_contain_text("You signed this offer")
    screenshot(phone, "candidate-offer-signed")

    second.get_by_role("button", name="Sign and accept").click()
    expect(second.locator("h1")).to_have_text("This offer is signed.")
    second_context.close()

    assert OfferSignature.objects.count() == 1
    offer = Offer.objects.get(pk=offer.pk)
    assert offer.status == Offer.Status.ACCEPTED
    assert Application.objects.get(pk=offer.application_id).status == Application.Status.HIRED
    signature = OfferSignature.objects.get()
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(bytes(signature.signed_pdf))).pages
    )
    assert "Ada Lovelace" in text
    assert f"{signature.signed_at:%-d %B %Y}" in text
    assert signature.letter.sha256 in text.replace("\n", "")

    # The signed letter reaches the candidate and the recruiter, by the worker.
    messages = smtp_server.wait_for(3)
    attached = {m["To"]: m for m in messages[1:]}
    for address in ("ada@lovelace.example", recruiter.email):
        [part] = [p for p in attached[address].iter_attachments()]
        assert part.get_content_type() == "application/pdf"
        assert part.get_content() == bytes(signature.signed_pdf)

    # The recruiter sees it all on the offer's page.
    page.goto(f"{live_server.url}{reverse('offers:detail', args=[offer.pk])}")
    expect(page.locator("#signature")).to_contain_text("as “Ada Lovelace”")
    expect(page.locator("#candidate-activity")).to_contain_text("Opened their offer v1")
    expect(page.locator("#candidate-activity")).to_contain_text("Signed their offer v1")
    screenshot(page, "offer-with-the-candidate")


def test_a_decline_naming_a_competitor_shows_on_the_application_as_lost_to_them(
    page, phone, live_server, recruiter
):
    meridian = CompanyFactory.create(name="Meridian AI", kind=Company.Kind.COMPETITOR)
    offer = send_offer(approved_offer(recruiter), by=recruiter)
    link = f"{live_server.url}{reverse('offers:for_candidate', args=[token_for(live_link(offer))])}"

    phone.goto(link)
    phone.get_by_text("Decline the offer").first.click()
    phone.get_by_label("I chose another offer").check()
    phone.get_by_label("Whose offer did you choose? (optional)").select_option(label="Meridian AI")
    phone.get_by_label("What did they offer? (optional)").fill("More equity, fully remote")
    screenshot(phone, "candidate-offer-decline")
    phone.get_by_role("button", name="Decline the offer").click()
    expect(phone.locator("h1")).to_have_text("This offer was declined.")

    sign_in(page, live_server, recruiter)
    page.goto(f"{live_server.url}{reverse('web:application', args=[offer.application_id])}")
    expect(page.locator("main")).to_contain_text(
        "Lost: Accepted a competing offer (Meridian AI) — More equity, fully remote"
    )
    screenshot(page, "application-lost-to-competitor")
    assert Application.objects.get(pk=offer.application_id).lost_to == meridian


@pytest.mark.parametrize("how", ["tampered", "expired", "rescinded", "superseded"])
def test_each_dead_link_has_its_page(phone, live_server, recruiter, how):
    offer = send_offer(approved_offer(recruiter), by=recruiter)
    token = token_for(live_link(offer))
    if how == "tampered":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elif how == "expired":
        Offer.objects.filter(pk=offer.pk).update(expires_at=offer.expires_at - timedelta(days=30))
    elif how == "rescinded":
        rescind_offer(offer, by=recruiter)
    else:
        send_offer(
            submit_for_approval(revise_offer(offer, by=recruiter), by=recruiter), by=recruiter
        )

    phone.goto(f"{live_server.url}{reverse('offers:for_candidate', args=[token])}")

    headline = {
        "tampered": "This link is not valid.",
        "expired": "This offer has expired.",
        "rescinded": "This offer was withdrawn.",
        "superseded": "This offer was replaced by a newer version.",
    }[how]
    expect(phone.locator("h1")).to_have_text(headline)
    expect(phone.locator(".statement")).to_have_count(0)
    screenshot(phone, f"candidate-offer-{how}")
    assert urlsplit(phone.url).path.startswith("/offer/")
