"""The retention rule (selectors.due_for_retention) and its daily job (privacy.apply_retention):
prospects with no consent and nothing about them for PRIVACY_PROSPECT_RETENTION_DAYS are
anonymised, and no one else; the report before (`apply_retention --dry-run`, the admin's
page) says who and why, and each run is recorded after (when, how many, which ids, no
personal data). Dates are set by hand around a 730-day window."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from candidates.models import Candidate
from recruiting.outreach.models import MessageTemplate, Sequence, SequenceStep
from recruiting.outreach.services import enroll, stop_enrollment
from recruiting.pipeline.models import Application, Stage
from recruiting.pipeline.services import log_activity, move_stage
from recruiting.privacy.models import Erasure, RetentionRun
from recruiting.privacy.tasks import apply_retention
from tests.factories import ApplicationFactory, CandidateFactory

NOW = timezone.now()
OLD = NOW - timedelta(days=800)  # before the 730-day cutoff
RECENT = NOW - timedelta(days=10)

DUE = ("Forgotten Prospect", "Lapsed Consent", "Stale Sourced", "Old Outreach")
KEPT = (
    "Fresh Consent",
    "Recent Note",
    "In Interviews",
    "Our Employee",
    "New Prospect",
    "Recently Written",
)


def aged(candidate: Candidate, when=OLD) -> Candidate:
    Candidate.objects.filter(pk=candidate.pk).update(created_at=when, updated_at=when)
    return candidate


def stale_application(candidate, kind=Stage.Kind.SOURCED) -> Application:
    application = ApplicationFactory.create(candidate=candidate)
    if kind != Stage.Kind.SOURCED:
        move_stage(application, application.role.stages.get(kind=kind), by=None)
    Application.objects.filter(pk=application.pk).update(created_at=OLD, stage_entered_at=OLD)
    return application


@pytest.fixture
def people(settings, recruiter) -> dict[str, Candidate]:
    settings.PRIVACY_PROSPECT_RETENTION_DAYS = 730
    template = MessageTemplate.objects.create(
        name="Hello", subject="Hello {{ candidate.first_name }}", body_text="{{ pitch }}"
    )
    sequence = Sequence.objects.create(name="Hello")
    SequenceStep.objects.create(sequence=sequence, position=1, template=template)

    def outreach(candidate, when):
        enrollment = enroll(candidate, sequence, by=recruiter, now=when)
        stop_enrollment(enrollment, reason="Replied elsewhere.", now=when)

    made = {name: CandidateFactory.create(name=name) for name in (*DUE, *KEPT)}
    for name in DUE + KEPT[:-2]:
        aged(made[name])
    for name in ("Lapsed Consent", "Fresh Consent"):
        days = 800 if name == "Lapsed Consent" else 100
        Candidate.objects.filter(pk=made[name].pk).update(
            consent_basis=Candidate.ConsentBasis.CONSENT,
            consent_date=NOW.date() - timedelta(days=days),
        )
    stale_application(made["Stale Sourced"])
    stale_application(made["In Interviews"], kind=Stage.Kind.INTERVIEWS)
    log_activity(
        made["Recent Note"], kind="note", summary="Met at NeurIPS", by=None, occurred_at=RECENT
    )
    Candidate.objects.filter(pk=made["Our Employee"].pk).update(
        relationship=Candidate.Relationship.EMPLOYEE
    )
    outreach(made["Old Outreach"], OLD)
    outreach(made["Recently Written"], RECENT)
    aged(made["Recently Written"])
    for candidate in made.values():
        candidate.refresh_from_db()
    return made


def ids(people, names) -> list[int]:
    return sorted(people[name].pk for name in names)


@pytest.mark.django_db
def test_the_dry_run_lists_who_the_next_run_anonymises_and_why(people):
    out = io.StringIO()

    call_command("apply_retention", "--dry-run", stdout=out)

    report = out.getvalue()
    assert "The next run would anonymise 4 candidate(s) (of 4 due)" in report
    listed = sorted(int(line.split()[1].rstrip(":")) for line in report.splitlines()[1:])
    assert listed == ids(people, DUE)
    assert f"candidate {people['Forgotten Prospect'].pk}: A prospect; no consent recorded" in (
        report
    )
    lapsed = people["Lapsed Consent"]
    assert (
        f"candidate {lapsed.pk}: A prospect; consent recorded on "
        f"{lapsed.consent_date:%Y-%m-%d}, before the cutoff; nothing about them since "
        f"{OLD:%Y-%m-%d}." in report
    )
    assert not RetentionRun.objects.exists() and not Erasure.objects.exists()  # nothing done
    assert Candidate.objects.filter(name="Forgotten Prospect").exists()


@pytest.mark.django_db
def test_the_admin_report_names_them_with_the_reason(people, client, superuser):
    client.force_login(superuser)

    page = client.get(reverse("admin:privacy_retention_due")).content.decode()

    for name in DUE:
        assert name in page
    for name in KEPT:
        assert name not in page
    assert "no consent recorded" in page


@pytest.mark.django_db(transaction=True)
def test_the_job_on_a_real_worker_anonymises_them_and_no_one_else(people, celery_worker):
    result = apply_retention.delay().get(timeout=120)

    run = RetentionRun.objects.get()
    assert result == {"run": run.pk, "anonymised": 4, "skipped": 0}
    assert run.anonymised == 4 and sorted(run.candidate_ids) == ids(people, DUE)
    assert run.finished_at is not None and run.window_days == 730
    for name in DUE:
        candidate = Candidate.objects.get(pk=people[name].pk)
        assert candidate.name == f"Erased person {candidate.pk}"
        assert not candidate.emails.exists()
    for name in KEPT:
        assert Candidate.objects.get(pk=people[name].pk).name == name
        assert Candidate.objects.get(pk=people[name].pk).emails.exists()
    assert sorted(Erasure.objects.filter(run=run).values_list("candidate_id", flat=True)) == ids(
        people, DUE
    )
    assert set(Erasure.objects.values_list("reason", flat=True)) == {Erasure.Reason.RETENTION}
    # The record after: when, how many, whom by id, and nothing of theirs.
    record = str({f.name: getattr(run, f.attname) for f in RetentionRun._meta.concrete_fields})
    for name in DUE:
        assert name not in record and name.split()[0] not in record

    # The next run finds nobody: the erased are not due again.
    assert apply_retention.delay().get(timeout=120)["anonymised"] == 0
    assert RetentionRun.objects.count() == 2


@pytest.mark.django_db
def test_each_run_is_listed_in_the_admin_with_the_ids(people, client, superuser):
    from recruiting.privacy.services import apply_retention as run_now

    run = run_now()
    client.force_login(superuser)

    page = client.get(reverse("admin:privacy_retentionrun_changelist")).content.decode()

    assert str(sorted(run.candidate_ids)[0]) in page and ">4<" in page
    assert "Who the next run anonymises" in page
    for name in DUE:
        assert name not in page


@pytest.mark.django_db
def test_a_candidate_touched_after_the_list_was_read_is_skipped(people, recruiter):
    from recruiting.privacy.selectors import due_for_retention

    assert sorted(due_for_retention().values_list("pk", flat=True)) == ids(people, DUE)
    log_activity(people["Forgotten Prospect"], kind="call", summary="Called back", by=recruiter)

    assert people["Forgotten Prospect"].pk not in due_for_retention().values_list("pk", flat=True)


def test_the_job_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-retention"]
    assert entry == {"task": "privacy.apply_retention", "schedule": 24 * 60 * 60.0}
