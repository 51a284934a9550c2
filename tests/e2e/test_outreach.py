"""Outreach in the browser: a recruiter enrolls a candidate from the application page, marks
the reply once an email went, and the Outreach card fits a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from recruiting.outreach.models import Enrollment, MessageTemplate, Sequence, SequenceStep
from recruiting.outreach.services import enroll, send_due_steps
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sequence(db):
    template = MessageTemplate.objects.create(
        name="First touch",
        subject="{{ candidate.first_name }}, {{ role.title }} with {{ team_lead }}?",
        body_text="Hi {{ candidate.first_name }},\n\n{{ sender.name }}",
    )
    sequence = Sequence.objects.create(name="Research scientists")
    for position, delay in ((1, 0), (2, 3), (3, 5)):
        SequenceStep.objects.create(
            sequence=sequence, position=position, template=template, delay_business_days=delay
        )
    return sequence


@pytest.fixture
def application(recruiter, hiring_manager):
    ada = CandidateFactory(
        name="Ada Lovelace", owner=recruiter, email="ada@example.org", timezone="Asia/Tokyo"
    )
    role = RoleFactory(title="Pre-training Lead", city="Paris", hiring_manager=hiring_manager)
    return ApplicationFactory(candidate=ada, role=role, by=recruiter)


def card(page: Page):
    return page.locator("#outreach")


def test_a_recruiter_enrolls_from_the_application_page(
    page, live_server, recruiter, application, sequence
):
    sign_in(page, live_server, recruiter)
    page.goto(live_server.url + reverse("web:application", args=[application.pk]))
    expect(card(page)).to_contain_text("Not enrolled in any sequence.")

    card(page).get_by_label("Sequence").select_option(label="Research scientists")
    card(page).get_by_role("button", name="Enroll").click()

    expect(page.get_by_text("Enrolled Ada Lovelace in Research scientists")).to_be_visible()
    expect(card(page).locator("#enrollments")).to_contain_text("Step 1 of 3")
    expect(card(page).locator("#enrollments")).to_contain_text("for this application")
    [enrollment] = Enrollment.objects.all()
    assert enrollment.application == application
    # Enrolled again by mistake: the option says so, and the rule answers on the field.
    card(page).get_by_label("Sequence").select_option(
        label="Research scientists (enrolled already)"
    )
    card(page).get_by_role("button", name="Enroll").click()
    expect(card(page)).to_contain_text("Ada Lovelace is already enrolled in Research scientists.")
    assert Enrollment.objects.count() == 1
    screenshot(page, "outreach-card")


def test_the_reply_is_marked_once_an_email_went_and_the_card_fits_a_phone(
    phone, live_server, recruiter, application, sequence, mailoutbox
):
    moment = timezone.now() - timedelta(days=3)
    enrollment = enroll(application.candidate, sequence, by=recruiter, now=moment)
    Enrollment.objects.filter(pk=enrollment.pk).update(next_send_at=timezone.now())
    # Sent at a moment in Tokyo's window (02:00 UTC is 11:00 there), whatever the time now.
    at = timezone.now().replace(hour=2, minute=0) + timedelta(days=1)
    while at.weekday() >= 5:
        at += timedelta(days=1)
    assert send_due_steps(at) == {"sent": 1}
    sign_in(phone, live_server, recruiter)
    phone.goto(live_server.url + reverse("web:application", args=[application.pk]))

    expect(card(phone)).to_contain_text("1 of 3 sent")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide: it scrolls sideways"
    inner = card(phone).locator(".table-responsive")
    assert inner.evaluate("e => e.scrollWidth <= e.clientWidth"), "the card's table scrolls"
    screenshot(phone, "outreach-card-phone")

    card(phone).get_by_role("button", name="Mark replied").click()

    expect(phone.get_by_text("Ada Lovelace replied: 1 enrollment marked replied")).to_be_visible()
    expect(card(phone).locator("#enrollments")).to_contain_text("Replied")
    application.refresh_from_db()
    assert application.stage.kind == "replied"
