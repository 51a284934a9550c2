"""Checking and importing a file of candidates, in a worker, a batch of rows at a time.

A row finds its candidate by `id` when given, else by any of its emails, so importing the same
list twice updates instead of duplicating; otherwise it adds one. Companies and tags a row
names are created when missing (tags are added, never removed); an unknown owner or currency
is an error on that row, and an empty company or owner cell leaves them as they are. Cells are
read by the columns' widgets (resources.py), so each error names its column and the rule.

The check reads every row and writes nothing. The import checks every row again (the database
may have changed since) and writes in one transaction: a single row in error, and nothing is
saved. Each batch looks up what its rows name with one query per table (candidates by id,
emails, companies, tags, owners) and writes with bulk inserts and updates: django-import-
export's row by row import, which the admin used before, checked 120 rows a second and
imported 106 (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import tablib
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connections,
    models,
    transaction,
)
from django.db.models.functions import Lower
from django.utils import timezone
from import_export.fields import Field
from import_export.formats.base_formats import Format

from recruiting.lib.exports import FORMATS
from recruiting.lib.locks import one_at_a_time

from .models import Candidate, CandidateEmail, CandidateImport, Company, Currency, Tag
from .resources import CandidateResource, CandidateResourceWithoutPay

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
PREVIEW_ROWS = 100  # the preview lists the first rows; the counts say what the rest do
ERROR_ROWS_KEPT = 500  # a file wrong throughout is reported by its first rows in error
ENCODING = "utf-8-sig"  # as the admin read uploads: a spreadsheet's BOM is not a column name
# Read here, a batch at a time, rather than by the columns' widgets.
LOOKUP_COLUMNS = frozenset({"id", "emails", "current_company", "owner", "current_pay_currency"})
TAGS = "tags"
FOREIGN_KEYS = ("current_company", "owner", "current_pay_currency")
# Not validated again by the model: read above (the foreign keys: their own check is a query a
# row), or by a widget that only returns a valid value (the country: the field's own check
# walks the 250 countries, 70% of a row's time).
NOT_CLEANED = (*FOREIGN_KEYS, "country")
_EMAIL_SPLIT = re.compile(r"[;,\s]+")


class ImportFileError(ValidationError):
    """The file as a whole cannot be read; the message says why."""


# --- Formats -------------------------------------------------------------------------------


def import_formats() -> list[type[Format]]:
    """The formats the admin offers for import, in its order (recruiting/lib/exports.py)."""
    return [f for f in FORMATS if f().can_import()]


def format_key(file_format: type[Format]) -> str:
    return str(file_format().get_extension())


def read_file(job: CandidateImport) -> tablib.Dataset:
    formats = {format_key(f): f for f in import_formats()}
    if job.file_format not in formats:
        raise ImportFileError(f"Closer does not read {job.file_format} files.")
    if not job.file:
        raise ImportFileError("The file is no longer stored: upload it again.")
    reader = formats[job.file_format](encoding=ENCODING)
    try:
        with job.file.open("rb") as stored:
            data = stored.read()
        dataset = reader.create_dataset(data)
    except FileNotFoundError:
        raise ImportFileError("The file is no longer stored: upload it again.") from None
    except Exception as error:  # noqa: BLE001 - tablib raises anything on a malformed file
        raise ImportFileError(
            f"The file could not be read as {job.file_format.upper()} "
            f"({type(error).__name__}); check the format chosen."
        ) from None
    if not dataset or not dataset.headers:
        raise ImportFileError(
            "No rows to import: the file needs a header row naming its columns, then a row "
            "per candidate."
        )
    return dataset


# --- Reading rows --------------------------------------------------------------------------


def parse_emails(cell: Any) -> list[str]:
    return [e for e in _EMAIL_SPLIT.split(str(cell or "").strip()) if e]


def _same_person(a: str, b: str) -> bool:
    def key(name: str) -> str:
        plain = unicodedata.normalize("NFKD", name)
        return " ".join(
            "".join(c for c in plain if not unicodedata.combining(c)).split()
        ).casefold()

    return key(a) == key(b)


@dataclass(frozen=True)
class _KnownEmail:
    email: str
    candidate_id: int
    is_primary: bool
    pk: int
    name: str


@dataclass
class _Row:
    number: int
    values: list[str]
    candidate: Candidate | None = None
    is_new: bool = False
    emails: list[str] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    company_name: str = ""  # a company to create
    errors: dict[str, list[str]] = field(default_factory=dict)
    skipped: bool = False


@dataclass
class Outcome:
    total: int = 0
    new: int = 0
    updated: int = 0
    skipped: int = 0
    error_rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _limit(model: type[Company] | type[Tag]) -> int:
    limit = model._meta.get_field("name").max_length
    assert limit is not None  # a CharField's
    return limit


class CandidateFile:
    """A file's rows, read a batch at a time; what the rows name (companies, tags, owners,
    the emails met in earlier rows) is remembered across batches."""

    def __init__(self, dataset: tablib.Dataset, *, with_pay: bool) -> None:
        resource = (CandidateResource if with_pay else CandidateResourceWithoutPay)()
        self.dataset = dataset
        self.headers = [str(h).strip() for h in dataset.headers]
        # The columns Closer reads, in the file's order; any other (pay, for a user who may
        # not see it) is neither read nor shown.
        self.columns = [h for h in self.headers if h in resource.fields]
        present = set(self.columns)
        self.plain: list[Field] = [
            resource.fields[name]
            for name in self.columns
            if name not in LOOKUP_COLUMNS and name != TAGS and not resource.fields[name].readonly
        ]
        self.reads = present & (LOOKUP_COLUMNS | {TAGS})
        # Only the file's columns are validated again: the others keep their default (a new
        # candidate) or the value they were saved with. The name is required of a new one.
        read = {f.attribute for f in self.plain} | {"name"}
        self.not_cleaned = [
            *NOT_CLEANED,
            *(f.name for f in Candidate._meta.concrete_fields if f.name not in read),
        ]
        self.update_fields = [
            *(f.attribute for f in self.plain),
            *(name for name in FOREIGN_KEYS if name in present),
            "updated_at",
        ]
        self.currencies = (
            {c.code: c for c in Currency.objects.all()} if "current_pay_currency" in present else {}
        )
        self.companies: dict[str, Company] = {}
        self.tags: dict[str, Tag] = {}
        self.owners: dict[str, User] = {}
        self.seen_emails: dict[str, int] = {}
        self.seen_candidates: dict[int, int] = {}
        self.company_limit, self.tag_limit = _limit(Company), _limit(Tag)

    def __len__(self) -> int:
        return len(self.dataset)

    def batches(self) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        for start in range(0, len(self.dataset), BATCH_SIZE):
            end = min(start + BATCH_SIZE, len(self.dataset))
            yield [
                (i + 1, dict(zip(self.headers, self.dataset[i], strict=False)))
                for i in range(start, end)
            ]

    # --- one batch -------------------------------------------------------------------------

    def check(self, batch: list[tuple[int, dict[str, Any]]]) -> list[_Row]:
        ids: set[int] = set()
        email_keys: set[str] = set()
        for _, row in batch:
            raw_id = _cell(row.get("id")).strip()
            if raw_id.isdigit():
                ids.add(int(raw_id))
            email_keys.update(e.lower() for e in parse_emails(row.get("emails")))
        found = (
            CandidateEmail.objects.alias(key=Lower("email"))
            .filter(key__in=email_keys)
            .values_list("email", "candidate_id", "is_primary", "pk", "candidate__name")
        )
        known = {values[0].lower(): _KnownEmail(*values) for values in found}
        ids.update(k.candidate_id for k in known.values())
        by_id = Candidate.objects.in_bulk(ids)
        self._look_up(batch)
        return [self._row(number, row, by_id, known) for number, row in batch]

    def _look_up(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        companies: set[str] = set()
        tags: set[str] = set()
        owners: set[str] = set()
        for _, row in batch:
            company = " ".join(_cell(row.get("current_company")).split()).lower()
            if company:
                companies.add(company)
            tags.update(n.lower() for n in self._tag_names(row.get(TAGS)))
            owner = _cell(row.get("owner")).strip().lower()
            if owner:
                owners.add(owner)
        self._load_companies(companies - self.companies.keys())
        self._load_tags(tags - self.tags.keys())
        missing = owners - self.owners.keys()
        if "owner" in self.reads and missing:
            users = get_user_model().objects.alias(key=Lower("username")).filter(key__in=missing)
            for user in users.order_by("pk"):
                self.owners.setdefault(user.get_username().lower(), user)

    def _load_companies(self, keys: set[str]) -> None:
        if "current_company" in self.reads and keys:
            for company in Company.objects.alias(key=Lower("name")).filter(key__in=keys):
                self.companies[company.name.lower()] = company

    def _load_tags(self, keys: set[str]) -> None:
        if TAGS in self.reads and keys:
            for tag in Tag.objects.alias(key=Lower("name")).filter(key__in=keys):
                self.tags[tag.name.lower()] = tag

    @staticmethod
    def _tag_names(cell: Any) -> list[str]:
        names: list[str] = []
        for raw in _cell(cell).split(","):
            name = " ".join(raw.split())
            if name and name.lower() not in {n.lower() for n in names}:
                names.append(name)
        return names

    def _row(
        self,
        number: int,
        row: dict[str, Any],
        by_id: dict[int, Candidate],
        known: dict[str, _KnownEmail],
    ) -> _Row:
        result = _Row(number, [_cell(row.get(c)) for c in self.columns])
        if not any(_cell(v).strip() for v in row.values()):
            result.skipped = True
            return result
        errors = result.errors
        candidate: Candidate | None = None
        matched: _KnownEmail | None = None
        emails = parse_emails(row.get("emails")) if "emails" in self.reads else []
        raw_id = _cell(row.get("id")).strip() if "id" in self.reads else ""
        if raw_id:
            candidate = by_id.get(int(raw_id)) if raw_id.isdigit() else None
            if not raw_id.isdigit():
                errors["id"] = [f"“{raw_id}” is not a candidate id."]
            elif candidate is None:
                errors["id"] = [f"No candidate #{raw_id}; leave id empty to add a new candidate."]
            if errors:
                return result
        elif emails:
            matches = [known[e.lower()] for e in emails if e.lower() in known]
            if matches:
                matched = min(matches, key=lambda m: (not m.is_primary, m.pk))
                candidate = by_id.get(matched.candidate_id)
        result.is_new = candidate is None
        candidate = candidate or Candidate()
        result.candidate = candidate
        name_before = candidate.name
        if not result.is_new:
            earlier = self.seen_candidates.setdefault(candidate.pk, number)
            if earlier != number:
                errors["id"] = [f"{name_before} (#{candidate.pk}) is also in row {earlier}."]

        for column in self.plain:
            try:
                column.save(candidate, row)
            except ValueError as error:
                errors[column.attribute] = [str(error)]
        self._read_lookups(result, row)
        email_errors = self._check_emails(result, emails, known)
        if matched and candidate.name and not _same_person(candidate.name, name_before):
            # An email match updates that candidate; a different name says it is someone else
            # (or a typo in the email), and overwriting them would lose a real person's record.
            email_errors.append(
                f"{matched.email} belongs to {name_before} (#{candidate.pk}), not to "
                f"{candidate.name}. To update {name_before}, put {candidate.pk} in the id "
                "column; otherwise correct the email."
            )
        if email_errors:
            errors["emails"] = email_errors
        try:
            # What could not be read is reported once, as that, not again as the rule its
            # empty value then breaks (pay without a currency).
            candidate.full_clean(
                exclude=[*errors, *self.not_cleaned],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, messages)
        return result

    def _read_lookups(self, result: _Row, row: dict[str, Any]) -> None:
        candidate, errors = result.candidate, result.errors
        assert candidate is not None
        raw = row.get("current_company")
        if "current_company" in self.reads and raw not in (None, ""):
            name = " ".join(str(raw).split())
            if not name:
                errors["current_company"] = ["A company needs a name."]
            elif len(name) > self.company_limit:
                errors["current_company"] = [
                    f"A company name is at most {self.company_limit} characters."
                ]
            elif name.lower() in self.companies:
                candidate.current_company = self.companies[name.lower()]
            else:
                result.company_name = name
        raw = row.get("owner")
        if "owner" in self.reads and raw not in (None, ""):
            user = self.owners.get(str(raw).strip().lower())
            if user is None:
                errors["owner"] = [f"No user is named “{raw}”; use the owner's username."]
            elif not (user.is_active and user.is_staff):
                errors["owner"] = [
                    f"{user.get_username()} is not an active recruiter and cannot own candidates."
                ]
            else:
                candidate.owner = user
        if "current_pay_currency" in self.reads:
            raw = row.get("current_pay_currency")
            code = _cell(raw).strip().upper()
            if not code:
                candidate.current_pay_currency = None
            elif code in self.currencies:
                candidate.current_pay_currency = self.currencies[code]
            else:
                known = ", ".join(sorted(self.currencies))
                errors["current_pay_currency"] = [
                    f"Unknown currency “{raw}”; known currencies: {known}."
                ]
        if TAGS in self.reads:
            result.tag_names = self._tag_names(row.get(TAGS))
            for name in result.tag_names:
                if len(name) > self.tag_limit:
                    errors[TAGS] = [f"A tag is at most {self.tag_limit} characters: “{name}”."]

    def _check_emails(
        self, result: _Row, emails: list[str], known: dict[str, _KnownEmail]
    ) -> list[str]:
        problems: list[str] = []
        candidate = result.candidate
        assert candidate is not None
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"“{email}” is not a valid email address.")
                continue
            key = email.lower()
            earlier = self.seen_emails.setdefault(key, result.number)
            if earlier != result.number:
                problems.append(f"{email} is also in row {earlier} of this file.")
                continue
            owner = known.get(key)
            if owner is not None and (result.is_new or owner.candidate_id != candidate.pk):
                problems.append(f"{email} already belongs to {owner.name} (#{owner.candidate_id}).")
            result.emails.append(email)
        return problems

    # --- writing one batch -----------------------------------------------------------------

    def write(self, rows: list[_Row], *, by: User | None, job: CandidateImport) -> None:
        rows = [r for r in rows if r.candidate is not None]
        self._create_missing(rows)
        now = timezone.now()
        new = [r.candidate for r in rows if r.is_new and r.candidate]
        updated = [r.candidate for r in rows if not r.is_new and r.candidate]
        Candidate.objects.bulk_create(new)
        for candidate in updated:
            candidate.updated_at = now
        _update(updated, self.update_fields)
        self._add_emails(rows, [c.pk for c in updated])
        through = Candidate.tags.through
        through.objects.bulk_create(
            [
                through(candidate_id=r.candidate.pk, tag_id=self.tags[name.lower()].pk)
                for r in rows
                if r.candidate
                for name in r.tag_names
            ],
            ignore_conflicts=True,
        )
        if by is not None:
            # The candidates' history in the admin, as the row by row import wrote it.
            content_type = ContentType.objects.get_for_model(Candidate)
            LogEntry.objects.bulk_create(
                LogEntry(
                    user_id=by.pk,
                    content_type_id=content_type.pk,
                    object_id=str(c.pk),
                    object_repr=str(c)[:200],
                    action_flag=flag,
                    change_message=f"{verb} by the import of {job.file_name} (#{job.pk})",
                    action_time=now,
                )
                for cs, flag, verb in ((new, ADDITION, "Added"), (updated, CHANGE, "Changed"))
                for c in cs
            )

    def _create_missing(self, rows: list[_Row]) -> None:
        # Spelt as the first row that names them, as when each row was saved in turn.
        companies: dict[str, str] = {}
        tags: dict[str, str] = {}
        for row in rows:
            if row.company_name and row.company_name.lower() not in self.companies:
                companies.setdefault(row.company_name.lower(), row.company_name)
            for name in row.tag_names:
                if name.lower() not in self.tags:
                    tags.setdefault(name.lower(), name)
        if companies:
            Company.objects.bulk_create(
                [Company(name=n) for n in companies.values()], ignore_conflicts=True
            )
            self._load_companies(set(companies))
        if tags:
            Tag.objects.bulk_create([Tag(name=n) for n in tags.values()], ignore_conflicts=True)
            self._load_tags(set(tags))
        for row in rows:
            if row.company_name and row.candidate:
                row.candidate.current_company = self.companies[row.company_name.lower()]

    def _add_emails(self, rows: list[_Row], updated_ids: list[int]) -> None:
        own: dict[int, set[str]] = {}
        with_primary: set[int] = set()
        for candidate_id, email, primary in CandidateEmail.objects.filter(
            candidate_id__in=updated_ids
        ).values_list("candidate_id", "email", "is_primary"):
            own.setdefault(candidate_id, set()).add(email.lower())
            if primary:
                with_primary.add(candidate_id)
        emails = []
        for row in rows:
            assert row.candidate is not None
            pk = row.candidate.pk
            have = own.setdefault(pk, set())
            for email in row.emails:
                if email.lower() not in have:
                    primary = pk not in with_primary
                    emails.append(CandidateEmail(candidate_id=pk, email=email, is_primary=primary))
                    have.add(email.lower())
                    with_primary.add(pk)
        CandidateEmail.objects.bulk_create(emails)

    # --- the whole file --------------------------------------------------------------------

    def run(
        self,
        *,
        write: bool,
        progress: Callable[[int], None],
        job: CandidateImport,
        by: User | None = None,
    ) -> Outcome:
        """Checks every row (and, with `write`, saves them, while no row is in error: the
        caller's transaction is rolled back on any)."""
        outcome = Outcome(total=len(self))
        done = 0
        for batch in self.batches():
            rows = self.check(batch)
            for row in rows:
                self._count(outcome, row, preview=not write)
            if write and not outcome.error_rows:
                self.write(rows, by=by, job=job)
            done += len(batch)
            progress(done)
        if not write:
            self._emails_in_preview(outcome)
        return outcome

    def _count(self, outcome: Outcome, row: _Row, *, preview: bool) -> None:
        if row.skipped:
            outcome.skipped += 1
        elif row.errors:
            outcome.error_rows += 1
            if len(outcome.errors) < ERROR_ROWS_KEPT:
                outcome.errors.append(
                    {
                        "row": row.number,
                        "errors": {
                            ("row" if name == NON_FIELD_ERRORS else name): messages
                            for name, messages in row.errors.items()
                        },
                        "values": row.values,
                    }
                )
        else:
            if row.is_new:
                outcome.new += 1
            else:
                outcome.updated += 1
            if preview and len(outcome.preview) < PREVIEW_ROWS:
                assert row.candidate is not None
                outcome.preview.append(
                    {
                        "row": row.number,
                        "candidate": None if row.is_new else row.candidate.pk,
                        "values": row.values,
                        "emails": row.emails,
                    }
                )

    def _emails_in_preview(self, outcome: Outcome) -> None:
        """The preview's emails column lists the emails each row's candidate will have once
        saved: its own and the file's, which are added, never removed."""
        if "emails" not in self.columns:
            return
        at = self.columns.index("emails")
        ids = [p["candidate"] for p in outcome.preview if p["candidate"]]
        own: dict[int, list[str]] = {}
        for candidate_id, email in (
            CandidateEmail.objects.filter(candidate_id__in=ids)
            .order_by("-is_primary", "pk")
            .values_list("candidate_id", "email")
        ):
            own.setdefault(candidate_id, []).append(email)
        for entry in outcome.preview:
            have = own.get(entry["candidate"], []) if entry["candidate"] else []
            known = {e.lower() for e in have}
            added = [e for e in entry.pop("emails") if e.lower() not in known]
            entry["values"][at] = "; ".join(have + added)
            entry["added_emails"] = "; ".join(added)


def _update(candidates: list[Candidate], names: list[str]) -> None:
    """Saves these fields of the candidates. Django's bulk_update writes a CASE of every row
    for every column, and took 8 s for 2,000 rows: on PostgreSQL, one UPDATE from arrays, a
    column each (as Django's bulk_create inserts), instead."""
    if not candidates:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        Candidate.objects.bulk_update(candidates, names, batch_size=100)
        return
    quote = connection.ops.quote_name
    fields = [cast("models.Field[Any, Any]", Candidate._meta.get_field(name)) for name in names]
    columns = [quote(str(f.column)) for f in fields]
    arrays = ", ".join(["%s::bigint[]", *(f"%s::{f.db_type(connection)}[]" for f in fields)])
    params: list[list[Any]] = [[c.pk for c in candidates]]
    params.extend(
        [f.get_db_prep_save(getattr(c, f.attname), connection) for c in candidates] for f in fields
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Candidate._meta.db_table)} AS c "
            f"SET {', '.join(f'{column} = v.{column}' for column in columns)} "
            f"FROM unnest({arrays}) AS v(id, {', '.join(columns)}) WHERE c.id = v.id",
            params,
        )


