"""Message templates: the variables they may use, the pitch chosen per candidate, rendering.

Templates are Django template syntax, rendered by engines of their own (no loaders, no project
context processors), so a recruiter's template sees only the values given here. Every variable
is checked when the template is saved: a typo is a form error, not a blank in a sent email.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.template.defaulttags import CommentNode, IfNode, TemplateLiteral
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe

from candidates.models import Candidate
from recruiting.pipeline.models import Role

from .models import MOTIVATOR_CHOICES, MessageTemplate

ALLOWED_VARIABLES = (
    "candidate.name",
    "candidate.first_name",
    "candidate.current_company",
    "candidate.current_title",
    "role.title",
    "role.team",
    "role.city",
    "team_lead",
    "sender.name",
    "sender.email",
    "pitch",
)
ROLE_VARIABLES = frozenset({"role.title", "role.team", "role.city", "team_lead"})
# The second motivator earns its paragraph only if it matters this much (0–5) to the candidate.
SECOND_PITCH_MIN_WEIGHT = 4

HTML_ENGINE = Engine(autoescape=True)
TEXT_ENGINE = Engine(autoescape=False)


def _variables_of(expression: FilterExpression) -> list[str]:
    """The variable names an expression reads: its own and its filters' arguments."""
    names = []
    if isinstance(expression.var, Variable) and expression.var.lookups is not None:
        names.append(expression.var.var)
    for _func, args in expression.filters:
        for is_lookup, arg in args:
            if is_lookup and isinstance(arg, Variable) and arg.lookups is not None:
                names.append(arg.var)
    return names


def check_template_text(text: str, field: str) -> None:
    """Raises ValidationError({field: ...}) for a syntax error or a variable not allowed."""
    if not text:
        return
    try:
        template = TEXT_ENGINE.from_string(text)
    except TemplateSyntaxError as error:
        raise ValidationError({field: f"This template has a syntax error: {error}"}) from None
    tag = _tag_not_allowed(template)
    if tag:
        raise ValidationError(
            {
                field: f"The tag “{{% {tag} %}}” is not allowed: use variables, "
                "{% if %} … {% else %} … {% endif %} and {# comments #}."
            }
        )
    for node in _nodes(template):
        if isinstance(node, TextNode) and ("{{" in node.s or "{%" in node.s):
            opened = "{{" if "{{" in node.s else "{%"
            closing = "}}" if opened == "{{" else "%}"
            raise ValidationError(
                {field: f"A “{opened}” is not closed by “{closing}”: it would be sent as typed."}
            )
        if isinstance(node, VariableNode) and any(
            func.__name__ in UNSAFE_FILTERS for func, _args in node.filter_expression.filters
        ):
            raise ValidationError(
                {field: "The filters “safe” and “safeseq” are not allowed: names are escaped."}
            )
    for name in _names_in(template):
        if name not in ALLOWED_VARIABLES:
            raise ValidationError(
                {
                    field: f"Unknown variable “{{{{ {name} }}}}”: use one of "
                    f"{', '.join(ALLOWED_VARIABLES)}."
                }
            )


# What a message template may hold: text, variables, if blocks and comments. No include,
# extends or load (they would read files, or fail only when an email is rendered), no loops.
ALLOWED_NODES = (TextNode, VariableNode, IfNode, CommentNode)
UNSAFE_FILTERS = frozenset({"safe", "safeseq"})


def _nodes(template: Template) -> list[Node]:
    # get_nodes_by_type descends into if blocks (and any other block) as well.
    return template.nodelist.get_nodes_by_type(Node)


def _tag_not_allowed(template: Template) -> str:
    for node in _nodes(template):
        if not isinstance(node, ALLOWED_NODES):
            token = getattr(node, "token", None)
            return token.contents.split()[0] if token is not None else type(node).__name__
    return ""


def _condition_expressions(condition: Any) -> list[FilterExpression]:
    """The expressions an if tag's condition reads (an operator's operands, recursively)."""
    if condition is None:  # the else branch
        return []
    if isinstance(condition, TemplateLiteral):
        return [condition.value]
    return [
        expression
        for part in (getattr(condition, "first", None), getattr(condition, "second", None))
        for expression in _condition_expressions(part)
    ]


def _names_in(template: Template) -> list[str]:
    """Every variable the template reads: in {{ }} and in {% if %} conditions."""
    names = []
    for node in _nodes(template):
        if isinstance(node, VariableNode):
            names.extend(_variables_of(node.filter_expression))
        elif isinstance(node, IfNode):
            for condition, _nodelist in node.conditions_nodelists:
                for expression in _condition_expressions(condition):
                    names.extend(_variables_of(expression))
    return names


def uses_role(template: MessageTemplate) -> bool:
    """Whether the template names the role (its title, team, city or lead): such a template
    needs the candidate's application to say something."""
    for text in (template.subject, template.body_text, template.body_html):
        try:
            names = _names_in(TEXT_ENGINE.from_string(text or ""))
        except TemplateSyntaxError:
            continue  # refused at save; a template saved before the check cannot name it
        if any(name in ROLE_VARIABLES for name in names):
            return True
    return False


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


def _full_name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def message_context(
    template: MessageTemplate,
    *,
    candidate: Candidate,
    role: Role | None,
    sender: AbstractBaseUser | None,
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
    return engine.from_string(text).render(Context(values, autoescape=engine.autoescape))


def render_message(
    template: MessageTemplate,
    *,
    candidate: Candidate,
    role: Role | None = None,
    sender: AbstractBaseUser | None,
) -> tuple[str, str, str]:
    """(subject, text, html) for one candidate. Without an HTML body, the HTML is the text
    with its line breaks (escaped)."""
    values = message_context(template, candidate=candidate, role=role, sender=sender)
    # A subject is one line whatever the template's line breaks.
    subject = " ".join(_render(TEXT_ENGINE, template.subject, values).split())
    text = _render(TEXT_ENGINE, template.body_text, values).strip()
    if template.body_html:
        # In HTML, the pitch's paragraphs are paragraphs (escaped), not text run together.
        paragraphs = mark_safe(linebreaks(values["pitch"], autoescape=True))  # noqa: S308 - escaped
        html_values = {**values, "pitch": paragraphs}
        html = _render(HTML_ENGINE, template.body_html, html_values)
    else:
        html = linebreaks(text, autoescape=True)
    return subject, text, html
