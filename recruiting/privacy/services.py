"""A person's data: exported (everything Closer holds about them, as JSON in a ZIP), erased
(anonymised everywhere, history included, their outreach stopped, the erasure recorded without
their data), and the retention rule's daily run over prospects left untouched too long.

What erasing does to each of their rows (holdings.collect finds them):
- the candidate row keeps what is not about the person (specialty, level, source, stage of
  the relationship, motivators, consent basis and date, owner) for the figures; their name
  becomes "Erased person <id>", and contact details, links, employer, title, referrer, current
  pay and tags are emptied; they are marked do-not-contact;
- their email addresses and tags are deleted;
- free text written about them is emptied: activities, a lost application's note, competing
  offers' notes (history too), a decline's reasons, a signature's typed name, address and
  browser, the subjects and addresses of the outreach emails sent to them;
- letters and signed PDFs lose their bytes (their SHA-256 stays, the proof of what was signed);
- every other text column of their rows (history included) keeps its words with their name,
  each part of it and each of their addresses replaced by "[erased]";
- alerts about them, or to them, lose their subject, context, address and error, and those
  still waiting are suppressed; the admin's log names them no more;
- offers keep their amounts: pay no longer tied to anyone, kept for bands and audit.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from candidates.models import Candidate, CandidateEmail, CandidateImport
from offers.models import CompetingOffer, Offer, OfferDecline, OfferLetter, OfferSignature
from recruiting.alerts.models import Alert
from recruiting.lib.access import can_see_compensation
from recruiting.outreach.models import Enrollment, SentMessage
from recruiting.outreach.services import stop_enrollment
from recruiting.pipeline.models import Activity, Application

from .holdings import Holdings, collect, instance_model
from .models import DataExport, Erasure, RetentionRun
from .selectors import due_for_retention, retention_cutoff

log = logging.getLogger(__name__)

ERASED = "[erased]"
# What an alert to an erased person is addressed to: a reserved domain that delivers nowhere.
ERASED_ADDRESS = "erased@erased.invalid"
ERASE_PERMISSION = "privacy.erase_personal_data"
EXPORT_PERMISSION = "privacy.export_personal_data"


class PrivacyError(ValidationError):
    """An export or erasure the rules refuse; the message names the rule."""


# --- Finding their words -----------------------------------------------------------------------


def _pattern(name: str, emails: list[str]) -> re.Pattern[str]:
    """Their full name (any spacing), each address, and each part of the name of three letters
    or more as a whole word, case-insensitive; the longest first."""
    parts = [p for p in re.split(r"[\s,.]+", name) if len(p) >= 3]
    words = [r"\s+".join(re.escape(p) for p in name.split())] if name.split() else []
    words += [re.escape(email) for email in emails if email]
    words += [rf"\b{re.escape(p)}\b" for p in parts]
    if not words:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile("|".join(sorted(set(words), key=len, reverse=True)), re.IGNORECASE)


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """`value` with their words replaced, in a string or anywhere inside JSON."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    return value


