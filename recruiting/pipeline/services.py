"""Every state change of a pipeline: roles, applications, stages, activities, merges."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Field, QuerySet, Value, When
from django.utils import timezone

from candidates.models import Candidate, CandidateEmail, Company

from . import history
from .models import DEFAULT_PIPELINE, Activity, Application, Role, Stage, StageChange
from .signals import application_moved, candidates_merging


class PipelineError(ValidationError):
    """A pipeline change that the rules refuse; the message names the rule."""


# --- Roles ---------------------------------------------------------------------------------


def create_default_stages(role: Role) -> list[Stage]:
    if role.stages.exists():
        raise PipelineError(f"{role} already has stages.")
    return Stage.objects.bulk_create(
        Stage(
            role=role,
            name=name,
            kind=kind,
            position=position,
            time_limit_days=limit,
            follow_up_days=follow_up,
        )
        for position, (name, kind, limit, follow_up) in enumerate(DEFAULT_PIPELINE, start=1)
    )


@transaction.atomic
def open_role(**fields: Any) -> Role:
    role = Role(**fields)
    role.full_clean()
    role.save()
    create_default_stages(role)
    return role


def _stage_of_kind(role: Role, kind: str) -> Stage:
    stage = role.stages.filter(kind=kind).order_by("position").first()
    if stage is None:
        label = Stage.Kind(kind).label
        raise PipelineError(f"The pipeline of {role} has no stage of kind {label}.")
    return stage


# --- Applications --------------------------------------------------------------------------


def check_add_to_pipeline(candidate: Candidate, role: Role, stage: Stage | None = None) -> Stage:
    """The rules for adding a candidate to a role; returns the stage the application starts in."""
    if role.status != Role.Status.OPEN:
        raise PipelineError(
            {
                "role": f"{role} is {role.get_status_display().lower()}; "
                "only open roles take candidates."
            }
        )
    if candidate.pk and Application.objects.filter(candidate=candidate, role=role).exists():
        raise PipelineError({"role": f"{candidate} is already in the pipeline of {role}."})
    if stage is None:
        stage = role.stages.exclude(kind__in=[Stage.Kind.HIRED, Stage.Kind.LOST]).first()
        if stage is None:
            raise PipelineError({"role": f"{role} has no open stage to start in."})
    elif stage.role_id != role.pk:
        raise PipelineError({"stage": f"{stage.name} is a stage of {stage.role}, not of {role}."})
    elif stage.is_closing:
        raise PipelineError({"stage": "An application cannot start in a hired or lost stage."})
    return stage


@transaction.atomic
def add_to_pipeline(
    candidate: Candidate,
    role: Role,
    *,
    by: User | None,
    stage: Stage | None = None,
) -> Application:
    stage = check_add_to_pipeline(candidate, role, stage)
    now = timezone.now()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                candidate=candidate, role=role, stage=stage, stage_entered_at=now
            )
    except IntegrityError:
        # Someone added the same candidate to the same role a moment ago.
        raise PipelineError(
            {"role": f"{candidate} is already in the pipeline of {role}."}
        ) from None
    history.record(
        [
            StageChange(
                application=application,
                from_stage=None,
                to_stage=stage,
                changed_at=now,
                changed_by=by,
            )
        ]
    )
    return application


@transaction.atomic
def add_candidates_to_pipeline(
    candidates: QuerySet[Candidate],
    role: Role,
    *,
    by: User | None,
    stage: Stage | None = None,
) -> tuple[list[Application], list[str]]:
    """Adds each candidate to `role`'s pipeline at `stage` (its first stage by default): the
    applications made, and the names of those already in it (left as they are). A closed role
    or a stage of another role refuses them all."""
    stage = check_add_to_pipeline(Candidate(), role, stage)
    chosen = list(candidates.select_related(None).order_by("name", "pk").only("pk", "name"))
    already = set(
        Application.objects.filter(role=role, candidate__in=[c.pk for c in chosen]).values_list(
            "candidate_id", flat=True
        )
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            made = Application.objects.bulk_create(
                Application(candidate=c, role=role, stage=stage, stage_entered_at=now)
                for c in chosen
                if c.pk not in already
            )
    except IntegrityError:
        raise PipelineError(
            {"role": f"Someone added some of them to {role} meanwhile: try again."}
        ) from None
    history.record(
        [
            StageChange(
                application=a, from_stage=None, to_stage=stage, changed_at=now, changed_by=by
            )
            for a in made
        ]
    )
    return made, [c.name for c in chosen if c.pk in already]


def _lock(application: Application) -> Application:
    # Two recruiters moving the same application at once must not both record a change
    # from the same stage: the row lock makes the second one see the first one's result.
    return (
        Application.objects.select_for_update()
        .select_related("stage", "role")
        .get(pk=application.pk)
    )


def _change_stage(application: Application, stage: Stage, *, by: User | None) -> None:
    now = timezone.now()
    history.record(
        [
            StageChange(
                application=application,
                from_stage=application.stage,
                to_stage=stage,
                changed_at=now,
                changed_by=by,
            )
        ]
    )
    application.stage = stage
    application.stage_entered_at = now


def check_move_stage(application: Application, stage: Stage) -> None:
    """The rules for moving an application; raises PipelineError naming the one broken."""
    if application.is_closed:
        raise PipelineError(
            {
                "stage": f"This application is {application.get_status_display().lower()}; "
                "a closed application cannot move."
            }
        )
    if stage.role_id != application.role_id:
        raise PipelineError(
            {
                "stage": f"{stage.name} is a stage of {stage.role}, "
                f"not of this application's role {application.role}."
            }
        )
    if stage.pk == application.stage_id:
        raise PipelineError({"stage": f"The application is already in {stage.name}."})
    if stage.is_closing:
        action = "Mark hired" if stage.kind == Stage.Kind.HIRED else "Mark lost"
        raise PipelineError({"stage": f"Use “{action}” to close an application."})


@transaction.atomic
def move_stage(application: Application, stage: Stage, *, by: User | None) -> Application:
    application = _lock(application)
    check_move_stage(application, stage)
    _change_stage(application, stage, by=by)
    application.save(update_fields=["stage", "stage_entered_at"])
    application_moved.send(sender=Application, application=application)
    return application


@transaction.atomic
def move_stages_from(
    moves: list[tuple[Application, Stage]], *, kind: str, by: User | None
) -> list[Application]:
    """Moves each application to its stage if, read again under a lock, it is open and still in
    a stage of `kind` (a move it is not: one that a recruiter made meanwhile, or a closing, is
    left as it is). For a job that moves many at once (outreach's first emails move prospects
    from Sourced to Contacted): one lock, one insert of the changes, one update, whatever
    their number. The given applications are changed in place and announced (application_moved)
    as they are, so what a receiver reads on them stays theirs. Returns those moved."""
    if not moves:
        return []
    locked = dict(
        Application.objects.select_for_update()
        .filter(pk__in=[application.pk for application, _ in moves])
        .order_by("pk")
        .values_list("pk", "stage_id")
    )
    still = set(
        Stage.objects.filter(pk__in=set(locked.values()), kind=kind).values_list("pk", flat=True)
    )
    moving = []
    for application, stage in moves:
        stage_id = locked.get(application.pk)
        if stage_id is None or stage_id not in still or stage_id == stage.pk:
            continue
        if application.is_closed or stage.role_id != application.role_id or stage.is_closing:
            continue
        moving.append((application, stage, stage_id))
    if not moving:
        return []
    now = timezone.now()
    history.record(
        [
            StageChange(
                application=application,
                from_stage_id=from_id,
                to_stage=stage,
                changed_at=now,
                changed_by=by,
            )
            for application, stage, from_id in moving
        ]
    )
    Application.objects.filter(pk__in=[application.pk for application, _, _ in moving]).update(
        stage_id=Case(
            *(When(pk=application.pk, then=Value(stage.pk)) for application, stage, _ in moving)
        ),
        stage_entered_at=now,
    )
    for application, stage, _ in moving:
        application.stage, application.stage_entered_at = stage, now
        application_moved.send(sender=Application, application=application)
    return [application for application, _, _ in moving]


@transaction.atomic
def move_candidates_to_stage(
    candidates: QuerySet[Candidate], stage: Stage, *, by: User | None
) -> int:
    """Moves each candidate's application in the stage's role; all of them or none."""
    names = dict(candidates.values_list("pk", "name"))
    applications = list(
        Application.objects.filter(candidate_id__in=names, role_id=stage.role_id).select_related(
            "stage", "role"
        )
    )
    missing = set(names) - {a.candidate_id for a in applications}
    if missing:
        who = ", ".join(sorted(names[pk] for pk in missing))
        raise PipelineError(
            {"stage": f"Not in the pipeline of {stage.role}: {who}. Nothing moved."}
        )
    closed = [a for a in applications if a.is_closed]
    if closed:
        who = ", ".join(sorted(names[a.candidate_id] for a in closed))
        raise PipelineError({"stage": f"Closed applications cannot move: {who}. Nothing moved."})
    moved = 0
    for application in applications:
        if application.stage_id != stage.pk:
            move_stage(application, stage, by=by)
            moved += 1
    return moved


@transaction.atomic
def mark_hired(application: Application, *, by: User | None) -> Application:
    application = _lock(application)
    if application.is_closed:
        raise PipelineError(
            f"This application is already {application.get_status_display().lower()}."
        )
    _change_stage(application, _stage_of_kind(application.role, Stage.Kind.HIRED), by=by)
    application.status = Application.Status.HIRED
    application.closed_at = application.stage_entered_at
    application.save(update_fields=["stage", "stage_entered_at", "status", "closed_at"])
    application_moved.send(sender=Application, application=application)
    # Once hired, they work for us and keeping them is a retention matter.
    ours = Company.objects.filter(kind=Company.Kind.OURS).first()
    employee: dict[str, object] = {"relationship": Candidate.Relationship.EMPLOYEE}
    if ours is not None:
        employee.update(current_company=ours, current_title=application.role.title)
    Candidate.objects.filter(pk=application.candidate_id).update(**employee)
    # The last hire the headcount allows fills the role.
    role = application.role
    hired = role.applications.filter(status=Application.Status.HIRED).count()
    if role.status == Role.Status.OPEN and hired >= role.headcount:
        role.status = Role.Status.FILLED
        role.save(update_fields=["status"])
    return application


# What losing an application, or opening it again, changes.
_OUTCOME_FIELDS = [
    "stage",
    "stage_entered_at",
    "status",
    "lost_reason",
    "lost_to",
    "lost_note",
    "closed_at",
]


def _save_outcome(application: Application) -> Application:
    application.save(update_fields=_OUTCOME_FIELDS)
    application_moved.send(sender=Application, application=application)
    return application


@transaction.atomic
def mark_lost(
    application: Application,
    *,
    reason: str,
    by: User | None,
    lost_to: Company | None = None,
    note: str = "",
) -> Application:
    if reason not in Application.LostReason.values or not reason:
        raise PipelineError({"lost_reason": "Choose why the application was lost."})
    if reason == Application.LostReason.COMPETING_OFFER:
        if lost_to is None:
            raise PipelineError(
                {"lost_to": "Name the competitor whose offer the candidate accepted."}
            )
        if lost_to.kind == Company.Kind.OURS:
            raise PipelineError({"lost_to": f"{lost_to} is our own company, not a competitor."})
    elif lost_to is not None:
        raise PipelineError(
            {"lost_to": "A competitor is named only when the candidate took a competing offer."}
        )
    application = _lock(application)
    if application.is_closed:
        raise PipelineError(
            f"This application is already {application.get_status_display().lower()}."
        )
    _change_stage(application, _stage_of_kind(application.role, Stage.Kind.LOST), by=by)
    application.status = Application.Status.LOST
    application.lost_reason = reason
    application.lost_to = lost_to
    application.lost_note = note
    application.closed_at = application.stage_entered_at
    return _save_outcome(application)


@transaction.atomic
def reopen_application(application: Application, *, by: User | None) -> Application:
    """A lost application open again, at its role's Offer stage (a declined offer reopened as
    a new version): the loss's reason and competitor are cleared, the move recorded."""
    application = _lock(application)
    if application.status != Application.Status.LOST:
        raise PipelineError(
            f"This application is {application.get_status_display().lower()}, not lost."
        )
    _change_stage(application, _stage_of_kind(application.role, Stage.Kind.OFFER), by=by)
    application.status = Application.Status.OPEN
    application.lost_reason = Application.LostReason.NONE
    application.lost_to = None
    application.lost_note = ""
    application.closed_at = None
    return _save_outcome(application)


