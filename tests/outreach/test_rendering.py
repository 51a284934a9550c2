"""Templates: only the allowed variables, checked at save time; pitches by motivator."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from recruiting.outreach.models import MessageTemplate, PitchParagraph
from recruiting.outreach.rendering import pitch_for, render_message, uses_role
from recruiting.outreach.template_rules import check_template_text
from tests.factories import CandidateFactory, CompanyFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def errors_of(template: MessageTemplate) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        template.full_clean()
    return raised.value.message_dict


def test_an_unknown_variable_in_the_subject_is_refused_naming_it():
    template = MessageTemplate(name="T", subject="Hi {{ candidate.nmae }}", body_text="Hello")

    errors = errors_of(template)

    assert errors["subject"][0].startswith("Unknown variable “{{ candidate.nmae }}”: use one of")
    assert "candidate.first_name" in errors["subject"][0]
    assert "body_text" not in errors


def test_an_unknown_variable_inside_an_if_block_of_the_body_is_refused():
    template = MessageTemplate(
        name="T",
        subject="Hi",
        body_text="{% if pitch %}{{ candidate.salary }}{% endif %}",
        body_html="<p>{% if pitch %}{% if role.title %}{{ foo.bar }}{% endif %}{% endif %}</p>",
    )

    errors = errors_of(template)

    assert "“{{ candidate.salary }}”" in errors["body_text"][0]
    assert "“{{ foo.bar }}”" in errors["body_html"][0]


def test_a_variable_in_a_filter_argument_is_checked_too():
    with pytest.raises(ValidationError, match="secret"):
        check_template_text("{{ candidate.name|default:secret }}", "body_text")


def test_a_syntax_error_is_refused_with_a_clear_message():
    template = MessageTemplate(name="T", subject="Hi", body_text="{% if pitch %}no end")

    errors = errors_of(template)

    assert errors["body_text"][0].startswith("This template has a syntax error:")


def test_the_allowed_variables_render():
    lead = UserFactory(first_name="Hank", last_name="Manager")
    role = RoleFactory(title="Research Scientist", team="Pre-training", city="Paris")
    role.hiring_manager = lead
    role.save()
    candidate = CandidateFactory(
        name="Ada Lovelace",
        current_company=CompanyFactory(name="Frontier Lab"),
        current_title="Staff Engineer",
    )
    sender = UserFactory(first_name="Rita", last_name="Recruiter", email="rita@closer.test")
    template = MessageTemplate(
        name="All",
        subject="{{ candidate.first_name }}: {{ role.title }}\n at {{ role.city }}",
        body_text=(
            "{{ candidate.name }}, {{ candidate.current_title }} at "
            "{{ candidate.current_company }}. {{ role.team }} with {{ team_lead }}.\n"
            "{{ sender.name }} <{{ sender.email }}>"
        ),
    )
    template.full_clean()
    template.save()

    subject, text, html = render_message(template, candidate=candidate, role=role, sender=sender)

    assert subject == "Ada: Research Scientist at Paris"
    assert text == (
        "Ada Lovelace, Staff Engineer at Frontier Lab. Pre-training with Hank Manager.\n"
        "Rita Recruiter <rita@closer.test>"
    )
    assert html == (
        "<p>Ada Lovelace, Staff Engineer at Frontier Lab. Pre-training with Hank Manager.<br>"
        "Rita Recruiter &lt;rita@closer.test&gt;</p>"
    )


def test_the_html_body_is_escaped_and_the_text_is_not():
    candidate = CandidateFactory(name="Bob <b>Tables</b>")
    template = MessageTemplate.objects.create(
        name="H",
        subject="{{ candidate.name }}",
        body_text="{{ candidate.name }}",
        body_html="<p>{{ candidate.name }}</p>",
    )

    subject, text, html = render_message(template, candidate=candidate, sender=None)

    assert subject == text == "Bob <b>Tables</b>"
    assert html == "<p>Bob &lt;b&gt;Tables&lt;/b&gt;</p>"


def test_the_pitch_is_the_top_motivator_and_the_second_if_it_weighs_4_or_more(template):
    publisher = CandidateFactory(motivator_pay=2, motivator_publishing=5, motivator_team_lead=4)
    assert pitch_for(template, publisher) == (
        "You publish what you find.\n\nYou would work with a lead people follow."
    )

    mercenary = CandidateFactory(motivator_pay=5, motivator_publishing=3, motivator_team_lead=3)
    assert pitch_for(template, mercenary) == "We pay at the top of the market."


def test_equal_weights_follow_the_motivators_order_and_paragraphs_missing_are_skipped(template):
    # Research freedom weighs most, but the template has no paragraph for it.
    tied = CandidateFactory(
        motivator_research_freedom=5, motivator_pay=4, motivator_team_lead=4, motivator_publishing=4
    )
    assert pitch_for(template, tied) == (
        "We pay at the top of the market.\n\nYou would work with a lead people follow."
    )


def test_the_pitch_renders_in_the_body(template):
    candidate = CandidateFactory(name="Grace Hopper", motivator_publishing=5, motivator_pay=1)
    sender = UserFactory(first_name="Rita", last_name="Recruiter")

    _, text, _ = render_message(template, candidate=candidate, sender=sender)

    assert text == "Hi Grace,\n\nYou publish what you find.\n\nRita Recruiter"


def test_a_template_has_one_paragraph_per_motivator(template):
    duplicate = PitchParagraph(template=template, motivator="pay", text="Again")
    with pytest.raises(ValidationError, match="already has a paragraph"):
        duplicate.full_clean()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{% include "x.html" %}', "The tag “{% include %}” is not allowed"),
        ("{% with x=pitch %}{{ x }}{% endwith %}", "The tag “{% with %}” is not allowed"),
        ("{% for x in pitch %}{{ x }}{% endfor %}", "The tag “{% for %}” is not allowed"),
        ("{% if candidate.nmae %}Hi{% endif %}", "Unknown variable “{{ candidate.nmae }}”"),
        (
            "{% if role.title and not candidat.name %}Hi{% endif %}",
            "Unknown variable “{{ candidat.name }}”",
        ),
    ],
)
def test_tags_and_variables_in_conditions_are_checked_at_save(text, message):
    template = MessageTemplate(name="T", subject="Hi", body_text=text)

    with pytest.raises(ValidationError) as raised:
        template.full_clean()

    [error] = raised.value.message_dict["body_text"]
    assert error.startswith(message)


def test_if_blocks_and_comments_are_allowed_and_a_role_in_a_condition_counts():
    template = MessageTemplate(
        name="T",
        subject="Hi",
        body_text="{# a note #}{% if role.title %}About {{ role.title }}{% else %}Hi{% endif %}",
    )
    template.full_clean()
    conditional = MessageTemplate(
        name="U", subject="Hi", body_text="{% if team_lead %}x{% endif %}"
    )
    assert uses_role(conditional)


def test_an_unclosed_variable_and_the_safe_filter_are_refused_at_save():
    unclosed = MessageTemplate(name="T", subject="Hi", body_text="Hi {{ candidate.first_name }")
    unsafe = MessageTemplate(
        name="U", subject="Hi", body_text="Hi", body_html="<p>{{ candidate.name|safe }}</p>"
    )

    with pytest.raises(ValidationError) as raised:
        unclosed.full_clean()
    assert raised.value.message_dict["body_text"] == [
        "A “{{” is not closed by “}}”: it would be sent as typed."
    ]
    with pytest.raises(ValidationError) as raised:
        unsafe.full_clean()
    assert raised.value.message_dict["body_html"] == [
        "The filters “safe” and “safeseq” are not allowed: names are escaped."
    ]


def test_in_an_html_body_each_pitch_paragraph_is_a_paragraph(db):
    template = MessageTemplate.objects.create(
        name="T", subject="Hi", body_text="{{ pitch }}", body_html="<div>{{ pitch }}</div>"
    )
    PitchParagraph.objects.create(template=template, motivator="pay", text="We pay <well>.")
    PitchParagraph.objects.create(template=template, motivator="publishing", text="You publish.")
    ada = CandidateFactory(motivator_pay=5, motivator_publishing=4)

    _subject, _text, html = render_message(template, candidate=ada, sender=None)

    assert html == "<div><p>We pay &lt;well&gt;.</p>\n\n<p>You publish.</p></div>"