def _text_fields(model: type[models.Model]) -> list[str]:
    """The columns a person's words can be in: free text (no choices), addresses, JSON."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not f.choices
        and not f.primary_key
    ]


# --- Erasing -----------------------------------------------------------------------------------

Rule = dict[str, object] | Callable[[Candidate], dict[str, object]]


def _candidate_rule(candidate: Candidate) -> dict[str, object]:
    return {
        "name": f"Erased person {candidate.pk}",
        "phone": "",
        "city": "",
        "country": "",
        "timezone": "",
        "current_company": None,
        "current_title": "",
        "linkedin_url": "",
        "github_url": "",
        "scholar_url": "",
        "website_url": "",
        # A referral keeps that it was one (the figures count them), not who referred them.
        "referrer": ERASED if candidate.source == Candidate.Source.REFERRAL else "",
        "current_base": None,
        "current_bonus": None,
        "current_equity_per_year": None,
        "current_pay_currency": None,
        "do_not_contact": True,
        "updated_at": timezone.now(),
    }


# What erasing writes, by the model a row is (or a history table records); the rest of their
# text columns are scrubbed of their words. Rows of the models in DELETED go.
RULES: dict[type[models.Model], Rule] = {
    Candidate: _candidate_rule,
    Activity: {"summary": ERASED, "body": ""},
    Application: {"lost_note": ""},
    SentMessage: {"subject": ERASED, "to_email": "", "last_error": ""},
    CompetingOffer: {"notes": "", "source": ""},
    OfferLetter: {"pdf": b""},
    OfferSignature: {"typed_name": ERASED, "ip_address": None, "user_agent": "", "signed_pdf": b""},
    OfferDecline: {"rival_offer": "", "note": "", "ip_address": None, "user_agent": ""},
}
DELETED = (CandidateEmail, Candidate.tags.through)


@dataclass
class ErasureResult:
    erasure: Erasure
    enrollments_stopped: int
    counts: dict[str, int] = field(default_factory=dict)


def check_erasable(candidate: Candidate) -> None:
    """Refuses, naming the rule, an erasure that must not happen now."""
    done = Erasure.objects.filter(candidate_id=candidate.pk).first()
    if done is not None:
        raise PrivacyError(
            f"Candidate {candidate.pk}'s data was erased already, on {done.erased_at:%Y-%m-%d}."
        )
    open_offer = (
        Offer.objects.filter(application__candidate=candidate, status__in=Offer.OPEN_STATUSES)
        .order_by("id")
        .first()
    )
    if open_offer is not None:
        raise PrivacyError(
            f"{candidate.name} has an offer that is {open_offer.get_status_display().lower()}: "
            "an offer still open cannot be erased; rescind or close it first."
        )


def _apply_rule(model: type[models.Model], holdings: Holdings) -> None:
    rule = RULES.get(instance_model(model))
    if rule is None:
        return
    values = rule(holdings.candidate) if callable(rule) else rule
    columns = {f.name for f in model._meta.concrete_fields}
    values = {name: value for name, value in values.items() if name in columns}
    if values:
        holdings.queryset(model).update(**values)


def _scrub_rows(model: type[models.Model], holdings: Holdings, pattern: re.Pattern[str]) -> None:
    fields = _text_fields(model)
    if not fields:
        return
    for row in holdings.queryset(model).values("pk", *fields):
        scrubbed = {name: _scrub(row[name], pattern) for name in fields}
        changes = {name: value for name, value in scrubbed.items() if value != row[name]}
        if changes:
            model._base_manager.filter(pk=row["pk"]).update(**changes)


def _erase_alerts(holdings: Holdings) -> int:
    alerts = holdings.alerts()
    ids = list(alerts.values_list("pk", flat=True))
    Alert.objects.filter(
        pk__in=ids, status__in=[Alert.Status.PENDING, Alert.Status.SENDING]
    ).update(status=Alert.Status.SUPPRESSED)
    Alert.objects.filter(pk__in=ids).update(
        subject="(about an erased person)", context={}, last_error=""
    )
    Alert.objects.filter(pk__in=ids).exclude(to_email="").update(to_email=ERASED_ADDRESS)
    return len(ids)


def _erase_log(holdings: Holdings, pattern: re.Pattern[str]) -> int:
    entries = list(holdings.log_entries().values("pk", "change_message"))
    for entry in entries:
        LogEntry.objects.filter(pk=entry["pk"]).update(
            object_repr=ERASED, change_message=_scrub(entry["change_message"], pattern)
        )
    return len(entries)


def _erase_imports(pattern: re.Pattern[str]) -> int:
    """Imports quote the rows of their files (the preview, the row errors) without a key to
    the people in them: every import whose quotes name the person loses those words."""
    changed = 0
    jobs = CandidateImport.objects.exclude(preview=[], row_errors=[], message="")
    for job in jobs.only("pk", "preview", "row_errors", "message").iterator():
        kept = (job.preview, job.row_errors, job.message)
        scrubbed = tuple(_scrub(value, pattern) for value in kept)
        if scrubbed != kept:
            preview, row_errors, message = scrubbed
            CandidateImport.objects.filter(pk=job.pk).update(
                preview=preview, row_errors=row_errors, message=message
            )
            changed += 1
    return changed


@transaction.atomic
def erase_person(
    candidate: Candidate,
    *,
    by: User | None,
    reason: str = Erasure.Reason.REQUEST,
    run: RetentionRun | None = None,
) -> ErasureResult:
    """Anonymises the person everywhere (see the module's docstring) and records it: who,
    when, why, how many rows of each table, never what they held. Their outreach is stopped
    through the outreach service first. All or nothing."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if by is not None and not by.has_perm(ERASE_PERMISSION):
        raise PrivacyError("Erasing a person's data needs the permission to erase it.")
    check_erasable(candidate)
    stopped = 0
    for enrollment in Enrollment.objects.filter(
        candidate=candidate, status=Enrollment.Status.ACTIVE
    ).order_by("id"):
        stop_enrollment(enrollment, reason="The person's data was erased.")
        stopped += 1
    holdings = collect(candidate)
    pattern = _pattern(candidate.name, holdings.emails)
    counts: dict[str, int] = {}
    for model in holdings.models():
        counts[model._meta.label_lower] = len(holdings.rows[model])
        if instance_model(model) in DELETED:
            holdings.queryset(model).delete()
            continue
        _apply_rule(model, holdings)
        _scrub_rows(model, holdings, pattern)
    counts["alerts.alert"] = _erase_alerts(holdings)
    counts["admin.logentry"] = _erase_log(holdings, pattern)
    counts["candidates.candidateimport"] = _erase_imports(pattern)
    erasure = Erasure.objects.create(
        candidate_id=candidate.pk,
        reason=reason,
        erased_by=by,
        run=run,
        counts={label: n for label, n in counts.items() if n},
    )
    return ErasureResult(erasure=erasure, enrollments_stopped=stopped, counts=erasure.counts)


# --- Exporting ---------------------------------------------------------------------------------


def _rows(model: type[models.Model], queryset: Any) -> list[dict[str, Any]]:
    """Each row as JSON-ready data: every column (foreign keys as ids), files left out and
    named by their size instead."""
    binary = [f.name for f in model._meta.concrete_fields if isinstance(f, models.BinaryField)]
    fields = [f.name for f in model._meta.concrete_fields if f.name not in binary]
    rows = []
    for item in serializers.serialize("python", queryset.order_by("pk"), fields=fields):
        row = {"id": item["pk"], **item["fields"]}
        rows.append(row)
    for row, obj in zip(rows, queryset.order_by("pk"), strict=True):
        for name in binary:
            row[f"{name}_bytes"] = len(bytes(getattr(obj, name) or b""))
    return rows


@dataclass
class Export:
    filename: str
    content: bytes
    files: int
    rows: int


def export_personal_data(candidate: Candidate, *, by: User) -> Export:
    """A ZIP of JSON files, one per table holding a row of theirs (history tables included),
    and the alerts about or to them, with a manifest; the export is recorded (who, when,
    whose id). It holds their pay and offers: it needs the permission to export and the
    permission to see pay."""
    if not by.has_perm(EXPORT_PERMISSION):
        raise PrivacyError("Exporting a person's data needs the permission to export it.")
    if not can_see_compensation(by):
        raise PrivacyError(
            "The export holds this person's pay and offers: it is for those who may see pay."
        )
    holdings = collect(candidate)
    files: dict[str, list[dict[str, Any]]] = {}
    for model in holdings.models():
        files[f"{model._meta.app_label}/{model._meta.model_name}.json"] = _rows(
            model, holdings.queryset(model)
        )
    alerts = Alert.objects.filter(pk__in=holdings.alerts().values("pk"))
    files["alerts/alert.json"] = _rows(Alert, alerts)
    now = timezone.now()
    manifest = {
        "candidate_id": candidate.pk,
        "exported_at": now,
        "files": {name: len(rows) for name, rows in files.items()},
        "note": "Every row Closer holds about this person, history tables included. Letters "
        "and signed PDFs are named by their size (their bytes are not included); outreach "
        "emails keep their subject and address (Closer does not store their body).",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, cls=DjangoJSONEncoder, indent=2))
        for name, rows in files.items():
            archive.writestr(name, json.dumps(rows, cls=DjangoJSONEncoder, indent=2))
    total = sum(len(rows) for rows in files.values())
    DataExport.objects.create(
        candidate_id=candidate.pk, exported_by=by, exported_at=now, files=len(files), rows=total
    )
    return Export(
        filename=f"candidate-{candidate.pk}-personal-data-{now:%Y%m%d}.zip",
        content=buffer.getvalue(),
        files=len(files),
        rows=total,
    )


