from django.apps import AppConfig


class WebConfig(AppConfig):
    """The top layer: the pages that show several apps at once, and the one admin registration
    of the models that several apps extend (docs/architecture.md)."""

    name = "recruiting.web"
    label = "web"
    verbose_name = "Workspace"
