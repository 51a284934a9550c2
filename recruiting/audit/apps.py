from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who was shown pay, and when: an append-only log the pages and the admin write to. It
    knows no domain: callers hand it the object and a kind."""

    name = "recruiting.audit"
    label = "audit"
    verbose_name = "Audit"
