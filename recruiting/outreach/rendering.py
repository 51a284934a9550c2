"""Message templates: the variables they may use, the pitch chosen per candidate, rendering.

Templates are Django template syntax, rendered by engines of their own (no loaders, no project
context processors), so a recruiter's template sees only the values given here. Every variable
is checked when the template is saved: a typo is a form error, not a blank in a sent email.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.auth.models import User
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe

from candidates.models import Candidate
from recruiting.pipeline.models import Role

from .models import MOTIVATOR_CHOICES, MessageTemplate
from .template_rules import (
    HTML_ENGINE,
    ROLE_VARIABLES,
    SECOND_PITCH_MIN_WEIGHT,
    TEXT_ENGINE,
    names_in,
)


@lru_cache(maxsize=512)
def compiled(engine: Engine, text: str) -> Template:
    """The template compiled from `text`, once per process: the sending job renders the same
    few templates thousands of times a run (make bench: compiling was a tenth of a send). Keyed
    by the text itself, so an edited template is compiled afresh."""
    return engine.from_string(text)


@lru_cache(maxsize=512)
def _names_role(text: str) -> bool:
    try:
        names = names_in(compiled(TEXT_ENGINE, text))
    except TemplateSyntaxError:
        return False  # refused at save; a template saved before the check cannot name it
    return any(name in ROLE_VARIABLES for name in names)


def uses_role(template: MessageTemplate) -> bool:
    """Whether the template names the role (its title, team, city or lead): such a template
    needs the candidate's application to say something."""
    return any(
        _names_role(text or "")
        for text in (template.subject, template.body_text, template.body_html)
    )


def pitch_for(template: MessageTemplate, candidate: Candidate) -> str:
    """The paragraphs for the candidate's top one or two motivators that the template has one
    for: the heaviest (ties go to the earlier motivator in MOTIVATORS), and the next only if it
    weighs SECOND_PITCH_MIN_WEIGHT or more. Joined by a blank line."""
    paragraphs = {p.motivator: p.text.strip() for p in template.pitch_paragraphs.all()}
    order = {key: i for i, (key, _) in enumerate(MOTIVATOR_CHOICES)}
    ranked = sorted(
        (key for key in paragraphs if key in order),
        key=lambda key: (-getattr(candidate, f"motivator_{key}"), order[key]),
    )
    chosen = ranked[:1]
    if len(ranked) > 1 and getattr(candidate, f"motivator_{ranked[1]}") >= SECOND_PITCH_MIN_WEIGHT:
        chosen.append(ranked[1])
    return "\n\n".join(paragraphs[key] for key in chosen)


def _full_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def message_context(
    template: MessageTemplate,
    *,
    candidate: Candidate,
    role: Role | None,
    sender: User | None,
) -> dict[str, Any]:
    company = candidate.current_company
    return {
        "candidate": {
            "name": candidate.name,
            "first_name": (candidate.name.split() or [""])[0],
            "current_company": company.name if company else "",
            "current_title": candidate.current_title,
        },
        "role": {
            "title": role.title if role else "",
            "team": role.team if role else "",
            "city": role.city if role else "",
        },
        "team_lead": _full_name(role.hiring_manager) if role else "",
        "sender": {
            "name": _full_name(sender),
            "email": getattr(sender, "email", "") if sender else "",
        },
        "pitch": pitch_for(template, candidate),
    }


def _render(engine: Engine, text: str, values: dict[str, Any]) -> str:
    # A bare Context escapes by default: the engine's own setting must be passed on.
    return compiled(engine, text).render(Context(values, autoescape=engine.autoescape))


def render_message(
    template: MessageTemplate,
    *,
    candidate: Candidate,
    role: Role | None = None,
    sender: User | None,
) -> tuple[str, str, str]:
    """(subject, text, html) for one candidate. Without an HTML body, the HTML is the text
    with its line breaks (escaped)."""
    values = message_context(template, candidate=candidate, role=role, sender=sender)
    # A subject is one line whatever the template's line breaks.
    subject = " ".join(_render(TEXT_ENGINE, template.subject, values).split())
    text = _render(TEXT_ENGINE, template.body_text, values).strip()
    if template.body_html:
        # In HTML, the pitch's paragraphs are paragraphs (escaped), not text run together.
        paragraphs = mark_safe(
            linebreaks(values["pitch"], autoescape=True)
        )  # linebreaks escaped it
        html_values = {**values, "pitch": paragraphs}
        html = _render(HTML_ENGINE, template.body_html, html_values)
    else:
        html = linebreaks(text, autoescape=True)
    return subject, text, html
