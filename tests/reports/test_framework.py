"""What every report shares, through a report made for these tests (tests/reports/spec.py):
who may open it, what someone without pay sees (counts and rates, not one amount, in the page
and the CSV), a hiring manager's roles only, the filters in the address, the CSV, and a bad
filter named."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from recruiting.audit.models import PayAccess
from recruiting.pipeline.models import Application
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.reports.urls")]

URL = "/reports/test-figures/"


@pytest.fixture
def roles(hiring_manager, recruiter):
    """Hank's Research Engineer role with three applications (one lost), and a role whose title
    a spreadsheet would take for a formula, with one."""
    engineer = RoleFactory(title="Research Engineer", hiring_manager=hiring_manager)
    formula = RoleFactory(title="=HYPERLINK(1)")
    for name in ("Ada", "Grace", "Edsger"):
        ApplicationFactory(role=engineer, candidate=CandidateFactory(name=name, owner=recruiter))
    Application.objects.filter(candidate__name="Edsger").update(
        status="lost", lost_reason="withdrew"
    )
    ApplicationFactory(role=formula, candidate=CandidateFactory(name="Alan"))
    return engineer, formula


@pytest.fixture
def coordinator(db):
    """Sees every application, and no pay."""
    user = UserFactory(username="coordinator")
    user.user_permissions.add(Permission.objects.get(codename="view_application"))
    return user


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_recruiter_sees_counts_rates_amounts_and_charts(client, recruiter, roles):
    client.force_login(recruiter)

    html = client.get(URL).content.decode()

    assert "Test figures" in html and "Every application." in html
    # Three applications, one lost: 33.3% of 3, marked as too few to mean much.
    assert "33.3% of 3" in html and "Too few to mean much" in html
    assert "3,703,701" in html  # 3 x 1,234,567
    assert "1.50" in html
    assert html.count("<svg") == 2
    assert "amounts in USD" in html
    assert PayAccess.objects.get().kind == PayAccess.Kind.REPORT


def test_the_csv_holds_what_the_page_shows_as_plain_numbers(client, recruiter, roles):
    client.force_login(recruiter)

    response = client.get(URL, {"format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="closer-test-figures-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][0] == "Test figures" and rows[0][2] == "amounts in USD"
    header = rows.index(["Role", "Applications", "Lost", "Worth", "Worth to band"])
    assert rows[header + 1] == ["'=HYPERLINK(1)", "1", "0.0", "1234567.00", "1.5000"]
    assert rows[header + 2] == ["Research Engineer", "3", "33.3", "3703701.00", "1.5000"]
    assert PayAccess.objects.get().kind == PayAccess.Kind.REPORT_CSV


def test_without_view_compensation_the_page_and_csv_hold_no_amount(client, coordinator, roles):
    client.force_login(coordinator)

    html = client.get(URL).content.decode()
    rows = csv_rows(client.get(URL, {"format": "csv"}))

    assert "33.3% of 3" in html
    assert "counts and rates (amounts are for those who may see pay)" in html
    for figure in ("3,703,701", "1,234,567", "1.50", "Worth"):
        assert figure not in html
    # The chart of counts stays; the chart of amounts goes with its table.
    assert html.count("<svg") == 1
    assert rows[0][2] == "counts and rates"
    assert ["Role", "Applications", "Lost"] in rows
    assert not any("1234567" in cell or "3703701" in cell for row in rows for cell in row)
    assert not PayAccess.objects.exists()


def test_a_hiring_manager_sees_their_roles_only(client, hiring_manager, roles):
    client.force_login(hiring_manager)

    html = client.get(URL).content.decode()

    assert "Research Engineer" in html and "HYPERLINK" not in html
    assert "your roles only" in html
    assert "33.3% of 3" in html and "3,703,701" not in html


def test_someone_with_neither_applications_nor_roles_is_refused(client, outsider, roles):
    client.force_login(outsider)

    assert client.get(URL).status_code == 403
    assert client.get(reverse("web:reports")).status_code == 403


def test_a_visitor_is_sent_to_sign_in(client, roles):
    response = client.get(URL)

    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_the_filters_are_in_the_permalink_and_the_csv_link(client, recruiter, roles):
    engineer, _ = roles
    client.force_login(recruiter)
    query = {"date_from": "2026-01-01", "date_to": "2026-06-30", "role": engineer.pk}

    html = client.get(URL, query).content.decode()

    assert (
        f"http://testserver{URL}?date_from=2026-01-01&amp;date_to=2026-06-30&amp;role={engineer.pk}"
        in html
    )
    assert (
        f"?date_from=2026-01-01&amp;date_to=2026-06-30&amp;role={engineer.pk}&amp;format=csv"
        in html
    )
    assert "1 Jan 2026 to 30 Jun 2026" in html
    assert "Research Engineer" in html and "HYPERLINK(1)</td>" not in html


def test_a_bad_filter_is_named_and_nothing_is_reported(client, recruiter, roles):
    client.force_login(recruiter)

    backwards = client.get(URL, {"date_from": "2026-06-30", "date_to": "2026-01-01"})
    too_long = client.get(URL, {"date_from": "2000-01-01", "date_to": "2026-01-01"})
    not_a_date = client.get(URL, {"date_from": "soon"})

    assert backwards.status_code == too_long.status_code == not_a_date.status_code == 400
    assert "The start date is on or before the end date." in backwards.content.decode()
    assert "A report covers at most ten years." in too_long.content.decode()
    assert "Enter a valid date." in not_a_date.content.decode()
    assert "33.3%" not in backwards.content.decode()
    assert not PayAccess.objects.exists()


def test_a_role_the_hiring_manager_does_not_manage_is_not_a_choice(client, hiring_manager, roles):
    _, formula = roles
    client.force_login(hiring_manager)

    response = client.get(URL, {"role": formula.pk})

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()


def test_what_people_typed_is_shown_as_text_in_the_tables(client, recruiter, roles):
    ApplicationFactory(role=RoleFactory(title="<b>Vision</b> & Audio"))
    client.force_login(recruiter)

    html = client.get(URL).content.decode()

    # The table rows are written out in Python (cells.body_html), every text escaped.
    assert "<td>&lt;b&gt;Vision&lt;/b&gt; &amp; Audio</td>" in html
    assert "<b>Vision</b>" not in html
    assert '<td class="text-end text-nowrap">33.3% of 3<sup' in html
