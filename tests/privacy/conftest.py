"""The people's data tests' shared fixtures: the market, and Zelda Quartermaine with everything
Closer can hold about a person, each part made through the services as people would: two
addresses, an application taken to a signed offer, a note, an outreach email sent and an
enrollment still active, a competing offer with its history, the alerts all this raised
(delivered over SMTP), and the admin's log of a change to her."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.utils import timezone

from candidates.models import Candidate, CandidateEmail, CandidateImport
from offers.answers import Visitor, sign_offer
from offers.demo import build_market
from offers.links import current_letter, live_link
from offers.models import ApprovalRule, CompetingOffer, Offer
from offers.services import approve_offer, send_offer, submit_for_approval
from recruiting.alerts.delivery import send_alert
from recruiting.alerts.models import Alert
from recruiting.outreach.models import Enrollment, MessageTemplate, Sequence, SequenceStep
from recruiting.outreach.services import enroll, send_due_steps
from recruiting.pipeline.models import Application, Role
from recruiting.pipeline.services import log_activity
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
)
from tests.offers.competing_admin.helpers import record
from tests.outreach.sending_helpers import MONDAY_10_LA, WEDNESDAY_10_LA

NAME = "Zelda Quartermaine"
EMAIL = "zelda.q@example.org"
OTHER_EMAIL = "ZQ@Quartermaine-Lab.example"
VISITOR = Visitor(ip_address="203.0.113.77", user_agent="Mozilla/5.0 (Zelda's laptop)")


@dataclass
class Person:
    candidate: Candidate
    application: Application
    offer: Offer
    competing: CompetingOffer
    active_enrollment: Enrollment


def deliver_all() -> None:
    for alert in Alert.objects.filter(status=Alert.Status.PENDING, in_digest=False):
        send_alert(alert.pk)


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def zelda(recruiter, approver, superuser, smtp) -> Person:
    role = RoleFactory.create(
        title="Senior Research Scientist, Pre-training",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
    )
    candidate = CandidateFactory.create(
        name=NAME,
        email=EMAIL,
        owner=recruiter,
        phone="+1 415 555 0199",
        linkedin_url="https://www.linkedin.com/in/zelda-quartermaine",
        current_title="Staff researcher",
        consent_basis=Candidate.ConsentBasis.CONSENT,
        consent_date=timezone.localdate() - timedelta(days=10),
    )
    CandidateEmail.objects.create(candidate=candidate, email=OTHER_EMAIL)
    application = ApplicationFactory.create(candidate=candidate, role=role)

    first_touch = MessageTemplate.objects.create(
        name="First touch",
        subject="{{ candidate.name }}, {{ role.title }}?",
        body_text="Hi {{ candidate.first_name }},\n\n{{ pitch }}\n\n{{ sender.name }}",
    )
    sequence = Sequence.objects.create(name="Researchers")
    SequenceStep.objects.create(
        sequence=sequence, position=1, template=first_touch, delay_business_days=2
    )
    enroll(candidate, sequence, by=recruiter, application=application, now=MONDAY_10_LA)
    assert send_due_steps(WEDNESDAY_10_LA) == {"sent": 1}

    log_activity(
        candidate,
        kind="call",
        summary=f"Call with {NAME}",
        body=f"{NAME} ({EMAIL}) asked for a second call; her other address is {OTHER_EMAIL}.",
        by=recruiter,
        application=application,
    )
    competing = record(
        candidate,
        CompanyFactory.create(name="Helix Intelligence"),
        recruiter,
        application,
        base_salary=Decimal(450_000),
        notes=f"{NAME} forwarded Helix's letter from {EMAIL}.",
    )

    ApprovalRuleFactory.create(condition=ApprovalRule.Condition.CURRENCY_IS, currency_id="USD")
    offer = submit_for_approval(
        OfferFactory.create(application=application, drafted_by=recruiter), by=recruiter
    )
    # An approver's words about her: kept on the offer, its approval and the offer's history.
    offer = approve_offer(offer, by=approver, comment=f"Fine for {NAME}; she earns it.")
    offer = send_offer(offer, by=recruiter)
    deliver_all()
    link = live_link(offer)
    assert link is not None
    sign_offer(
        link,
        typed_name=NAME,
        consented=True,
        letter_sha256=current_letter(offer).sha256,
        visitor=VISITOR,
    )
    deliver_all()

    # Still written to when erased: a sequence that does not name a role.
    alumni_template = MessageTemplate.objects.create(
        name="Alumni", subject="Hello {{ candidate.first_name }}", body_text="{{ pitch }}"
    )
    alumni = Sequence.objects.create(name="Alumni")
    SequenceStep.objects.create(
        sequence=alumni, position=1, template=alumni_template, delay_business_days=5
    )
    active = enroll(candidate, alumni, by=recruiter)

    LogEntry.objects.log_actions(
        superuser.pk,
        [candidate],
        CHANGE,
        change_message=f"Changed email: {EMAIL}; name {NAME}.",
        single_object=True,
    )
    # An import of a file that named them: its preview and its row errors quote the rows.
    CandidateImport.objects.create(
        created_by=recruiter,
        file_name="alumni.csv",
        file_format="csv",
        status=CandidateImport.Status.DONE,
        preview=[{"row": 2, "name": NAME, "email": EMAIL}],
        row_errors=[{"row": 3, "errors": [f"{EMAIL} is already {NAME}'s address."]}],
    )
    offer.refresh_from_db()
    return Person(candidate, application, offer, competing, active)
