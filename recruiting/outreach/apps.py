from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save

# What a recruiter may do with outreach: write templates and sequences, and follow the
# enrollments (which change only through the services: enroll, stop).
RECRUITER_PERMISSIONS = {
    "messagetemplate": "avcd",
    "pitchparagraph": "avcd",
    "sequence": "avcd",
    "sequencestep": "avcd",
    "enrollment": "v",
    "sentmessage": "v",
}
_VERBS = {"a": "add", "v": "view", "c": "change", "d": "delete"}


def ensure_groups(sender, using="default", **kwargs) -> None:  # type: ignore[no-untyped-def]
    """After every migrate, gives the Recruiters group its outreach permissions."""
    from django.contrib.auth.models import Group, Permission

    from recruiting.pipeline.apps import RECRUITER_GROUP

    group, _ = Group.objects.using(using).get_or_create(name=RECRUITER_GROUP)
    codenames = [
        f"{_VERBS[v]}_{model}" for model, verbs in RECRUITER_PERMISSIONS.items() for v in verbs
    ]
    group.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label="outreach", codename__in=codenames
        )
    )


def _saved_candidate(sender, instance, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if instance.do_not_contact:
        from .services import stop_for_do_not_contact

        stop_for_do_not_contact([instance.pk])


class OutreachConfig(AppConfig):
    name = "recruiting.outreach"
    label = "outreach"
    verbose_name = "Outreach"

    def ready(self) -> None:
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="outreach.ensure_groups")
        from candidates.models import Candidate
        from candidates.signals import do_not_contact_marked
        from recruiting.pipeline.signals import application_moved, candidates_merging

        from .services import settle_merge, stop_for_application, stop_for_do_not_contact

        candidates_merging.connect(settle_merge, dispatch_uid="outreach.settle_merge")
        application_moved.connect(stop_for_application, dispatch_uid="outreach.stop_for_moved")
        do_not_contact_marked.connect(
            stop_for_do_not_contact, dispatch_uid="outreach.stop_for_do_not_contact"
        )
        # A candidate saved do-not-contact one by one: the admin's form, an import, a merge.
        post_save.connect(_saved_candidate, sender=Candidate, dispatch_uid="outreach.saved")
        # The enroll action joins the candidate list once every admin module has registered
        # its Candidate admin (offers re-registers it after this app's admin is imported).
        from .admin import extend_candidate_admin

        extend_candidate_admin()