# --- Activities ----------------------------------------------------------------------------


@transaction.atomic
def log_activity(
    candidate: Candidate,
    *,
    kind: str,
    summary: str,
    by: User | None,
    body: str = "",
    application: Application | None = None,
    occurred_at: datetime | None = None,
) -> Activity:
    if kind not in Activity.Kind.values:
        raise PipelineError({"kind": f"“{kind}” is not a kind of activity."})
    if not summary.strip():
        raise PipelineError({"summary": "Say in a few words what happened."})
    if application is not None and application.candidate_id != candidate.pk:
        raise PipelineError({"application": "That application belongs to another candidate."})
    activity = Activity(
        candidate=candidate,
        application=application,
        kind=kind,
        summary=summary.strip(),
        body=body,
        author=by,
        occurred_at=occurred_at or timezone.now(),
    )
    activity.full_clean()
    activity.save()
    return activity


SUMMARY_MAX = 200  # Activity.summary's max_length


def log_activities(activities: list[Activity]) -> list[Activity]:
    """Logs many activities (unsaved rows) in one insert, for a job that records many at once
    (outreach's sent emails); the rules are log_activity's, checked on each, and one refused
    refuses them all."""
    for activity in activities:
        if activity.kind not in Activity.Kind.values:
            raise PipelineError({"kind": f"“{activity.kind}” is not a kind of activity."})
        activity.summary = activity.summary.strip()
        if not activity.summary:
            raise PipelineError({"summary": "Say in a few words what happened."})
        if len(activity.summary) > SUMMARY_MAX:
            raise PipelineError({"summary": f"Say it in {SUMMARY_MAX} characters or fewer."})
        if activity.application is not None and (
            activity.application.candidate_id != activity.candidate_id
        ):
            raise PipelineError({"application": "That application belongs to another candidate."})
    return Activity.objects.bulk_create(activities)