# --- The jobs ------------------------------------------------------------------------------


class _Progress:
    """Writes how many rows are done where the job's page reads it. While the import runs in
    its transaction, through a connection of its own, committed at once: the page must see
    the count before the import commits. (SQLite, the embedded setup, allows one writer at a
    time: there the count moves at the end.)"""

    def __init__(self, job_id: int, *, own_connection: bool) -> None:
        self.job_id = job_id
        self.connection = None
        if own_connection and connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, done: int) -> None:
        if self.connection is None:
            CandidateImport.objects.filter(pk=self.job_id).update(rows_processed=done)
            return
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {CandidateImport._meta.db_table} SET rows_processed = %s "
                    "WHERE id = %s",
                    [done, self.job_id],
                )
        except DatabaseError:
            log.warning("import #%s: its progress could not be written", self.job_id)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _remove_file(name: str | None) -> None:
    if name:
        storage = CandidateImport._meta.get_field("file").storage
        storage.delete(name)  # nothing if it is gone already


def _finish(job: CandidateImport, status: str, **fields: Any) -> None:
    """Ends a job: its file removed whatever happened."""
    CandidateImport.objects.filter(pk=job.pk).update(
        status=status, finished_at=timezone.now(), file="", **fields
    )
    _remove_file(job.file.name)


