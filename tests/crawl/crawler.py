"""The crawler of tests/crawl: what a page shows, the amounts in it, its links, and a walk of
every page a user reaches from the seeds it is given (GET only)."""

from __future__ import annotations

import csv
import io
import re
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.test import Client
from django.urls import Resolver404, resolve

# --- What a page shows -----------------------------------------------------------------------

# Attributes a reader sees (a tooltip, a field's value) or a screen reader reads out.
SHOWN_ATTRIBUTES = {"value", "title", "placeholder", "aria-label", "alt", "data-bs-title"}
# What holds no text a reader sees: code, styles, and the CSRF token.
HIDDEN_ELEMENTS = {"script", "style", "template"}
LINK_ATTRIBUTES = {"href", "hx-get"}


class Page(HTMLParser):
    """The text a page shows (tags stripped, scripts and styles left out), with the attribute
    values a reader sees, and the addresses it links to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_ELEMENTS:
            self._hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            if name in LINK_ATTRIBUTES:
                self.links.append(value)
            elif name in SHOWN_ATTRIBUTES and values.get("name") != "csrfmiddlewaretoken":
                self.parts.append(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in HIDDEN_ELEMENTS:
            self._hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    @property
    def text(self) -> str:
        # One text node from the next apart: a date in one table cell and a currency in the
        # next are not "2025 USD".
        parts = (" ".join(part.split()) for part in self.parts)
        return " | ".join(part for part in parts if part)


def read_html(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)


def csv_text(content: bytes) -> str:
    """A CSV as a spreadsheet shows it: each cell apart, so that the comma between a count and
    a rate ("3,100.0") is not taken for a thousands separator, while a cell's own figure
    ("1,960,000") still is."""
    rows = csv.reader(io.StringIO(content.decode(errors="replace")))
    return "\n".join(" | ".join(row) for row in rows)


# --- Amounts -------------------------------------------------------------------------------


def amount_pattern(currencies: Iterable[str]) -> re.Pattern[str]:
    """Money as Closer writes it or anyone might: a sign or a currency code before or after
    the figure ("$250,000", "€1.2M", "1,960,000 USD", "USD 250000", "250k EUR"), any figure
    with grouped thousands ("14,167,650.54"), and percentages (how much more one package pays,
    or where it sits in its band, says what it pays). Stricter than `hide_amounts`: a crawl
    that misses an amount proves nothing."""
    codes = "|".join(sorted({c.upper() for c in currencies}))
    figure = r"\d[\d,]*(?:\.\d+)?"
    return re.compile(
        rf"[$€£¥]\s?{figure}\s?(?:[kKmMbB]\b)?"
        rf"|\b{figure}\s?(?:[kKmM]\s?)?(?:{codes})\b"
        rf"|\b(?:{codes})\s?{figure}"
        r"|\b\d{1,3}(?:,\d{3})+(?:\.\d+)?"
        r"|\b\d+(?:\.\d+)?\s?%"
    )


@dataclass(frozen=True)
class Allowed:
    """Text that looks like an amount and is not pay, on the pages whose path matches."""

    path: str  # a regex searched in the path and query
    text: str  # a regex matching the text that ends with the amount found ("vests \\d+%")
    reason: str


def amounts_in(
    text: str, pattern: re.Pattern[str], url: str, allowed: Iterable[Allowed]
) -> list[str]:
    found = []
    for match in pattern.finditer(text):
        shown = match.group(0).strip()
        before = text[: match.end()]
        if any(re.search(a.path, url) and re.search(f"(?:{a.text})$", before) for a in allowed):
            continue
        start, end = max(match.start() - 50, 0), min(match.end() + 50, len(text))
        found.append(f"{shown!r} in …{text[start:end]}…")
    return found


# --- The walk ------------------------------------------------------------------------------

SKIPPED = (
    "/static/",
    "/media/",
    "/offer/",  # the candidate's own pages, opened by their private link
    "/outreach/opt-out/",  # a candidate's opt-out link
    "/accounts/logout/",
    "/admin/logout/",
)


@dataclass
class Visit:
    url: str
    status: int
    route: str
    amounts: list[str] = field(default_factory=list)


@dataclass
class Crawl:
    """What a walk found: the pages opened, the amounts on each, the errors."""

    visits: list[Visit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def pages(self, route: str = "") -> list[Visit]:
        return [v for v in self.visits if v.status == 200 and (not route or v.route == route)]


def route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name or match.route


def same_site(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    if parts.path.startswith(SKIPPED) or "logout" in parts.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(
    client: Client,
    seeds: Iterable[str],
    *,
    read: Callable[[str, str], list[str]],
    limit: int,
    per_route: int = 8,
    per_variant: int = 2,
) -> Crawl:
    """Opens every seed, then every same-site link found, breadth first, until `limit` more:
    at most `per_route` addresses of one URL pattern and `per_variant` of one pattern with
    the same query parameters (a list's filters and sortings add no new column). `read`
    gives the amounts a response's text shows."""
    result = Crawl()
    seen: set[str] = set()
    routes: Counter[str] = Counter()
    variants: Counter[tuple[str, frozenset[str]]] = Counter()
    seeds = list(seeds)
    queue: deque[tuple[str, bool]] = deque((s, True) for s in seeds)
    limit += len(seeds)
    while queue and len(result.visits) < limit:
        url, seeded = queue.popleft()
        if url in seen:
            continue
        parts = urlsplit(url)
        route = route_of(parts.path)
        if route is None:
            continue
        variant = (route, frozenset(k for k, _ in parse_qsl(parts.query)))
        if not seeded and (routes[route] >= per_route or variants[variant] >= per_variant):
            continue
        seen.add(url)
        routes[route] += 1
        variants[variant] += 1
        try:
            response = client.get(url)
        except Exception:  # noqa: BLE001 (a 500: the test client raises what the view raised)
            result.errors.append(f"{url}: {traceback.format_exc(limit=-3)}")
            result.visits.append(Visit(url, 500, route))
            continue
        visit = Visit(url, response.status_code, route)
        result.visits.append(visit)
        if response.status_code >= 500:
            result.errors.append(f"{url}: answered {response.status_code}")
        if response.status_code in (301, 302, 303, 307, 308):
            target = same_site(url, response["Location"])
            if target:
                queue.append((target, False))
            continue
        if response.status_code != 200 or getattr(response, "streaming", False):
            continue
        kind = response.get("Content-Type", "")
        if kind.startswith("text/html"):
            page = read_html(response.content.decode())
            visit.amounts = read(url, page.text)
            for href in page.links:
                target = same_site(url, href)
                if target and target not in seen:
                    queue.append((target, False))
        elif kind.startswith("application/pdf"):
            visit.amounts = read(url, pdf_text(response.content))
        elif kind.startswith("text/csv"):
            visit.amounts = read(url, csv_text(response.content))
        else:
            visit.amounts = read(url, response.content.decode(errors="replace"))
    return result
