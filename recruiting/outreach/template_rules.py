"""What a message template may contain: the variables, the tags and the filters allowed, checked
when the template is saved (MessageTemplate.clean) rather than found in a sent email."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.template import Engine, Template, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.template.defaulttags import CommentNode, IfNode, TemplateLiteral

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
    # A Variable's var is the text it was made from (Variable refuses anything but a str).
    names = []
    if isinstance(expression.var, Variable) and expression.var.lookups is not None:
        names.append(cast(str, expression.var.var))
    for _func, args in expression.filters:
        for is_lookup, arg in args:
            if is_lookup and isinstance(arg, Variable) and arg.lookups is not None:
                names.append(cast(str, arg.var))
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
    for name in names_in(template):
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
        # The if tag's parser makes each TemplateLiteral from a FilterExpression.
        return [cast(FilterExpression, condition.value)]
    return [
        expression
        for part in (getattr(condition, "first", None), getattr(condition, "second", None))
        for expression in _condition_expressions(part)
    ]


def names_in(template: Template) -> list[str]:
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
