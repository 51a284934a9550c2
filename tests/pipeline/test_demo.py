"""The demo data and the demo login: what a person starting Closer for the first time sees."""

from __future__ import annotations

import re
import stat
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from candidates.models import Candidate, CandidateEmail, Company, CompanyPause
from recruiting.pipeline.demo.spec import BENCH_EMAIL_DOMAIN, EUR_PER_USD, OUR_COMPANY
from recruiting.pipeline.models import Activity, Application, Role, Stage, StageChange
from recruiting.pipeline.selectors import stale_applications

pytestmark = pytest.mark.django_db

FIVE_CITIES = {
    ("San Francisco", "US", "America/Los_Angeles"),
    ("London", "GB", "Europe/London"),
    ("Paris", "FR", "Europe/Paris"),
    ("Berlin", "DE", "Europe/Berlin"),
    ("Zurich", "CH", "Europe/Zurich"),
}
TOTAL_PAY = F("current_base") + F("current_bonus") + F("current_equity_per_year")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def bench_candidates():
    return Candidate.objects.filter(emails__email__endswith="@" + BENCH_EMAIL_DOMAIN)


def assert_pipelines_consistent() -> None:
    """What the pipeline admin relies on, checked over every application."""
    assert not Application.objects.exclude(stage__role=F("role")).exists()
    closing = [Stage.Kind.HIRED, Stage.Kind.LOST]
    assert not Application.objects.filter(status="open", stage__kind__in=closing).exists()
    assert not Application.objects.filter(status="hired").exclude(stage__kind="hired").exists()
    assert not Application.objects.filter(status="lost").exclude(stage__kind="lost").exists()
    assert not Application.objects.filter(status="lost", lost_reason="").exists()
    # The history ends where the application is, at the moment it got there.
    latest = StageChange.objects.filter(application=OuterRef("pk")).order_by("-changed_at", "-id")
    matching = Application.objects.annotate(
        last_to=Subquery(latest.values("to_stage")[:1]),
        last_at=Subquery(latest.values("changed_at")[:1]),
    ).filter(last_to=F("stage"), last_at=F("stage_entered_at"))
    assert matching.count() == Application.objects.count()
    assert not StageChange.objects.filter(changed_at__gt=timezone.now()).exists()


# --- The demo ------------------------------------------------------------------------------


def test_seeding_twice_changes_nothing():
    first = seed()
    counts = row_counts()
    last_edit = Candidate.objects.aggregate(Max("updated_at"))
    history = list(StageChange.objects.values_list("pk", "changed_at"))

    second = seed()

    assert row_counts() == counts
    assert Candidate.objects.aggregate(Max("updated_at")) == last_edit
    assert list(StageChange.objects.values_list("pk", "changed_at")) == history
    assert second == first
    assert "50 candidates" in first and "8 roles" in first


def test_demo_is_the_same_on_every_run():
    seed()
    fields = ("name", "city", "current_title", "level", "current_base", "motivator_pay")
    people = sorted(
        CandidateEmail.objects.values_list("email", *[f"candidate__{f}" for f in fields])
    )
    lost = list(
        Application.objects.filter(status="lost")
        .order_by("candidate__emails__email", "role__title")
        .values_list("candidate__emails__email", "role__title", "lost_reason")
    )

    # A recruiter wipes the candidates; seeding again brings back the very same people.
    Candidate.objects.all().delete()
    seed()

    assert (
        sorted(CandidateEmail.objects.values_list("email", *[f"candidate__{f}" for f in fields]))
        == people
    )
    assert (
        list(
            Application.objects.filter(status="lost")
            .order_by("candidate__emails__email", "role__title")
            .values_list("candidate__emails__email", "role__title", "lost_reason")
        )
        == lost
    )