# --- Merging duplicates --------------------------------------------------------------------

# Fields that only make sense together are copied as a block, never one by one: a base in one
# currency must not end up next to a bonus in another.
_PAY_FIELDS = ("current_base", "current_bonus", "current_equity_per_year", "current_pay_currency")
_RISK_FIELDS = ("flight_risk", "flight_risk_reason")
_CONSENT_FIELDS = ("consent_basis", "consent_date")
_REFERRAL_FIELDS = ("source", "referrer")
_MERGE_SKIP_FIELDS = {
    "id",
    "name",
    "created_at",
    "updated_at",
    "do_not_contact",
    *_PAY_FIELDS,
    *_RISK_FIELDS,
    *_CONSENT_FIELDS,
    *_REFERRAL_FIELDS,
}


def _progress(application: Application) -> tuple[int, int]:
    rank: dict[str, int] = {
        Application.Status.HIRED: 2,
        Application.Status.OPEN: 1,
        Application.Status.LOST: 0,
    }
    return rank[application.status], application.stage.position


def _attname(name: str) -> str:
    # The merge blocks name the candidate's own columns, never a reverse relation.
    return cast("Field[Any, Any]", Candidate._meta.get_field(name)).attname


def _is_blank(value: object) -> bool:
    return value in (None, "", False)


