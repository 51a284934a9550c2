from __future__ import annotations

import os

import pytest
from hypothesis import settings

from .factories import UserFactory
from .factories import unrated_currency as make_unrated_currency
from .workers import start_worker, stop_worker

# Property tests: no per-example deadline (a loaded CI machine is slow, not wrong), and in CI
# the same examples every run, so a landing never hangs on a chance draw.
settings.register_profile("closer", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "closer")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Every named actor hashes a password; PBKDF2 costs a quarter of a second a user. Tests
    # that log in through the login form still go through Django's real hashing code.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def recruiter(db):
    from django.contrib.auth.models import Group

    user = UserFactory(username="recruiter", first_name="Rita", last_name="Recruiter")
    user.groups.add(Group.objects.get(name="Recruiters"))
    return user


@pytest.fixture
def hiring_manager(db):
    return UserFactory(username="hiring_manager", first_name="Hank", last_name="Manager")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider", is_staff=True)


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def recruiter_client(client, recruiter):
    """The test client, logged in to the admin as the recruiter."""
    client.force_login(recruiter)
    return client


def _form_values(form, data: dict) -> None:
    from django import forms

    for bound in form:
        widget = bound.field.widget
        widget = getattr(widget, "widget", widget)  # unwrap the admin's related-field wrapper
        value = bound.value()
        names = [bound.html_name]
        if bound.field.show_hidden_initial:
            names.append(bound.html_initial_name)
        for name in names:
            if isinstance(widget, forms.MultiWidget):
                parts = value if isinstance(value, list | tuple) else widget.decompress(value)
                for i, part in enumerate(parts or ()):
                    data[f"{name}_{i}"] = "" if part is None else str(part)
            elif isinstance(
                bound.field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField
            ):
                data[name] = [str(v) for v in value or []]
            elif isinstance(widget, forms.CheckboxInput):
                if value:
                    data[name] = "on"
            elif isinstance(value, list | tuple):
                data[name] = [str(v) for v in value]
            else:
                data[name] = "" if value is None else str(value)


@pytest.fixture
def admin_form_data():
    """Returns a function turning a rendered admin add/change page into the POST data its
    form would send unchanged: the main form, and each inline's existing rows with its
    management form (no extra blank rows; a test appends the rows it adds)."""

    def extract(response) -> dict:
        data: dict = {}
        _form_values(response.context["adminform"].form, data)
        for inline in response.context["inline_admin_formsets"]:
            formset = inline.formset
            initial = formset.initial_form_count()
            prefix = formset.prefix
            data[f"{prefix}-TOTAL_FORMS"] = str(initial)
            data[f"{prefix}-INITIAL_FORMS"] = str(initial)
            data[f"{prefix}-MIN_NUM_FORMS"] = "0"
            data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
            for form in formset.forms[:initial]:
                _form_values(form, data)
        return data

    return extract


@pytest.fixture
def approver(db):
    """A member of the Compensation approvers group."""
    from django.contrib.auth.models import Group

    from offers.permissions import APPROVER_GROUP

    user = UserFactory(username="approver", first_name="Ava", last_name="Approver")
    user.groups.add(Group.objects.get(name=APPROVER_GROUP))
    return user


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free local port; `messages` holds what it accepted,
    and `peers` the client end of the connection each came on (one per SMTP connection).

    It can be made slow: with `delay` set, each message waits that many seconds before the
    server takes it, or, with `accept_first`, after the server has taken it but before the
    client hears the 250 (the one case where a sender that dies sends a duplicate). `holding`
    counts the messages that have reached that wait: a test kills a sender mid-send by waiting
    for it. A client that disconnects during the wait cancels it (aiosmtpd does).
    """

    def __init__(self) -> None:
        import asyncio
        import email
        import email.policy
        import threading

        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.peers: list = []
        self.refuse = False  # while True, every message is refused with a 451
        self.delay = 0.0
        self.accept_first = False
        self.holding = 0
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if sink.refuse:
                    return "451 Try again later"
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                if sink.accept_first:
                    sink._take(message, session.peer)
                if sink.delay:
                    with sink._lock:
                        sink.holding += 1
                    await asyncio.sleep(sink.delay)
                if not sink.accept_first:
                    sink._take(message, session.peer)
                return "250 OK"

        import socket

        with socket.socket() as probe:  # a free port; aiosmtpd checks it can connect to it
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def _take(self, message, peer) -> None:
        with self._lock:
            self.messages.append(message)
            self.peers.append(peer)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.peers.clear()

    def reset(self) -> None:
        """Empty, accepting and fast again."""
        self.clear()
        self.refuse = self.accept_first = False
        self.delay = 0.0
        self.holding = 0

    def wait_for(self, count: int, timeout: float = 30) -> list:
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)

    def wait_for_holding(self, count: int = 1, timeout: float = 30) -> bool:
        import time

        deadline = time.monotonic() + timeout
        while self.holding < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.holding >= count


@pytest.fixture(scope="session")
def smtp_server():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """Email from this test process goes to the real SMTP server, emptied for each test."""
    smtp_server.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp_server


@pytest.fixture
def unrated_currency(db) -> str:
    """The code of a currency Closer knows and has no rate for."""
    return make_unrated_currency()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory, smtp_server):
    """A `celery worker` process consuming from the test broker, using the test database and
    sending email to the tests' SMTP server.

    It is a separate process, as in production: tasks cross the broker as JSON, and the worker
    sees only what the test process has committed.
    """
    from django.conf import settings as django_settings

    from recruiting.celery import app

    if not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("tests with a worker need REDIS_URL pointing at a real Redis (see .ci/run)")

    app.connection_for_write().default_channel.client.flushdb()
    process = start_worker(tmp_path_factory.mktemp("celery") / "worker.log", smtp_server)
    try:
        yield process
    finally:
        stop_worker(process)