def test_demo_tells_the_story_of_the_market():
    seed()
    today = timezone.localdate()

    ours = Company.objects.get(kind=Company.Kind.OURS)
    assert ours.name == OUR_COMPANY
    assert Company.objects.filter(kind=Company.Kind.COMPETITOR).count() >= 5
    assert Company.objects.filter(kind=Company.Kind.EMPLOYER).exists()

    # A competitor goes quiet within the next two weeks; another did last month.
    upcoming = CompanyPause.objects.get(
        company__kind=Company.Kind.COMPETITOR,
        starts_on__gte=today,
        starts_on__lte=today + timedelta(days=14),
    )
    assert upcoming.ends_on >= upcoming.starts_on
    assert CompanyPause.objects.filter(
        company__kind=Company.Kind.COMPETITOR,
        ends_on__lt=today,
        starts_on__gte=today - timedelta(days=62),
    ).exists()
    assert CompanyPause.objects.filter(starts_on__gt=today + timedelta(days=30)).exists()

    # Candidates in all five cities, each with the right country and timezone.
    assert 45 <= Candidate.objects.count() <= 55
    assert set(Candidate.objects.values_list("city", "country", "timezone").distinct()) == (
        FIVE_CITIES
    )
    assert not Candidate.objects.exclude(emails__is_primary=True).exists()

    # Our own people that competitors are after.
    at_risk = Candidate.objects.filter(relationship="employee", flight_risk=True)
    assert 4 <= at_risk.count() <= 5
    assert set(at_risk.values_list("current_company__name", flat=True)) == {OUR_COMPANY}
    assert set(at_risk.values_list("flight_risk_reason", flat=True)) == {
        "manual",
        "approached_during_pause",
    }

    # Pipelines: people at several stages, some stale, one hired, one lost to a competitor.
    open_kinds = set(
        Application.objects.filter(status="open").values_list("stage__kind", flat=True)
    )
    assert len(open_kinds) >= 5
    assert stale_applications().exists()
    assert Application.objects.filter(status="hired").exists()
    lost = Application.objects.get(lost_reason=Application.LostReason.COMPETING_OFFER)
    assert lost.lost_to.kind == Company.Kind.COMPETITOR
    assert lost.lost_to.name in lost.lost_note
    assert [c.to_stage.kind for c in lost.stage_changes.all()][-1] == Stage.Kind.LOST
    # Every kind a recruiter logs; the offer's are the candidate's own, through their link.
    logged = set(Activity.Kind.values) - {Activity.Kind.OFFER}
    assert set(Activity.objects.values_list("kind", flat=True)) == logged
    assert_pipelines_consistent()

    roles = Role.objects.all()
    assert roles.count() == 8
    assert {r.city for r in roles} == {city for city, _, _ in FIVE_CITIES}
    assert not roles.filter(hiring_manager=None).exists()
    assert all(r.stages.count() == 8 for r in roles)


def test_demo_pay_follows_the_market_figures():
    seed()
    sf = Candidate.objects.filter(city="San Francisco")
    europe = Candidate.objects.exclude(city="San Francisco")
    assert set(sf.values_list("current_pay_currency", flat=True)) == {"USD"}
    assert set(europe.values_list("current_pay_currency", flat=True)) == {"EUR"}

    sf_senior_researchers = sf.filter(level__in=["staff", "principal"]).annotate(total=TOTAL_PAY)
    assert sf_senior_researchers.exists()
    for person in sf_senior_researchers:
        assert Decimal("3000000") <= person.total <= Decimal("7000000"), person
    assert sf.annotate(total=TOTAL_PAY).aggregate(Max("total"))["total__max"] > 10_000_000

    def average_usd(people, rate: Decimal) -> Decimal:
        staff = people.filter(level="staff").annotate(total=TOTAL_PAY)
        return staff.aggregate(s=Sum("total"))["s"] / staff.count() / rate

    assert average_usd(europe, EUR_PER_USD) < average_usd(sf, Decimal(1))

    # Money is not everything: some weigh publishing over pay, others the reverse.
    assert Candidate.objects.filter(motivator_publishing=5, motivator_pay__lte=2).exists()
    assert Candidate.objects.filter(motivator_pay=5, motivator_publishing__lte=2).exists()
    assert Candidate.objects.filter(source="referral").exclude(referrer="").exists()


def test_demo_owners_are_recruiters_and_hiring_managers_without_a_login_yet():
    seed()
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=["rita", "sam", "hana"])
    }
    assert sorted(users) == ["hana", "rita", "sam"]
    for name in ("rita", "sam"):
        assert users[name].is_staff
        assert users[name].groups.filter(name="Recruiters").exists()
    # A hiring manager works in the workspace, on her roles, and sees no pay.
    hana = users["hana"]
    assert not hana.is_staff
    assert list(hana.groups.values_list("name", flat=True)) == ["Hiring managers"]
    assert not hana.has_perm("offers.view_compensation")
    assert not any(u.has_usable_password() for u in users.values())  # ensure_demo_login's part
    assert not Candidate.objects.filter(owner=None).exists()


