"""State changes on candidates, companies and tags."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from .models import Candidate, Company, Tag
from .signals import do_not_contact_marked


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
