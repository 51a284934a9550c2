from django.apps import AppConfig
from django.db.models.signals import post_migrate

RECRUITER_GROUP = "Recruiters"
# What a recruiter may do in the admin: everything on candidates and pipelines, and read the
# reference data the administrators keep, and the users (to pick a candidate's owner or a
# role's hiring manager, whose autocomplete lists users).
RECRUITER_PERMISSIONS = {
    "auth": {"user": "v"},
    "candidates": {
        "candidate": "avcd",
        "candidateemail": "avcd",
        "company": "avc",
        "companypause": "avcd",
        "tag": "avcd",
        "currency": "v",
    },
    "pipeline": {
        "role": "avc",
        "stage": "v",
        "application": "avc",
        "stagechange": "v",
        "activity": "avcd",
    },
}
_VERBS = {"a": "add", "v": "view", "c": "change", "d": "delete"}


def ensure_groups(sender, using="default", **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Creates the Recruiters group after every migrate; permissions exist only by then."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.using(using).get_or_create(name=RECRUITER_GROUP)
    codenames = [
        f"{_VERBS[v]}_{model}"
        for app_models in RECRUITER_PERMISSIONS.values()
        for model, verbs in app_models.items()
        for v in verbs
    ]
    perms = Permission.objects.using(using).filter(
        content_type__app_label__in=RECRUITER_PERMISSIONS, codename__in=codenames
    )
    group.permissions.add(*perms)


class PipelineConfig(AppConfig):
    name = "recruiting.pipeline"
    label = "pipeline"
    verbose_name = "Pipelines"

    def ready(self) -> None:
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="pipeline.ensure_groups")
        # The alerts app knows no domain: the pipeline hands it its reminder rules.
        from . import reminders

        reminders.register()
