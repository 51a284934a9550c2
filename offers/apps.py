from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .permissions import ensure_groups


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = "Offers"

    def ready(self) -> None:
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="offers.ensure_groups")
        # The alerts app knows no domain: offers hand it their reminder rules.
        from . import answers, competition, links, reminders

        reminders.register()
        competition.register()
        links.register_alert_kinds()
        answers.register_alert_kinds()