# --- Retention ---------------------------------------------------------------------------------


def apply_retention(*, now: datetime | None = None, limit: int | None = None) -> RetentionRun:
    """Anonymises the prospects the retention rule picks (selectors.due_for_retention), each
    in its own transaction, and records the run: when, under which window, whom (by id). A
    candidate who changed meanwhile (an offer drafted, erased by hand) is skipped and named."""
    now = now or timezone.now()
    limit = limit if limit is not None else settings.PRIVACY_RETENTION_BATCH
    run = RetentionRun.objects.create(
        started_at=now,
        window_days=settings.PRIVACY_PROSPECT_RETENTION_DAYS,
        cutoff=retention_cutoff(now),
    )
    done: list[int] = []
    skipped: list[int] = []
    for candidate in list(due_for_retention(now)[:limit]):
        try:
            with transaction.atomic():
                # Asked again under the row's lock: an activity logged since the list was
                # read keeps them.
                Candidate.objects.select_for_update().filter(pk=candidate.pk).first()
                if not due_for_retention(now).filter(pk=candidate.pk).exists():
                    raise PrivacyError("No longer due.")
                erase_person(candidate, by=None, reason=Erasure.Reason.RETENTION, run=run)
        except PrivacyError:
            skipped.append(candidate.pk)
        else:
            done.append(candidate.pk)
    run.finished_at = timezone.now()
    run.anonymised = len(done)
    run.candidate_ids = done
    run.skipped_ids = skipped
    run.save(update_fields=["finished_at", "anonymised", "candidate_ids", "skipped_ids"])
    log.info("retention: %d anonymised, %d skipped", len(done), len(skipped))
    return run
