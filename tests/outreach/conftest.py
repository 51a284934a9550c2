"""The outreach tests' shared fixtures: a first-touch template with its pitch paragraphs, a
two-step sequence, and (for the sending tests) Ada, a prospect, her role and application."""

from __future__ import annotations

import pytest

from recruiting.outreach.models import MessageTemplate, PitchParagraph, Sequence, SequenceStep
from tests.factories import ApplicationFactory, RoleFactory, prospect


@pytest.fixture
def template(db):
    first = MessageTemplate.objects.create(
        name="First touch",
        subject="{{ candidate.first_name }}, {{ role.title }} in {{ role.city }}?",
        body_text="Hi {{ candidate.first_name }},\n\n{{ pitch }}\n\n{{ sender.name }}",
    )
    for motivator, text in (
        ("pay", "We pay at the top of the market."),
        ("publishing", "You publish what you find."),
        ("team_lead", "You would work with a lead people follow."),
    ):
        PitchParagraph.objects.create(template=first, motivator=motivator, text=text)
    return first


@pytest.fixture
def sequence(template):
    seq = Sequence.objects.create(name="Researchers")
    SequenceStep.objects.create(sequence=seq, position=1, template=template, delay_business_days=2)
    SequenceStep.objects.create(sequence=seq, position=2, template=template, delay_business_days=3)
    return seq


@pytest.fixture
def ada(recruiter):
    return prospect(name="Ada Lovelace", owner=recruiter, email="ada@example.org")


@pytest.fixture
def role(hiring_manager):
    return RoleFactory(title="Research Scientist", city="London", hiring_manager=hiring_manager)


@pytest.fixture
def application(ada, role):
    return ApplicationFactory(candidate=ada, role=role)
