from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """People's data as the law asks: retention, export and erasure of a person's data."""

    name = "recruiting.privacy"
    label = "privacy"
    verbose_name = "People's data"
