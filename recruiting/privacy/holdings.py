"""Everything Closer holds about one person, found by following the database's own relations.

Starting from the candidate's row, every row that points at a row already found (by a foreign
key, one-to-one or the tags' through table) is theirs too: their emails, applications and
activities, their enrollments and the emails sent, our offers (with their terms, approvals,
letters, links, signature or decline) and competing offers. django-simple-history's tables
are found the same way (their foreign keys) and by the ids of the rows they record, so the
history of a row since deleted, or of one merged from a duplicate, is theirs as well. A table
another engineer adds with a foreign key to any of these is found without a change here.

Two kinds of row point at theirs without a foreign key and are looked up by hand: the alert
outbox (`about` is a generic relation; an email to them is addressed by `to_email`) and the
admin's change log (a content type and an object id)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import ForeignObjectRel, Q, QuerySet
from django.db.models.functions import Lower

from candidates.models import Candidate
from recruiting.alerts.models import Alert

Model = type[models.Model]


def instance_model(model: Model) -> Model:
    """The model a django-simple-history table records, or the model itself."""
    recorded: Model | None = getattr(model, "instance_type", None)
    return recorded if recorded is not None and recorded is not model else model


def is_history(model: Model) -> bool:
    return instance_model(model) is not model


def _history_models() -> dict[Model, list[Model]]:
    from django.apps import apps

    histories: dict[Model, list[Model]] = {}
    for model in apps.get_models():
        if is_history(model):
            histories.setdefault(instance_model(model), []).append(model)
    return histories


def _pointing_relations(model: Model) -> Iterator[tuple[Model, str]]:
    """(model, field name) for every foreign key and one-to-one that points at `model`."""
    for relation in model._meta.get_fields(include_hidden=True):
        if (
            isinstance(relation, ForeignObjectRel)
            and relation.auto_created
            and not relation.concrete
            and (relation.one_to_many or relation.one_to_one)
        ):
            related = relation.related_model
            assert isinstance(related, type)
            yield related, relation.field.name


@dataclass
class Holdings:
    """The person's rows by model (primary keys; for a history table, its history ids), and the
    alerts and admin log entries about them."""

    candidate: Candidate
    emails: list[str]
    rows: dict[Model, set[Any]] = field(default_factory=dict)

    def queryset(self, model: Model) -> QuerySet[Any]:
        return model._base_manager.filter(pk__in=self.rows.get(model, set()))

    def models(self) -> list[Model]:
        """Every model holding a row of theirs, in a stable order (by label)."""
        return sorted((m for m, pks in self.rows.items() if pks), key=lambda m: m._meta.label)

    def alerts(self) -> QuerySet[Alert]:
        """Alerts about any row of theirs, addressed to one of their emails, or naming one."""
        about = Q(pk__in=[])
        for model, pks in self.rows.items():
            if pks and not is_history(model) and not model._meta.auto_created:
                content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
                about |= Q(about_type=content_type, about_id__in=pks)
        lowered = [email.lower() for email in self.emails]
        mentions = Q(pk__in=[])
        for email in self.emails:
            mentions |= Q(subject__icontains=email)
        return (
            Alert.objects.annotate(to_lower=Lower("to_email"))
            .filter(about | Q(to_lower__in=lowered) | mentions)
            .order_by("id")
        )

    def log_entries(self) -> QuerySet[LogEntry]:
        """The admin's record of changes to any row of theirs."""
        wanted = Q(pk__in=[])
        for model, pks in self.rows.items():
            if pks and not is_history(model) and not model._meta.auto_created:
                content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
                wanted |= Q(content_type=content_type, object_id__in=[str(pk) for pk in pks])
        return LogEntry.objects.filter(wanted).order_by("id")


def collect(candidate: Candidate) -> Holdings:
    """Every row Closer holds about `candidate` (see the module's docstring)."""
    holdings = Holdings(
        candidate=candidate,
        emails=list(candidate.emails.order_by("id").values_list("email", flat=True)),
        rows={Candidate: {candidate.pk}},
    )
    histories = _history_models()
    recorded_ids: dict[Model, set[Any]] = {}  # ids a history table recorded, by recorded model
    pending: list[Model] = [Candidate]
    while pending:
        model = pending.pop()
        # Their rows, and those a history table says were theirs (some deleted since).
        ids = holdings.rows.get(model, set()) | recorded_ids.get(model, set())
        found: dict[Model, set[Any]] = {}
        for related, name in _pointing_relations(model):
            rows = related._base_manager.filter(**{f"{name}__in": ids}).values_list("pk", flat=True)
            found.setdefault(related, set()).update(rows)
        # The history of every row of theirs, wherever its foreign keys point now.
        for history in histories.get(model, []):
            rows = history._base_manager.filter(id__in=ids).values_list("pk", flat=True)
            found.setdefault(history, set()).update(rows)
        for related, pks in found.items():
            new = pks - holdings.rows.get(related, set())
            if not new:
                continue
            holdings.rows.setdefault(related, set()).update(new)
            pending.append(related)
            if is_history(related):
                # A history row names a row of theirs that may exist no more: follow its id.
                recorded = instance_model(related)
                ids_now = set(related._base_manager.filter(pk__in=new).values_list("id", flat=True))
                before = recorded_ids.setdefault(recorded, set())
                if not ids_now <= before:
                    before.update(ids_now)
                    pending.append(recorded)
    return holdings
