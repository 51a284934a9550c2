"""A file of candidates checked and imported by the real worker, followed on the job's page
(its progress, then the preview or the row errors); the stored file removed after an import,
after a failure, and by the sweep."""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from candidates.imports import BATCH_SIZE
from candidates.models import Candidate, CandidateEmail, CandidateImport
from candidates.tasks import sweep_imports
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT = reverse("admin:candidates_candidate_import")
COLUMNS = ["name", "emails", "current_company", "tags", "level", "country"]


def rows(count: int, **bad: dict[str, str]) -> str:
    """A CSV of `count` people; `bad` replaces cells of some rows ({"row 3": {...}})."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for i in range(1, count + 1):
        row = {
            "name": f"Person {i:05d}",
            "emails": f"person-{i:05d}@example.org",
            "current_company": f"Lab {i % 40}",
            "tags": "safety, rlhf",
            "level": "Senior",
            "country": "France",
        }
        writer.writerow({**row, **bad.get(f"row {i}", {})})
    return out.getvalue()


def upload(client, text: str):
    file = SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")
    response = client.post(IMPORT, {"import_file": file, "format": "0", "resource": "0"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    job = CandidateImport.objects.get()
    assert response["Location"] == reverse("admin:candidates_candidate_import_job", args=[job.pk])
    return job


def follow(client, job: CandidateImport, until: set[str], timeout: float = 120):
    """Polls the part of the job's page that htmx asks for, as the browser does, and returns
    what it showed each time (status, rows processed, rows total) and the last page."""
    url = reverse("admin:candidates_candidate_import_progress", args=[job.pk])
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(url)
        assert response.status_code == 200
        shown = response.context["job"]
        seen.append((shown.status, shown.rows_processed, shown.rows_total, response))
        if shown.status in until:
            return seen, response.content.decode()
        time.sleep(0.02)
    pytest.fail(f"the job stayed {seen[-1][:3]}")


def test_a_large_file_is_checked_then_imported_by_the_worker_with_its_progress_shown(
    celery_worker, recruiter_client
):
    count = 2 * BATCH_SIZE + 500  # three batches: the bar moves twice before the end
    job = upload(recruiter_client, rows(count))
    stored = Path(job.file.path)
    assert stored.is_relative_to(settings.CANDIDATE_IMPORT_DIR) and stored.exists()

    seen, page = follow(recruiter_client, job, {"checked", "failed"})

    # While it ran, the page asked for itself again and showed a bar of rows checked.
    running = [(n, total, r) for status, n, total, r in seen if status == "checking" and total]
    assert any(0 < n < total for n, total, _ in running), [s[:3] for s in seen]
    fragment = running[-1][2].content.decode()
    assert 'hx-trigger="every 1s"' in fragment and f'max="{count}"' in fragment
    # Then the result: every row valid, a preview, a button; nothing saved yet.
    assert "hx-trigger" not in page
    assert f"All {count} rows are valid: {count} new, 0 updated" in page
    assert 'value="Confirm import"' in page and "Person 00001" in page
    assert not Candidate.objects.exists()

    response = recruiter_client.post(
        reverse("admin:candidates_candidate_import_confirm", args=[job.pk])
    )
    assert response.status_code == 302
    seen, page = follow(recruiter_client, job, {"done", "failed"})

    shown = [s[:3] for s in seen]
    assert any(s == "importing" and 0 < n < total for s, n, total in shown), shown
    assert f"Imported: {count} new, 0 updated" in page
    assert Candidate.objects.count() == count
    assert CandidateEmail.objects.count() == count
    ada = Candidate.objects.get(name="Person 00041")
    assert (ada.current_company.name, ada.level, ada.country.code) == ("Lab 1", "senior", "FR")
    assert sorted(t.name for t in ada.tags.all()) == ["rlhf", "safety"]
    assert not stored.exists()
    job.refresh_from_db()
    assert (job.status, job.file.name) == ("done", "")


def test_row_errors_are_listed_and_nothing_is_saved_and_the_file_is_removed(
    celery_worker, recruiter_client
):
    text = rows(
        3000,
        **{
            "row 2": {"emails": "person-00001@example.org"},
            "row 2500": {"level": "Wizard"},
        },
    )
    job = upload(recruiter_client, text)
    stored = Path(job.file.path)

    _, page = follow(recruiter_client, job, {"checked", "failed"})

    assert "Nothing was imported: 2 rows failed to validate." in page
    assert "person-00001@example.org is also in row 1 of this file." in page
    assert "“Wizard” is not one of:" in page
    assert '<span class="validation-error-field-label">level</span>' in page
    assert 'value="Confirm import"' not in page
    assert not Candidate.objects.exists()
    assert not stored.exists()


def test_rows_that_became_invalid_before_the_confirm_import_nothing(
    celery_worker, recruiter_client
):
    job = upload(recruiter_client, rows(2500))
    stored = Path(job.file.path)
    follow(recruiter_client, job, {"checked"})
    # Meanwhile someone records another person with the email of row 2,400.
    CandidateFactory(name="Someone Else", email="person-02400@example.org")

    recruiter_client.post(reverse("admin:candidates_candidate_import_confirm", args=[job.pk]))
    _, page = follow(recruiter_client, job, {"done", "failed"})

    assert "Nothing was imported: some rows became invalid after the check." in page
    # Row 2,400 now finds her by its email, and names someone else.
    assert "person-02400@example.org belongs to Someone Else" in page
    assert list(Candidate.objects.values_list("name", flat=True)) == ["Someone Else"]
    assert not stored.exists()


def test_the_sweep_removes_the_files_of_imports_never_confirmed(
    celery_worker, recruiter_client, drain
):
    job = upload(recruiter_client, rows(5))
    follow(recruiter_client, job, {"checked"})
    stored = Path(job.file.path)
    fresh = upload_another(recruiter_client)
    follow(recruiter_client, fresh, {"checked"})
    day_ago = timezone.now() - timedelta(hours=settings.CANDIDATE_IMPORT_KEEP_HOURS, minutes=1)
    CandidateImport.objects.filter(pk=job.pk).update(created_at=day_ago)
    assert stored.exists()
    # A file no job holds (its upload's row never saved), as old.
    orphan = Path(settings.CANDIDATE_IMPORT_DIR) / "orphan-of-a-test.csv"
    orphan.write_text("name\nAda\n")
    os.utime(orphan, (day_ago.timestamp(), day_ago.timestamp()))

    sweep_imports.delay()
    drain()

    assert not stored.exists() and not orphan.exists()
    assert Path(fresh.file.path).exists()  # a file of today waits for its confirm
    page = recruiter_client.get(job.get_absolute_url()).content.decode()
    assert "Not confirmed within 24 hours: the file was removed." in page
    assert 'value="Confirm import"' not in page
    Path(fresh.file.path).unlink()  # the test's own leftover


def upload_another(client) -> CandidateImport:
    file = SimpleUploadedFile("more.csv", rows(3).encode(), content_type="text/csv")
    client.post(IMPORT, {"import_file": file, "format": "0", "resource": "0"})
    return CandidateImport.objects.latest("pk")