@transaction.atomic
def merge_candidates(keep: Candidate, duplicate: Candidate, *, by: User | None) -> Candidate:
    """Folds `duplicate` into `keep`: emails, tags, applications and history all survive.

    Where both were in the same role's pipeline, `keep`'s application stays and takes over
    the other's stage history and activities. Fields that `keep` left empty are filled from
    `duplicate`. Every other record that points at the duplicate is moved to `keep`.
    """
    if keep.pk == duplicate.pk:
        raise PipelineError("A candidate cannot be merged into itself.")
    # Lock both rows in id order, so two opposite merges at once cannot deadlock.
    locked = Candidate.objects.select_for_update().in_bulk(sorted([keep.pk, duplicate.pk]))
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]

    kept_by_role = {a.role_id: a for a in keep.applications.select_related("stage")}
    for application in duplicate.applications.select_related("stage"):
        kept = kept_by_role.get(application.role_id)
        if kept is None:
            continue
        # Both were in this role: the one further along survives and takes the other's
        # history (and anything else attached to it).
        if _progress(application) > _progress(kept):
            winner, loser = application, kept
        else:
            winner, loser = kept, application
        for relation in Application._meta.related_objects:
            if relation.one_to_many:
                relation.related_model._base_manager.filter(**{relation.field.name: loser}).update(
                    **{relation.field.name: winner}
                )
        # Its outreach emails are the winner's now: so is the first of them.
        emailed = [a.first_emailed_at for a in (winner, loser) if a.first_emailed_at is not None]
        if emailed:
            Application.objects.filter(pk=winner.pk).update(first_emailed_at=min(emailed))
        loser.delete()
        # The two histories are now one, interleaved in time.
        history.rebuild([winner.pk])

    CandidateEmail.objects.filter(candidate=duplicate).update(candidate=keep, is_primary=False)
    keep.tags.add(*duplicate.tags.all())

    # Apps whose own rules the repointing could break (outreach: one active enrollment per
    # sequence) settle them first.
    candidates_merging.send(sender=Candidate, keep=keep, duplicate=duplicate)

    # Every other one-to-many relation (applications, activities, and those later apps add)
    # is repointed generically, so a new app's records are never lost in a merge.
    for relation in Candidate._meta.related_objects:
        if relation.one_to_many and relation.related_model is not CandidateEmail:
            relation.related_model._base_manager.filter(**{relation.field.name: duplicate}).update(
                **{relation.field.name: keep}
            )

    changed = []
    for field in Candidate._meta.concrete_fields:
        if field.name in _MERGE_SKIP_FIELDS:
            continue
        mine, theirs = getattr(keep, field.attname), getattr(duplicate, field.attname)
        if _is_blank(mine) and not _is_blank(theirs):
            setattr(keep, field.attname, theirs)
            changed.append(field.attname)
    for block, lead in (
        (_PAY_FIELDS, None),
        (_RISK_FIELDS, "flight_risk"),
        (_CONSENT_FIELDS, "consent_basis"),
        (_REFERRAL_FIELDS, "referrer"),
    ):
        attnames = [_attname(f) for f in block]
        fields_to_test = [_attname(lead)] if lead else attnames
        if all(_is_blank(getattr(keep, a)) for a in fields_to_test) and not all(
            _is_blank(getattr(duplicate, a)) for a in fields_to_test
        ):
            for attname in attnames:
                setattr(keep, attname, getattr(duplicate, attname))
            changed.extend(attnames)
    if duplicate.do_not_contact and not keep.do_not_contact:
        # An opt-out given under either record must be honoured.
        keep.do_not_contact = True
        changed.append("do_not_contact")
    if changed:
        keep.save(update_fields=changed)

    Activity.objects.create(
        candidate=keep,
        kind=Activity.Kind.NOTE,
        summary=f"Merged with duplicate record {duplicate.name} (#{duplicate.pk})",
        author=by,
    )
    duplicate.delete()
    return keep
