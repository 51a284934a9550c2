"""The candidate admin as a recruiter uses it: the list, search, filters, the form, actions."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from candidates.models import Candidate, CandidateEmail, Company, Tag
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    RoleFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:candidates_candidate_changelist")
ADD = reverse("admin:candidates_candidate_add")
EXPORT = reverse("admin:candidates_candidate_export")

# Session, user, permissions (2), the filters' choices (stage, role, owner, company, tag), the
# count, the page, its emails and its applications. A query per row would break it.
CHANGELIST_QUERIES = 13


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return sorted(c.name for c in response.context["cl"].result_list)


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- The list ------------------------------------------------------------------------------


def test_the_candidate_list_shows_name_email_company_and_pipeline(recruiter_client):
    role = RoleFactory(title="Inference Engineer")
    ada = CandidateFactory(
        name="Ada Lovelace",
        email="ada@example.org",
        current_company=CompanyFactory(name="Analytical Engines"),
    )
    ApplicationFactory(candidate=ada, role=role)

    response = recruiter_client.get(CHANGELIST)

    assert listed(response) == ["Ada Lovelace"]
    page = response.content.decode()
    assert "ada@example.org" in page
    assert "Analytical Engines" in page
    assert "Inference Engineer (San Francisco): <b>Sourced</b>" in page


def test_the_list_shows_closed_applications_after_open_ones_and_owners_by_name(
    recruiter_client, recruiter
):
    from recruiting.pipeline.models import Application
    from recruiting.pipeline.services import mark_lost

    ada = CandidateFactory(name="Ada Lovelace", owner=recruiter, current_title="Researcher")
    ApplicationFactory(candidate=ada, role=RoleFactory(title="Safety Researcher"))
    lost = ApplicationFactory(candidate=ada, role=RoleFactory(title="Inference Engineer"))
    mark_lost(lost, reason=Application.LostReason.NO_RESPONSE, by=recruiter)

    page = recruiter_client.get(CHANGELIST).content.decode()

    assert page.index("Safety Researcher (San Francisco): <b>Sourced</b>") < page.index(
        "Inference Engineer (San Francisco): <b>Lost</b>"
    )
    assert "Rita Recruiter" in page


@pytest.mark.parametrize("rows", [5, 60])
def test_the_candidate_list_takes_the_same_number_of_queries_whatever_the_rows(
    recruiter_client, django_assert_max_num_queries, rows
):
    owners = UserFactory.create_batch(3)
    companies = CompanyFactory.create_batch(4)
    tags = TagFactory.create_batch(3)
    roles = RoleFactory.create_batch(2)
    for i in range(rows):
        candidate = CandidateFactory(owner=owners[i % 3], current_company=companies[i % 4])
        CandidateEmail.objects.create(candidate=candidate, email=f"personal{i}@example.net")
        candidate.tags.add(*tags[: 1 + i % 3])
        for role in roles:
            ApplicationFactory(candidate=candidate, role=role)

    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = recruiter_client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == min(rows, 50)
    assert response.content.decode().count("Sourced</b>") == 2 * min(rows, 50)


# --- Search --------------------------------------------------------------------------------


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    deepmind = CompanyFactory(name="Google DeepMind")
    mistral = CompanyFactory(name="Mistral AI")
    ada = CandidateFactory(
        name="Ada Lovelace", email="ada@analytical.example", current_company=deepmind
    )
    CandidateEmail.objects.create(candidate=ada, email="countess.lovelace@example.org")
    grace = CandidateFactory(
        name="Grace Hopper", email="grace@navy.example", current_company=mistral
    )
    alan = CandidateFactory(name="Alan Turing", email="alan@bletchley.example")
    return {"ada": ada, "grace": grace, "alan": alan, "deepmind": deepmind, "mistral": mistral}


@pytest.mark.parametrize(
    ("term", "found"),
    [
        pytest.param("lovelace", ["Ada Lovelace"], id="name"),
        pytest.param("HOPPER", ["Grace Hopper"], id="name-upper-case"),
        pytest.param("COUNTESS.LOVE", ["Ada Lovelace"], id="second-email-partial"),
        pytest.param("bletchley", ["Alan Turing"], id="email-domain"),
        pytest.param("deepmind", ["Ada Lovelace"], id="company"),
        pytest.param("mistral", ["Grace Hopper"], id="company-lower-case"),
        pytest.param("ada deepmind", ["Ada Lovelace"], id="every-word-must-match"),
        pytest.param("grace deepmind", [], id="words-matching-different-people"),
        pytest.param(".example", ["Ada Lovelace", "Alan Turing", "Grace Hopper"], id="all"),
    ],
)
def test_search_finds_by_name_email_or_company(recruiter_client, people, term, found):
    response = recruiter_client.get(CHANGELIST, {"q": term})

    assert listed(response) == found


# --- Filters -------------------------------------------------------------------------------


def test_the_owner_filter_shows_a_recruiters_candidates_or_nobodys(recruiter_client, recruiter):
    CandidateFactory(name="Ada Lovelace", owner=recruiter)
    CandidateFactory(name="Grace Hopper", owner=UserFactory())
    CandidateFactory(name="Alan Turing", owner=None)

    assert listed(recruiter_client.get(CHANGELIST, {"owner": recruiter.pk})) == ["Ada Lovelace"]
    assert listed(recruiter_client.get(CHANGELIST, {"owner": "none"})) == ["Alan Turing"]


def test_the_tag_filter_shows_candidates_with_that_tag(recruiter_client):
    safety, rlhf = TagFactory(name="safety"), TagFactory(name="rlhf")
    CandidateFactory(name="Ada Lovelace").tags.add(safety, rlhf)
    CandidateFactory(name="Grace Hopper").tags.add(rlhf)
    CandidateFactory(name="Alan Turing")

    assert listed(recruiter_client.get(CHANGELIST, {"tag": safety.pk})) == ["Ada Lovelace"]
    assert listed(recruiter_client.get(CHANGELIST, {"tag": rlhf.pk})) == [
        "Ada Lovelace",
        "Grace Hopper",
    ]


def test_the_company_filter_shows_the_people_working_there(recruiter_client):
    deepmind = CompanyFactory(name="Google DeepMind")
    CandidateFactory(name="Ada Lovelace", current_company=deepmind)
    CandidateFactory(name="Grace Hopper", current_company=CompanyFactory())

    response = recruiter_client.get(CHANGELIST, {"current_company__id__exact": deepmind.pk})

    assert listed(response) == ["Ada Lovelace"]


def test_the_relationship_filter_separates_employees_from_prospects(recruiter_client):
    CandidateFactory(name="Ada Lovelace", relationship=Candidate.Relationship.EMPLOYEE)
    CandidateFactory(name="Grace Hopper", relationship=Candidate.Relationship.PROSPECT)

    response = recruiter_client.get(CHANGELIST, {"relationship__exact": "employee"})

    assert listed(response) == ["Ada Lovelace"]


def test_the_specialty_filter_shows_that_specialty(recruiter_client):
    CandidateFactory(name="Ada Lovelace", specialty=Candidate.Specialty.SAFETY)
    CandidateFactory(name="Grace Hopper", specialty=Candidate.Specialty.INFERENCE)

    response = recruiter_client.get(CHANGELIST, {"specialty__exact": "safety"})

    assert listed(response) == ["Ada Lovelace"]


def test_the_do_not_contact_filter_shows_who_opted_out(recruiter_client):
    CandidateFactory(name="Ada Lovelace", do_not_contact=True)
    CandidateFactory(name="Grace Hopper")

    response = recruiter_client.get(CHANGELIST, {"do_not_contact__exact": "1"})

    assert listed(response) == ["Ada Lovelace"]


# --- The add form --------------------------------------------------------------------------


@pytest.fixture
def add_form(recruiter_client, admin_form_data):  # type: ignore[no-untyped-def]
    """The POST data of the empty add form, with a name and one email row."""

    def build(email: str = "ada@example.org", **values: str) -> dict:
        data = admin_form_data(recruiter_client.get(ADD))
        data.update(
            {
                "name": "Ada Lovelace",
                "emails-TOTAL_FORMS": "1",
                "emails-0-email": email,
                "emails-0-is_primary": "on",
                **values,
            }
        )
        return data

    return build


def test_adding_a_candidate_saves_them_with_their_email(recruiter_client, add_form):
    response = recruiter_client.post(ADD, add_form("Ada@Example.org", city="London"))

    assert response.status_code == 302
    ada = Candidate.objects.get(name="Ada Lovelace")
    assert ada.city == "London"
    assert ada.emails.get().email == "Ada@Example.org"
    assert ada.emails.get().is_primary


def test_adding_a_candidate_with_a_taken_email_shows_who_has_it_and_saves_nothing(
    recruiter_client, add_form
):
    CandidateFactory(name="Grace Hopper", email="grace@navy.example")

    response = recruiter_client.post(ADD, add_form("GRACE@Navy.Example"))

    assert response.status_code == 200
    email_formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "emails"
    )
    assert "Grace Hopper" in email_formset.errors[0]["email"][0]
    assert "already belongs to Grace Hopper" in response.content.decode()
    assert not Candidate.objects.filter(name="Ada Lovelace").exists()
    assert CandidateEmail.objects.count() == 1


def test_the_same_email_twice_on_one_candidate_is_refused(recruiter_client, add_form):
    data = add_form("ada@example.org")
    data.update({"emails-TOTAL_FORMS": "2", "emails-1-email": "ADA@example.org"})

    response = recruiter_client.post(ADD, data)

    assert response.status_code == 200
    assert "listed twice" in response.content.decode()
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        pytest.param({"motivator_pay": "6"}, "motivator_pay", id="motivator-6"),
        pytest.param({"motivator_location": "-1"}, "motivator_location", id="motivator-negative"),
        pytest.param(
            {"current_base": "-1000", "current_pay_currency": "USD"},
            "current_base",
            id="negative-pay",
        ),
        pytest.param({"current_base": "250000"}, "current_pay_currency", id="pay-no-currency"),
        pytest.param({"source": "referral", "referrer": ""}, "referrer", id="referral"),
        pytest.param({"consent_basis": "consent"}, "consent_date", id="consent"),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", id="timezone"),
        pytest.param({"github_url": "not a web address"}, "github_url", id="url"),
    ],
)
def test_a_broken_rule_on_the_form_shows_on_its_field_and_saves_nothing(
    recruiter_client, add_form, values, field
):
    response = recruiter_client.post(ADD, add_form(**values))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    assert "__all__" not in errors
    assert not Candidate.objects.exists()
    assert not CandidateEmail.objects.exists()


def test_a_web_address_without_a_scheme_is_saved_as_https(recruiter_client, add_form):
    response = recruiter_client.post(ADD, add_form(github_url="github.com/ada"))

    assert response.status_code == 302
    assert Candidate.objects.get().github_url == "https://github.com/ada"


# --- Bulk actions --------------------------------------------------------------------------


def run_action(client, action: str, candidates, **form: str):  # type: ignore[no-untyped-def]
    """Chooses the action on the list, then submits its intermediate page as a person would."""
    selected = [str(c.pk) for c in candidates]
    page = client.post(CHANGELIST, {"action": action, "_selected_action": selected})
    assert page.status_code == 200
    assert page.templates[0].name == "admin/action_form.html"
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": selected, "apply": "1", **form}
    )


def test_assigning_an_owner_through_the_action_page(recruiter_client, recruiter):
    ada, grace, alan = CandidateFactory.create_batch(3)

    response = run_action(
        recruiter_client, "assign_owner_action", [ada, grace], owner=str(recruiter.pk)
    )

    assert response.status_code == 302
    assert set(recruiter.owned_candidates.all()) == {ada, grace}
    alan.refresh_from_db()
    assert alan.owner is None
    assert "owns 2 candidate(s)" in messages_of(response)[0]


def test_assign_owner_offers_only_active_staff(recruiter_client):
    ada = CandidateFactory()
    leaver = UserFactory(username="leaver", is_active=False)

    response = run_action(recruiter_client, "assign_owner_action", [ada], owner=str(leaver.pk))

    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    ada.refresh_from_db()
    assert ada.owner is None


def test_adding_tags_through_the_action_page_creates_missing_tags(recruiter_client):
    safety = TagFactory(name="Safety")
    ada, grace = CandidateFactory.create_batch(2)

    response = run_action(recruiter_client, "add_tags_action", [ada, grace], tags="safety, RLHF ,")

    assert response.status_code == 302
    assert Tag.objects.count() == 2
    rlhf = Tag.objects.get(name="RLHF")
    assert set(ada.tags.all()) == {safety, rlhf}
    assert set(grace.tags.all()) == {safety, rlhf}


def test_adding_no_tags_is_refused_on_the_action_page(recruiter_client):
    ada = CandidateFactory()

    response = run_action(recruiter_client, "add_tags_action", [ada], tags=" , ")

    assert response.status_code == 200
    assert "tags" in response.context["form"].errors
    assert not ada.tags.exists()


def test_marking_do_not_contact_from_the_list(recruiter_client):
    ada, grace = CandidateFactory.create_batch(2)

    response = recruiter_client.post(
        CHANGELIST, {"action": "mark_do_not_contact_action", "_selected_action": [ada.pk]}
    )

    assert response.status_code == 302
    ada.refresh_from_db()
    grace.refresh_from_db()
    assert ada.do_not_contact
    assert not grace.do_not_contact
    assert "1 candidate(s) marked do-not-contact." in messages_of(response)


def test_the_company_admin_lists_pauses(recruiter_client):
    company = CompanyFactory(name="Google DeepMind", kind=Company.Kind.COMPETITOR)
    company.pauses.create(starts_on="2025-12-22", ends_on="2026-01-02", reason="Winter break")

    response = recruiter_client.get(reverse("admin:candidates_company_changelist"))

    assert response.status_code == 200
    assert "22 Dec 2025–02 Jan 2026" in response.content.decode()


def test_a_pause_ending_before_it_starts_is_refused_in_the_company_form(
    client, superuser, admin_form_data
):
    client.force_login(superuser)
    company = CompanyFactory(name="Google DeepMind")
    url = reverse("admin:candidates_company_change", args=[company.pk])
    data = admin_form_data(client.get(url))
    data.update(
        {
            "pauses-TOTAL_FORMS": "1",
            "pauses-0-starts_on": "2025-12-22",
            "pauses-0-ends_on": "2025-12-20",
            "pauses-0-company": str(company.pk),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "A pause cannot end before it starts." in response.content.decode()
    assert not company.pauses.exists()


def test_overlapping_pauses_of_one_company_are_refused(client, superuser, admin_form_data):
    client.force_login(superuser)
    company = CompanyFactory(name="Helix Intelligence")
    url = reverse("admin:candidates_company_change", args=[company.pk])
    data = admin_form_data(client.get(url))
    data.update(
        {
            "pauses-TOTAL_FORMS": "2",
            "pauses-0-starts_on": "2027-01-11",
            "pauses-0-ends_on": "2027-01-15",
            "pauses-0-company": str(company.pk),
            "pauses-1-starts_on": "2027-01-13",
            "pauses-1-ends_on": "2027-01-20",
            "pauses-1-company": str(company.pk),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Overlaps the pause of 11 Jan 2027–15 Jan 2027" in response.content.decode()
    assert not company.pauses.exists()


def test_negative_pay_is_not_saved_when_editing(recruiter_client, admin_form_data):
    ada = CandidateFactory(name="Ada Lovelace")
    url = reverse("admin:candidates_candidate_change", args=[ada.pk])
    data = admin_form_data(recruiter_client.get(url))
    data.update({"current_base": "-5", "current_pay_currency": "USD"})

    response = recruiter_client.post(url, data)

    assert response.status_code == 200
    assert "current_base" in response.context["adminform"].form.errors
    ada.refresh_from_db()
    assert ada.current_base is None


def test_a_user_who_may_only_view_candidates_gets_no_bulk_actions(client, outsider):
    from django.contrib.auth.models import Permission

    outsider.user_permissions.add(Permission.objects.get(codename="view_candidate"))
    CandidateFactory(name="Ada Lovelace")
    client.force_login(outsider)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()
    assert response.context["action_form"] is None  # no action this user may take


# --- Estimated current pay: only for users who may see compensation ------------------------

PAY_FIGURES = ("2,000,000", "2000000", "3,000,000", "3000000")


def staff_who_may_view_candidates(*, compensation: bool, more: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Permission

    user = UserFactory(username=f"viewer_{compensation}".lower())
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="candidates", codename__in=("view_candidate", *more)
        )
    )
    if compensation:
        user.user_permissions.add(Permission.objects.get(codename="view_compensation"))
    return user


@pytest.fixture
def well_paid():  # type: ignore[no-untyped-def]
    """A $2M base and $3M of equity a year."""
    return CandidateFactory(
        name="Ada Lovelace",
        current_base=Decimal("2000000"),
        current_equity_per_year=Decimal("3000000"),
        current_pay_currency_id="USD",
    )


def candidate_page(client, candidate) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("admin:candidates_candidate_change", args=[candidate.pk]))
    assert response.status_code == 200
    return response.content.decode()


def export_csv(client, resource: str) -> str:  # type: ignore[no-untyped-def]
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


def test_without_view_compensation_an_import_neither_shows_nor_changes_pay(client, well_paid):
    from django.core.files.uploadedfile import SimpleUploadedFile

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

    previewed = client.post(
        reverse("admin:candidates_candidate_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    assert previewed.status_code == 200
    assert not [figure for figure in PAY_FIGURES if figure in previewed.content.decode()]
    form = previewed.context["confirm_form"]
    client.post(
        reverse("admin:candidates_candidate_process_import"),
        {name: form[name].value() for name in form.fields},
    )

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


def test_a_recruiter_can_pick_a_candidates_owner_from_the_autocomplete(
    recruiter_client, hiring_manager
):
    response = recruiter_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "candidates",
            "model_name": "candidate",
            "field_name": "owner",
            "term": "hiring",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [str(hiring_manager)]