# --- The benchmark set ---------------------------------------------------------------------


def test_bench_set_has_the_size_asked_for_and_reruns_add_nothing():
    out = seed("--candidates", "300")

    assert bench_candidates().count() == 300
    applications = Application.objects.filter(candidate__in=bench_candidates())
    assert 750 <= applications.count() <= 1050
    assert Role.objects.count() == 8 + 100
    assert Company.objects.count() <= 300
    assert "300 bench" in out
    assert_pipelines_consistent()
    assert applications.filter(status="lost", lost_reason="competing_offer").exists()
    # Valid as if typed into the admin.
    for candidate in bench_candidates()[:40]:
        candidate.full_clean()

    counts = row_counts()
    seed("--candidates", "300")
    assert row_counts() == counts


def test_bench_set_fills_in_only_what_is_missing():
    seed("--candidates", "200")
    people = dict(bench_candidates().values_list("emails__email", "name"))
    gone = bench_candidates().filter(
        Q(emails__email__startswith="bench-00005") | Q(emails__email__startswith="bench-00006")
    )
    assert gone.delete()[0] > 0

    seed("--candidates", "250")

    assert bench_candidates().count() == 250
    again = dict(bench_candidates().values_list("emails__email", "name"))
    # The same number is the same person, however many runs it took.
    assert {email: again[email] for email in people} == people
    assert_pipelines_consistent()


def test_negative_candidate_count_is_refused():
    with pytest.raises(CommandError, match="negative"):
        call_command("seed_demo", "--candidates", "-1")
    assert not Candidate.objects.exists()


# --- The demo login ------------------------------------------------------------------------


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.DEBUG = True  # the embedded demo runs with DEBUG on; pytest-django turns it off
    settings.VAR_DIR = tmp_path / "var"  # not there yet: the command creates it
    return settings.VAR_DIR


def demo_login() -> tuple[str, str, str]:
    out = StringIO()
    call_command("ensure_demo_login", stdout=out)
    match = re.match(r"Closer is at (\S+) — log in as (\S+) / (\S+)\n", out.getvalue())
    assert match, out.getvalue()
    url, username, password = match.groups()
    return url, username, password


def test_demo_login_works_and_stays_the_same(var_dir, client, settings):
    url, username, password = demo_login()

    assert url == settings.SITE_URL.rstrip("/") + "/"  # the home page; the admin is linked
    user = authenticate(username=username, password=password)
    assert user is not None and user.is_superuser and user.is_staff
    assert client.login(username=username, password=password)
    assert client.get("/admin/").status_code == 200

    assert demo_login() == (url, username, password)
    login_file = var_dir / "demo-login.txt"
    assert password in login_file.read_text()
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600


def test_demo_login_gets_a_new_password_when_the_file_is_lost(var_dir):
    _, _, old = demo_login()
    (var_dir / "demo-login.txt").unlink()

    _, username, new = demo_login()

    assert new != old
    assert authenticate(username=username, password=new) is not None
    assert authenticate(username=username, password=old) is None
    assert get_user_model().objects.filter(username=username).count() == 1
    assert demo_login()[2] == new


def test_with_the_demo_every_player_signs_in_with_the_printed_login(var_dir, client):
    """The recruiter, the approver, the CFO and a hiring manager: once only admin and rita
    could sign in after `make run`."""
    call_command("seed_demo", verbosity=0)
    call_command("seed_market", verbosity=0)
    out = StringIO()
    call_command("ensure_demo_login", stdout=out)
    _, _, password = demo_login()

    printed = out.getvalue()
    assert f"or as rita / {password}, the recruiter" in printed
    assert f"or as cora / {password}, the compensation approver" in printed
    assert f"or as fiona / {password}, the CFO" in printed
    assert f"or as hana / {password}, a hiring manager" in printed
    for username in ("rita", "cora", "fiona", "hana"):
        assert client.login(username=username, password=password), username
    client.login(username="rita", password=password)
    assert client.get("/alerts/").status_code == 200
    assert get_user_model().objects.get(username="admin").email == "admin@closer.example"


def test_demo_login_is_refused_outside_the_embedded_setup(settings, tmp_path):
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("ensure_demo_login")

    assert not get_user_model().objects.filter(username="admin").exists()
    assert not (tmp_path / "demo-login.txt").exists()
