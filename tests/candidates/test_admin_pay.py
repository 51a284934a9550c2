"""A candidate's estimated current pay in the admin: shown, exported, imported and kept on
edit only for users who may see compensation."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import CandidateFactory, UserFactory

pytestmark = pytest.mark.django_db


EXPORT = reverse("admin:candidates_candidate_export")


# --- Estimated current pay: only for users who may see compensation ------------------------


PAY_FIGURES = ("2,000,000", "2000000", "3,000,000", "3000000")


def staff_who_may_view_candidates(*, compensation: bool, more: tuple[str, ...] = ()):
    from django.contrib.auth.models import Permission

    user = UserFactory.create(username=f"viewer_{compensation}".lower())
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="candidates", codename__in=("view_candidate", *more)
        )
    )
    if compensation:
        user.user_permissions.add(Permission.objects.get(codename="view_compensation"))
    return user


@pytest.fixture
def well_paid():
    """A $2M base and $3M of equity a year."""
    return CandidateFactory.create(
        name="Ada Lovelace",
        current_base=Decimal("2000000"),
        current_equity_per_year=Decimal("3000000"),
        current_pay_currency_id="USD",
    )


def candidate_page(client, candidate) -> str:
    response = client.get(reverse("admin:candidates_candidate_change", args=[candidate.pk]))
    assert response.status_code == 200
    return response.content.decode()


def export_csv(client, resource: str) -> str:
    """Exports every column the export page offers, as CSV."""
    page = client.get(EXPORT)
    assert page.status_code == 200
    columns = [name for name in page.context["form"].fields if name.startswith(f"{resource}_")]
    response = client.post(EXPORT, {"format": "0", "resource": "0", **dict.fromkeys(columns, "on")})
    assert response.status_code == 200
    return response.content.decode()


def test_without_view_compensation_the_candidate_page_shows_no_pay(client, well_paid):
    client.force_login(staff_who_may_view_candidates(compensation=False))

    page = candidate_page(client, well_paid)

    assert "Ada Lovelace" in page
    assert "Estimated current pay" not in page
    assert not [figure for figure in PAY_FIGURES if figure in page]


def test_with_view_compensation_the_candidate_page_shows_the_pay(client, well_paid):
    client.force_login(staff_who_may_view_candidates(compensation=True))

    page = candidate_page(client, well_paid)

    assert "Estimated current pay" in page
    assert "2000000.00" in page and "3000000.00" in page


def test_without_view_compensation_the_export_has_no_pay_columns(client, well_paid):
    client.force_login(staff_who_may_view_candidates(compensation=False))

    exported = export_csv(client, "candidateresourcewithoutpay")

    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [row["name"] for row in rows] == ["Ada Lovelace"]
    assert not {"current_base", "current_equity_per_year", "current_pay_currency"} & set(rows[0])
    assert not [figure for figure in PAY_FIGURES if figure in exported]


def test_with_view_compensation_the_export_has_the_pay(client, well_paid):
    client.force_login(staff_who_may_view_candidates(compensation=True))

    rows = list(csv.DictReader(io.StringIO(export_csv(client, "candidateresource"))))

    assert (rows[0]["current_base"], rows[0]["current_pay_currency"]) == ("2000000.00", "USD")


def test_without_view_compensation_an_import_neither_shows_nor_changes_pay(
    client, well_paid, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from candidates.imports import check_job, import_job
    from candidates.models import CandidateImport

    settings.CANDIDATE_IMPORT_DIR = tmp_path

    client.force_login(
        staff_who_may_view_candidates(
            compensation=False, more=("add_candidate", "change_candidate")
        )
    )
    text = (
        "id,name,current_title,current_base,current_pay_currency\n"
        f"{well_paid.pk},Ada Lovelace,Chief Scientist,1,EUR\n"
    )
    upload = SimpleUploadedFile("candidates.csv", text.encode(), content_type="text/csv")

    uploaded = client.post(
        reverse("admin:candidates_candidate_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    assert uploaded.status_code == 302
    job = CandidateImport.objects.get()
    check_job(job.pk)  # the worker's steps, run here
    previewed = client.get(uploaded["Location"])
    assert previewed.status_code == 200
    assert "Chief Scientist" in previewed.content.decode()
    assert not [figure for figure in PAY_FIGURES if figure in previewed.content.decode()]
    client.post(reverse("admin:candidates_candidate_import_confirm", args=[job.pk]))
    import_job(job.pk)

    well_paid.refresh_from_db()
    assert well_paid.current_title == "Chief Scientist"
    assert (well_paid.current_base, well_paid.current_pay_currency_id) == (
        Decimal("2000000.00"),
        "USD",
    )


def test_without_view_compensation_editing_a_candidate_keeps_their_pay(
    client, well_paid, admin_form_data
):
    client.force_login(
        staff_who_may_view_candidates(compensation=False, more=("change_candidate",))
    )
    url = reverse("admin:candidates_candidate_change", args=[well_paid.pk])
    data = admin_form_data(client.get(url))
    data.update({"current_title": "Chief Scientist", "current_base": "1"})

    response = client.post(url, data)

    assert response.status_code == 302
    well_paid.refresh_from_db()
    assert (well_paid.current_title, well_paid.current_base) == (
        "Chief Scientist",
        Decimal("2000000.00"),
    )
