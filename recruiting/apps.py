from django.apps import AppConfig


class RecruitingConfig(AppConfig):
    """The project package as an app: its Celery tasks and its production checks."""

    name = "recruiting"
    verbose_name = "Closer"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
        from .lib import aggregates  # noqa: F401  (the percentile on SQLite connections)