def _outcome_fields(outcome: Outcome) -> dict[str, Any]:
    return {
        "rows_total": outcome.total,
        "rows_processed": outcome.total,
        "new_count": outcome.new,
        "updated_count": outcome.updated,
        "skipped_count": outcome.skipped,
        "error_count": outcome.error_rows,
        "row_errors": outcome.errors,
    }


def check_job(job_id: int) -> None:
    """The dry run: every row checked, nothing written. A file with errors ends there (and
    its file is removed: the recruiter uploads it again, fixed)."""
    started = time.perf_counter()
    claimed = CandidateImport.objects.filter(
        pk=job_id, status__in=[CandidateImport.Status.QUEUED, CandidateImport.Status.CHECKING]
    ).update(status=CandidateImport.Status.CHECKING, rows_processed=0)
    if not claimed:
        return  # checked already, or confirmed since: a repeated task changes nothing
    job = CandidateImport.objects.get(pk=job_id)
    try:
        reader = CandidateFile(read_file(job), with_pay=job.with_pay)
        CandidateImport.objects.filter(pk=job_id).update(
            rows_total=len(reader), columns=reader.columns
        )
        outcome = reader.run(write=False, progress=_Progress(job_id, own_connection=False), job=job)
    except ImportFileError as refused:
        _finish(job, CandidateImport.Status.FAILED, message=" ".join(refused.messages))
        return
    except Exception:
        log.exception("import #%s: the check stopped", job_id)
        _finish(job, CandidateImport.Status.FAILED, message="The check stopped on an error.")
        raise
    fields = {**_outcome_fields(outcome), "preview": outcome.preview, "checked_at": timezone.now()}
    if outcome.error_rows:
        _finish(job, CandidateImport.Status.FAILED, **fields)
    else:
        CandidateImport.objects.filter(pk=job_id, status=CandidateImport.Status.CHECKING).update(
            status=CandidateImport.Status.CHECKED, **fields
        )
    log.info("import #%s checked in %.1f s", job_id, time.perf_counter() - started)


