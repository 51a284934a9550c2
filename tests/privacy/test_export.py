"""Exporting a person's data (the candidate admin's "Export personal data",
services.export_personal_data): a ZIP of JSON files with every row Closer holds about them,
from each table, history tables included; an administrator's act, recorded."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from recruiting.audit.models import PayAccess
from recruiting.privacy.models import DataExport
from tests.factories import UserFactory
from tests.privacy.conftest import EMAIL, NAME, OTHER_EMAIL, VISITOR

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:candidates_candidate_changelist")


def export_in_admin(client, candidate):
    return client.post(CHANGELIST, {"action": "export_action", "_selected_action": [candidate.pk]})


def unzip(response) -> dict[str, object]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def test_the_zip_holds_their_data_from_every_table_history_included(zelda, client, superuser):
    client.force_login(superuser)

    files = unzip(export_in_admin(client, zelda.candidate))

    [candidate] = files["candidates/candidate.json"]
    assert candidate["name"] == NAME and candidate["phone"] == "+1 415 555 0199"
    assert {e["email"] for e in files["candidates/candidateemail.json"]} == {EMAIL, OTHER_EMAIL}
    assert [a["id"] for a in files["pipeline/application.json"]] == [zelda.application.pk]
    assert any(a["summary"] == f"Call with {NAME}" for a in files["pipeline/activity.json"])
    assert len(files["pipeline/stagechange.json"]) >= 3
    assert len(files["outreach/enrollment.json"]) == 2
    [sent] = files["outreach/sentmessage.json"]
    assert sent["to_email"] == EMAIL and sent["subject"].startswith(NAME)
    [offer] = files["offers/offer.json"]
    assert offer["base_salary"] == "400000.00" and offer["status"] == "accepted"
    assert files["offers/approval.json"][0]["comment"] == f"Fine for {NAME}; she earns it."
    assert {h["status"] for h in files["offers/historicaloffer.json"]} >= {"draft", "accepted"}
    [competing] = files["offers/competingoffer.json"]
    assert competing["base_salary"] == "450000.00"
    assert files["offers/historicalcompetingoffer.json"][0]["notes"].startswith(NAME)
    [letter] = files["offers/offerletter.json"]
    assert letter["pdf_bytes"] > 1000 and "pdf" not in letter  # metadata, not the file
    assert len(files["offers/offerlink.json"]) == 1
    [signature] = files["offers/offersignature.json"]
    assert signature["typed_name"] == NAME and signature["ip_address"] == VISITOR.ip_address
    assert signature["user_agent"] == VISITOR.user_agent
    alerts = files["alerts/alert.json"]
    assert {"offer_to_candidate", "offer_signed_copy"} <= {
        a["kind"] for a in alerts if a["to_email"] == EMAIL
    }
    assert any(a["kind"] == "offer_signed" and a["recipient"] for a in alerts)
    manifest = files["manifest.json"]
    assert manifest["candidate_id"] == zelda.candidate.pk
    assert manifest["files"]["offers/historicaloffer.json"] >= 2


def test_the_zip_holds_no_one_else(zelda, client, superuser):
    from tests.factories import CandidateFactory

    CandidateFactory(name="Someone Else", email="someone@example.org")
    client.force_login(superuser)

    content = export_in_admin(client, zelda.candidate).content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        text = " ".join(archive.read(name).decode() for name in archive.namelist())
    assert "Someone Else" not in text and "someone@example.org" not in text


def test_the_export_is_recorded_without_their_data(zelda, client, superuser):
    client.force_login(superuser)
    export_in_admin(client, zelda.candidate)

    export = DataExport.objects.get()
    assert export.candidate_id == zelda.candidate.pk and export.exported_by == superuser
    assert export.files >= 15 and export.rows >= 30
    # It holds their offers' amounts: the pay access log says who took it.
    access = PayAccess.objects.get()
    assert (access.user, access.kind) == (superuser, PayAccess.Kind.EXPORT)
    assert access.label == f"Personal data of candidate {zelda.candidate.pk}"


def actions_for(client, user) -> list[str]:
    client.force_login(user)
    form = client.get(CHANGELIST).context["action_form"]
    return [] if form is None else [name for name, _ in form.fields["action"].choices]


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return UserFactory._meta.model.objects.get(pk=user.pk)  # permissions read afresh


def test_only_who_may_export_and_see_pay_is_offered_it(client, zelda):
    colleague = grant(UserFactory(username="colleague"), "view_candidate")
    assert "export_action" not in actions_for(client, colleague)

    colleague = grant(colleague, "export_personal_data")
    # The export holds pay: the permission alone is not enough.
    assert "export_action" not in actions_for(client, colleague)
    response = export_in_admin(client, zelda.candidate)
    assert response["Content-Type"].startswith("text/html") and not DataExport.objects.exists()

    colleague = grant(colleague, "view_compensation")
    assert "export_action" in actions_for(client, colleague)
    assert unzip(export_in_admin(client, zelda.candidate))["candidates/candidate.json"]


def test_a_recruiter_is_not_offered_it(client, recruiter):
    assert "export_action" not in actions_for(client, recruiter)


def test_an_export_is_one_persons(zelda, client, superuser):
    from tests.factories import CandidateFactory

    other = CandidateFactory()
    client.force_login(superuser)

    response = client.post(
        CHANGELIST,
        {"action": "export_action", "_selected_action": [zelda.candidate.pk, other.pk]},
        follow=True,
    )

    assert "Select one person to export" in response.content.decode()
    assert not DataExport.objects.exists()
