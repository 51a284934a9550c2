from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .permissions import ensure_groups


class PipelineConfig(AppConfig):
    name = "recruiting.pipeline"
    label = "pipeline"
    verbose_name = "Pipelines"

    def ready(self) -> None:
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="pipeline.ensure_groups")
        # The alerts app knows no domain: the pipeline hands it its reminder rules.
        from . import reminders

        reminders.register()