class _RolledBack(Exception):
    def __init__(self, outcome: Outcome | None) -> None:
        self.outcome = outcome


def import_job(job_id: int) -> None:
    """The import, once confirmed: every row checked again and saved, in one transaction."""
    # One run at a time: a task delivered twice (a worker lost mid-import) waits for nothing.
    with one_at_a_time(f"closer:candidate-import-{job_id}", timeout=6 * 60 * 60) as mine:
        if mine:
            _import(job_id)


def _import(job_id: int) -> None:
    started = time.perf_counter()
    job = CandidateImport.objects.filter(pk=job_id, status=CandidateImport.Status.IMPORTING).first()
    if job is None:
        return  # done or failed already
    progress = _Progress(job_id, own_connection=True)
    try:
        reader = CandidateFile(read_file(job), with_pay=job.with_pay)
        with transaction.atomic():
            outcome = reader.run(write=True, progress=progress, job=job, by=job.created_by)
            if outcome.error_rows:
                raise _RolledBack(outcome)
            finished = CandidateImport.objects.filter(
                pk=job_id, status=CandidateImport.Status.IMPORTING
            ).update(
                status=CandidateImport.Status.DONE,
                finished_at=timezone.now(),
                file="",
                **_outcome_fields(outcome),
            )
            if not finished:
                raise _RolledBack(None)
    except ImportFileError as refused:
        _finish(job, CandidateImport.Status.FAILED, message=" ".join(refused.messages))
    except _RolledBack as rolled_back:
        if rolled_back.outcome is None:
            log.warning("import #%s was ended by another run", job_id)
            return
        _finish(
            job,
            CandidateImport.Status.FAILED,
            message="Nothing was imported: some rows became invalid after the check.",
            **_outcome_fields(rolled_back.outcome),
        )
    except IntegrityError as clash:
        log.warning("import #%s rolled back: %s", job_id, clash)
        _finish(
            job,
            CandidateImport.Status.FAILED,
            message="Nothing was imported: candidates changed while the file was imported "
            "(an email or a name taken meanwhile). Upload the file again to check it anew.",
        )
    except Exception:
        log.exception("import #%s stopped", job_id)
        _finish(
            job,
            CandidateImport.Status.FAILED,
            message="The import stopped on an error; nothing was imported.",
        )
        raise
    else:
        _remove_file(job.file.name)
        log.info("import #%s done in %.1f s", job_id, time.perf_counter() - started)
    finally:
        progress.close()


def sweep_files(*, now: datetime | None = None) -> int:
    """Removes the files of jobs never confirmed (or never ended) after
    CANDIDATE_IMPORT_KEEP_HOURS, and any file of the folder no job holds; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CANDIDATE_IMPORT_KEEP_HOURS)
    removed = 0
    stale = CandidateImport.objects.exclude(file="").filter(created_at__lt=cutoff)
    for job in stale.exclude(status=CandidateImport.Status.IMPORTING):
        if job.status in (CandidateImport.Status.DONE, CandidateImport.Status.FAILED):
            CandidateImport.objects.filter(pk=job.pk).update(file="")
            _remove_file(job.file.name)
        else:
            _finish(
                job,
                CandidateImport.Status.FAILED,
                message=f"Not confirmed within {settings.CANDIDATE_IMPORT_KEEP_HOURS} hours: "
                "the file was removed. Upload it again to import it.",
            )
        removed += 1
    storage = CandidateImport._meta.get_field("file").storage
    if storage.exists(""):
        held = set(CandidateImport.objects.exclude(file="").values_list("file", flat=True))
        for name in storage.listdir("")[1]:
            if name not in held and storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                removed += 1
    return removed
