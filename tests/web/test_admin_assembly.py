"""The candidate, application and company admins are registered once, in recruiting/web/admin.py,
from what each app exports: what a recruiter sees on them does not depend on the order of
INSTALLED_APPS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.contrib import admin

from candidates.models import Candidate, Company
from recruiting.pipeline.models import Application
from recruiting.web import admin as web_admin

ROOT = Path(__file__).resolve().parents[2]

# Prints, as JSON, what the registered admins of the three shared models offer, with the
# Closer apps of INSTALLED_APPS in the order given by CLOSER_APPS_ORDER ("reversed" or not).
DESCRIBE = """
import json, os
from django.conf import settings
import recruiting.settings as base

closer = [a for a in base.INSTALLED_APPS if a.startswith(("recruiting", "candidates", "offers"))]
others = [a for a in base.INSTALLED_APPS if a not in closer]
if os.environ.get("CLOSER_APPS_ORDER") == "reversed":
    closer = closer[::-1]
settings.configure(**{
    name: getattr(base, name) for name in dir(base) if name.isupper() and name != "INSTALLED_APPS"
}, INSTALLED_APPS=others + closer)

import django
django.setup()
from django.contrib import admin
from django.test import RequestFactory
from candidates.models import Candidate, Company
from recruiting.pipeline.models import Application


def name(thing):
    return getattr(thing, "__name__", str(thing))


request = RequestFactory().get("/")
described = {}
for model in (Candidate, Application, Company):
    model_admin = admin.site._registry[model]
    obj = model(pk=1)
    described[model.__name__] = {
        "admin": type(model_admin).__module__ + "." + type(model_admin).__qualname__,
        "list_display": [name(c) for c in model_admin.list_display],
        "list_filter": [name(f) for f in model_admin.list_filter],
        "actions": [name(a) for a in model_admin.actions or []],
        "inlines on a page": [name(i) for i in model_admin.get_inlines(request, obj)],
    }
print(json.dumps(described))
"""


def describe(order: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", DESCRIBE],
        cwd=ROOT,
        env={**os.environ, "CLOSER_APPS_ORDER": order},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_each_shared_model_is_registered_once_by_the_web_layer():
    assert type(admin.site._registry[Candidate]) is web_admin.CandidateAdmin
    assert type(admin.site._registry[Application]) is web_admin.ApplicationAdmin
    assert type(admin.site._registry[Company]) is web_admin.CompanyAdmin


def test_the_candidate_admin_has_what_every_app_adds_to_it():
    shown = describe("as configured")["Candidate"]

    assert "pipeline" in shown["list_display"]  # the pipeline's column
    assert "flight_risk_text" in shown["list_display"]  # offers' column
    assert {"StageFilter", "RoleFilter", "CompetitorAheadFilter"} <= set(shown["list_filter"])
    assert {
        "assign_owner_action",  # candidates
        "move_stage_action",  # pipeline
        "merge_action",  # pipeline
        "enroll_action",  # outreach
    } <= set(shown["actions"])
    assert {
        "CandidateEmailInline",
        "ApplicationInline",
        "ActivityInline",
        "CompetingOfferSummaryInline",
    } <= set(shown["inlines on a page"])


def test_what_the_admin_shows_does_not_depend_on_the_order_of_installed_apps():
    assert describe("reversed") == describe("as configured")
