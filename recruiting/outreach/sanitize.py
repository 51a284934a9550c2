"""The HTML body of an outreach template, sanitised when it is saved (nh3, the binding of the
Rust crate ammonia): what a recruiter types or pastes may carry a script, an event handler or
a form that no email should, and a recruiter's browser shows the preview. What is removed is
named, so the recruiter sees what changed."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import nh3

# What an outreach email is made of: text, links, lists, tables and images.
TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i",
    "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


class _Inventory(HTMLParser):
    """The elements and attributes of a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: Counter[tuple[str, str]] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attributes.update((tag, name) for name, _ in attrs)


def _inventory(html: str) -> _Inventory:
    found = _Inventory()
    found.feed(html)
    found.close()
    return found


def sanitize_email_html(html: str) -> tuple[str, list[str]]:
    """`html` with only what an email may carry, and what was taken out, in words
    ("<script>", "onclick on <p>"). Template variables ({{ first_name }}) are text: kept."""
    cleaned = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES)
    before, after = _inventory(html), _inventory(cleaned)
    gone_tags = before.tags - after.tags
    removed = [f"<{tag}>" for tag in sorted(gone_tags)]
    removed += [
        f"{name} on <{tag}>"
        for tag, name in sorted(before.attributes - after.attributes)
        if after.tags[tag]  # the element stayed, without this attribute
    ]
    return cleaned, removed
