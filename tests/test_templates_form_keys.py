"""Every POST form in Closer's templates (`templates/` and any app's `templates/`) carries its
one-time key, `{% form_key %}` (recruiting/lib/form_keys.py), so a new form cannot forget it:
a form is a POST form if its method says so or it holds a CSRF token."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# tests/idp is another site (the identity provider the single sign-on tests run), not Closer's.
SKIPPED = {".venv", "node_modules", ".git", "var", "artifacts", "idp"}

COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
POST = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.I)
CSRF = re.compile(r"{%\s*csrf_token\s*%}")
KEY = re.compile(r"{%\s*form_key\s*%}")


def template_files() -> list[Path]:
    folders = [ROOT / "templates"] + [
        folder
        for folder in ROOT.glob("*/**/templates")
        if not SKIPPED.intersection(folder.relative_to(ROOT).parts)
    ]
    return sorted({file for folder in folders for file in folder.rglob("*.html")})


def forms_without_a_key(text: str) -> list[int]:
    """The line numbers of the POST forms in a template that carry no key."""
    text = COMMENTS.sub(lambda comment: "\n" * comment.group().count("\n"), text)
    return [
        text.count("\n", 0, form.start()) + 1
        for form in FORM.finditer(text)
        if (POST.search(form["attrs"]) or CSRF.search(form["body"]))
        and not KEY.search(form["body"])
    ]


def test_the_scan_finds_a_post_form_without_its_key_and_passes_one_with_it():
    assert forms_without_a_key('<p>\n<form method="post">{% csrf_token %}</form>') == [2]
    assert forms_without_a_key("<form method='POST' action='/x'><button></button></form>") == [1]
    assert forms_without_a_key('<form method="{{ m }}">{% csrf_token %}</form>') == [1]
    assert forms_without_a_key('<form method="post">{% csrf_token %}{% form_key %}</form>') == []
    assert forms_without_a_key('<form method="get"><input name="q"></form>') == []
    assert forms_without_a_key('{% comment %}<form method="post"></form>{% endcomment %}') == []


def test_every_post_form_in_the_templates_carries_its_one_time_key():
    files = template_files()
    offenders = [
        f"{file.relative_to(ROOT)}:{line}"
        for file in files
        for line in forms_without_a_key(file.read_text(encoding="utf-8"))
    ]

    assert len(files) > 50  # the scan reads the templates, not an empty folder
    assert offenders == [], "POST forms without {% form_key %}: " + ", ".join(offenders)
