from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """The alert outbox. It knows no domain: apps register their alert kinds and reminder
    rules with `recruiting.alerts.registry` when they load."""

    name = "recruiting.alerts"
    label = "alerts"
    verbose_name = "Alerts"
