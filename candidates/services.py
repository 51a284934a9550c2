"""State changes on candidates, companies and tags."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Candidate, CandidateImport, Company, Tag
from .signals import do_not_contact_marked
from .tasks import check_import, run_import


class CandidateError(ValidationError):
    """A change to candidates that the rules refuse; the message says which rule."""


@transaction.atomic
def assign_owner(candidates: QuerySet[Candidate], *, owner: User, by: User) -> int:
    if not owner.is_active:
        raise CandidateError({"owner": f"{owner} is not an active user and cannot own candidates."})
    return candidates.update(owner=owner)


@transaction.atomic
def tag_candidates(candidates: QuerySet[Candidate], *, tags: Iterable[Tag]) -> int:
    tags = list(tags)
    if not tags:
        raise CandidateError({"tags": "Choose at least one tag."})
    through = Candidate.tags.through
    ids = list(candidates.values_list("pk", flat=True))
    through.objects.bulk_create(
        [through(candidate_id=c, tag_id=t.pk) for c in ids for t in tags], ignore_conflicts=True
    )
    return len(ids)


@transaction.atomic
def mark_do_not_contact(candidates: QuerySet[Candidate], *, by: User) -> int:
    ids = list(candidates.filter(do_not_contact=False).values_list("pk", flat=True))
    marked = Candidate.objects.filter(pk__in=ids).update(do_not_contact=True)
    do_not_contact_marked.send(sender=Candidate, candidate_ids=ids)
    return marked


def find_or_create_company(name: str, *, kind: str = Company.Kind.EMPLOYER) -> Company:
    name = " ".join(name.split())
    if not name:
        raise CandidateError({"current_company": "A company needs a name."})
    limit = Company._meta.get_field("name").max_length
    assert limit is not None  # a CharField's
    if len(name) > limit:
        raise CandidateError({"current_company": f"A company name is at most {limit} characters."})
    company = Company.objects.filter(name__iexact=name).first()
    return company or Company.objects.create(name=name, kind=kind)


def find_or_create_tags(names: Iterable[str]) -> list[Tag]:
    tags = []
    limit = Tag._meta.get_field("name").max_length
    assert limit is not None  # a CharField's
    for raw in names:
        name = " ".join(raw.split())
        if len(name) > limit:
            raise CandidateError({"tags": f"A tag is at most {limit} characters: “{name}”."})
        if name:
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
            if tag not in tags:
                tags.append(tag)
    return tags


# --- Imports (the work is the worker's: imports.py) ----------------------------------------


@transaction.atomic
def start_import(
    *, upload: UploadedFile[bytes], file_format: str, with_pay: bool, by: User
) -> CandidateImport:
    """Keeps the uploaded file and queues its check; returns at once."""
    job = CandidateImport(
        created_by=by,
        file_name=(upload.name or "upload")[:255],
        file_format=file_format,
        with_pay=with_pay,
    )
    job.file.save(upload.name or "upload", upload, save=False)
    job.save()
    # Robust: with the broker down the job stays queued and says so (its page); the upload
    # itself is not lost.
    transaction.on_commit(lambda: check_import.delay(job.pk), robust=True)
    return job


@transaction.atomic
def confirm_import(job: CandidateImport, *, by: User) -> CandidateImport:
    """Queues the import of a checked file; only who uploaded it confirms it, once."""
    if job.created_by_id != by.pk:
        raise CandidateError({"import": "Only who uploaded a file confirms its import."})
    claimed = CandidateImport.objects.filter(
        pk=job.pk, status=CandidateImport.Status.CHECKED
    ).update(status=CandidateImport.Status.IMPORTING, confirmed_at=timezone.now(), rows_processed=0)
    if not claimed:
        job.refresh_from_db(fields=["status"])
        status = job.get_status_display().lower()
        raise CandidateError({"import": f"This import is {status}: it cannot be confirmed."})
    transaction.on_commit(lambda: run_import.delay(job.pk), robust=True)
    job.refresh_from_db()
    return job
