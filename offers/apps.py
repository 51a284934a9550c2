from django.apps import AppConfig
from django.db.models.signals import post_migrate

APPROVER_GROUP = "Compensation approvers"
OFFER_MODELS = (
    "offer",
    "offerpayment",
    "equitygrant",
    "vestingyear",
    "otheramount",
    "competingoffer",
)


def ensure_groups(sender, using="default", **kwargs) -> None:  # type: ignore[no-untyped-def]
    """After every migrate: recruiters draft offers and see amounts; approvers see and decide."""
    from django.contrib.auth.models import Group, Permission

    from recruiting.pipeline.apps import RECRUITER_GROUP

    perms = Permission.objects.using(using).filter(content_type__app_label="offers")
    recruiters, _ = Group.objects.using(using).get_or_create(name=RECRUITER_GROUP)
    recruiters.permissions.add(
        *perms.filter(
            codename__in=[
                "view_compensation",
                *(
                    f"{verb}_{model}"
                    for model in OFFER_MODELS
                    for verb in ("add", "change", "view", "delete")
                ),
                "view_approval",
                "view_approvalrule",
                "view_exchangerate",
                "view_compensationband",
            ]
        )
    )
    approvers, _ = Group.objects.using(using).get_or_create(name=APPROVER_GROUP)
    approvers.permissions.add(
        *perms.filter(
            codename__in=[
                "view_compensation",
                *(f"view_{model}" for model in OFFER_MODELS),
                "view_approval",
                "change_approval",
                "view_approvalrule",
                "view_compensationband",
                "view_exchangerate",
            ]
        )
    )


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = "Offers"

    def ready(self) -> None:
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="offers.ensure_groups")
        # The alerts app knows no domain: offers hand it their reminder rules.
        from . import competition, reminders

        reminders.register()
        competition.register()
