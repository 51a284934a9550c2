from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Colleagues' accounts: invitations, sign-in and password resets through django-allauth,
    its emails through the alert outbox."""

    name = "recruiting.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from recruiting.alerts import registry

        from .services import ACCOUNT_EMAIL

        registry.register_kind(ACCOUNT_EMAIL)

        from allauth.account.signals import user_logged_in

        from .middleware import remember_how_they_signed_in

        user_logged_in.connect(remember_how_they_signed_in, dispatch_uid="people.signed_in_how")
