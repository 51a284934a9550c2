"""The Content-Security-Policy header on the workspace's pages and the admin's: a fresh nonce
for scripts, nothing inline allowed without it, no eval; the admin adds only the hashes of the
inline bits its packages' templates write; the candidate's offer page keeps its own policy.
(tests/e2e/test_content_security_policy.py proves in a browser that the pages keep working
under it and that a script without the nonce does not run.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template.loader import get_template
from django.urls import reverse

from recruiting.lib.csp import (
    ADMIN_SCRIPT_ATTRIBUTES,
    ADMIN_STYLE_ATTRIBUTES,
    source_hash,
)
from tests.factories import ApplicationFactory, OfferFactory

pytestmark = pytest.mark.django_db

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]{16,})'")


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_strict(policy: dict[str, list[str]], where: str) -> str:
    """The rules every page's policy keeps; returns the nonce."""
    assert policy["default-src"] == ["'none'"], where
    assert policy["object-src"] == ["'none'"], where
    assert policy["base-uri"] == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["form-action"] == ["'self'"], where
    for directive in ("script-src", "style-src"):
        sources = policy[directive]
        assert "'self'" in sources, where
        assert "'unsafe-inline'" not in sources, (where, directive)
        assert "'unsafe-eval'" not in sources, (where, directive)
        assert not any(s.startswith(("http", "*", "data:")) for s in sources), (where, sources)
    nonces = [NONCE.fullmatch(s) for s in policy["script-src"]]
    found = [m.group(1) for m in nonces if m]
    assert len(found) == 1, (where, policy["script-src"])
    return found[0]


@pytest.fixture
def pages(recruiter):
    offer = OfferFactory.create(drafted_by=recruiter)
    application = offer.application
    ApplicationFactory.create(role=application.role)
    return {
        "home": reverse("home"),
        "board": reverse("web:board", args=[application.role_id]),
        "application": reverse("web:application", args=[application.pk]),
        "offer form": reverse("offers:edit", args=[offer.pk]),
        "offer": reverse("offers:detail", args=[offer.pk]),
        "candidates": reverse("web:candidates"),
        "candidate": reverse("web:candidate", args=[application.candidate_id]),
        "alerts": reverse("alerts:mine"),
        "approvals": reverse("offers:approvals"),
    }


def test_every_workspace_page_has_a_strict_policy_with_a_fresh_nonce(recruiter_client, pages):
    seen = set()
    for name, url in pages.items():
        response = recruiter_client.get(url)
        assert response.status_code == 200, name
        policy = directives(response)
        nonce = assert_strict(policy, name)
        # The workspace needs no hashed exception: nothing inline at all.
        assert "'unsafe-hashes'" not in response["Content-Security-Policy"], name
        assert nonce not in seen, name
        seen.add(nonce)
        # htmx's own script tag carries the nonce (it would run without: it is a static file).
        assert f'nonce="{nonce}"' in response.content.decode(), name


def test_the_sign_in_page_has_the_policy_too(client):
    response = client.get(reverse("account_login"))

    assert_strict(directives(response), "sign-in")


def test_the_admin_adds_only_the_hashes_of_its_packages_inline_bits(recruiter_client, recruiter):
    offer = OfferFactory.create(drafted_by=recruiter)
    candidate = offer.application.candidate
    for url in (
        reverse("admin:index"),
        reverse("admin:candidates_candidate_changelist"),
        reverse("admin:candidates_candidate_change", args=[candidate.pk]),
        reverse("admin:pipeline_application_change", args=[offer.application_id]),
    ):
        response = recruiter_client.get(url)
        assert response.status_code == 200, url
        policy = directives(response)
        assert_strict(policy, url)
        assert source_hash("onSelectToggleChange(event)") in policy["script-src-attr"]
        assert source_hash("border-top: 0") in policy["style-src-attr"]
        # The attribute hashes need 'unsafe-hashes', which only the -attr directives carry:
        # a <script> element's hash would still not be enough to run it.
        assert "'unsafe-hashes'" not in policy["script-src"] + policy["style-src"]
        assert policy["script-src-attr"][0] == "'unsafe-hashes'"
        assert all(s.startswith("'sha256-") for s in policy["script-src-attr"][1:])
        assert all(s.startswith("'sha256-") for s in policy["style-src-attr"][1:])


def test_a_refusal_and_a_missing_page_carry_the_policy(recruiter_client, outsider, client):
    client.force_login(outsider)
    refused = client.get(reverse("web:candidates"))
    missing = client.get("/no-such-page/")

    assert refused.status_code in (403, 404)
    assert missing.status_code == 404
    assert_strict(directives(refused), "refused")
    assert_strict(directives(missing), "missing")


@pytest.mark.parametrize(
    ("template", "texts"),
    [
        ("simple_history/object_history_list.html", [f'style="{ADMIN_STYLE_ATTRIBUTES[0]}"']),
        (
            "admin/import_export/export.html",
            [f'style="{text}"' for text in ADMIN_STYLE_ATTRIBUTES[1:]]
            + [f'onchange="{text}"' for text in ADMIN_SCRIPT_ATTRIBUTES],
        ),
    ],
)
def test_the_admins_hashed_bits_are_those_the_installed_templates_write(template, texts):
    # The hash is of the exact text: an upgrade that changes one by a space must say which.
    source = get_template(template).template.source
    for text in texts:
        assert text in source, (template, text)


def test_every_page_that_loads_htmx_loads_its_configuration_first():
    # htmx injects a <style> of its own unless told not to (a violation on any page that
    # loads it without the configuration: the admin's import page did).
    root = Path(__file__).resolve().parents[2]
    loading = [
        str(path.relative_to(root))
        for folder in [root / "templates", *root.glob("*/**/templates")]
        if ".venv" not in folder.parts
        for path in folder.rglob("*.html")
        if "{% htmx_script %}" in path.read_text(encoding="utf-8")
    ]

    assert loading == ["templates/htmx_script.html"]
    config = (root / "templates" / "htmx_script.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config
