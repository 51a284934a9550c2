from django.apps import AppConfig


class WebConfig(AppConfig):
    """The top layer: the pages that show several apps at once, and the one admin registration
    of the models that several apps extend (docs/architecture.md)."""

    name = "recruiting.web"
    label = "web"
    verbose_name = "Workspace"

    def ready(self) -> None:
        # The weekly reports digest's alert kind (the alerts app knows no domain).
        from .reports import digest

        digest.register()
