"""A form is sent once (`recruiting/lib/form_keys.py`): the same form sent twice with its
one-time key (a double click, back and resend, a second tab) is done once, and the repeat
leads where the first submission led, saying so; the rule is per key, not per content.

The keys are read from the pages as a browser would send them; the claims live in the real
Redis (the cache of the test settings)."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone

from candidates.models import Candidate, Company
from offers.demo import build_market
from offers.models import CompetingOffer
from recruiting.lib.form_keys import FormSentOnce, new_form_key
from recruiting.pipeline.models import Activity
from tests.factories import ApplicationFactory, CandidateFactory, CompanyFactory, RoleFactory
from tests.form_keys import key_of
from tests.web.offer_form.helpers import BLANK, MINUTES, rows

pytestmark = pytest.mark.django_db

ALREADY_SENT = FormSentOnce.MESSAGE


@pytest.fixture
def application(recruiter, hiring_manager):
    return ApplicationFactory(
        candidate=CandidateFactory(name="Ada Lovelace", owner=recruiter),
        role=RoleFactory(hiring_manager=hiring_manager),
        by=recruiter,
    )


def application_page(application) -> str:
    return reverse("web:application", args=[application.pk])


def activity(key: str, summary: str = "Called about the team lead") -> dict[str, str]:
    return {"activity-kind": "call", "activity-summary": summary, "form_key": key}


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Logging an activity ---------------------------------------------------------------------


def test_an_activity_sent_twice_with_its_key_is_logged_once_and_the_repeat_says_so(
    client, recruiter, application
):
    client.force_login(recruiter)
    key = key_of(client.get(application_page(application)).content.decode(), "activity-form")
    url = reverse("web:log_activity", args=[application.pk])

    first = client.post(url, activity(key))
    repeat = client.post(url, activity(key), follow=True)

    assert first.status_code == 302 and first["Location"] == application_page(application)
    # The repeat leads where the first led (the application page), saying why nothing changed.
    assert repeat.redirect_chain == [(application_page(application), 303)]
    assert ALREADY_SENT in repeat.content.decode()
    assert Activity.objects.filter(summary="Called about the team lead").count() == 1


def test_two_forms_with_the_same_content_and_their_own_keys_are_both_logged(
    client, recruiter, application
):
    client.force_login(recruiter)
    url = reverse("web:log_activity", args=[application.pk])
    keys = [
        key_of(client.get(application_page(application)).content.decode(), "activity-form")
        for _ in range(2)
    ]

    answers = [client.post(url, activity(key)) for key in keys]

    assert keys[0] != keys[1]
    assert [answer.status_code for answer in answers] == [302, 302]
    assert Activity.objects.filter(summary="Called about the team lead").count() == 2


def test_a_form_without_a_key_is_done_each_time_as_before(client, recruiter, application):
    client.force_login(recruiter)
    url = reverse("web:log_activity", args=[application.pk])
    data = {"activity-kind": "call", "activity-summary": "Called about the team lead"}

    client.post(url, data)
    client.post(url, data)

    assert Activity.objects.filter(summary="Called about the team lead").count() == 2


def test_a_form_refused_comes_back_with_a_new_key_and_the_corrected_form_is_logged(
    client, recruiter, application
):
    client.force_login(recruiter)
    key = key_of(client.get(application_page(application)).content.decode(), "activity-form")
    url = reverse("web:log_activity", args=[application.pk])

    refused = client.post(url, activity(key, summary=""))
    new_key = key_of(refused.content.decode(), "activity-form")
    corrected = client.post(url, activity(new_key))

    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert new_key != key
    assert corrected.status_code == 302 and ALREADY_SENT not in flashed(corrected)
    assert Activity.objects.filter(summary="Called about the team lead").count() == 1


def test_another_user_s_key_is_not_theirs_to_spend(client, recruiter, application):
    colleague = type(recruiter).objects.create_user("rob", "rob@closer.test")
    colleague.groups.set(recruiter.groups.all())
    client.force_login(recruiter)
    key = key_of(client.get(application_page(application)).content.decode(), "activity-form")
    url = reverse("web:log_activity", args=[application.pk])
    client.post(url, activity(key))

    client.force_login(colleague)
    theirs = client.post(url, activity(key, summary="Rob's own call"))

    assert theirs.status_code == 302 and ALREADY_SENT not in flashed(theirs)
    assert Activity.objects.filter(summary="Rob's own call").count() == 1


# --- Recording a competing offer -------------------------------------------------------------


def test_a_competing_offer_sent_twice_with_its_key_is_recorded_once(client, recruiter, application):
    build_market()
    helix = CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)
    client.force_login(recruiter)
    url = reverse("offers:competing_new", args=[application.pk])
    key = key_of(client.get(url).content.decode(), "competing-form")
    data = {
        "competitor": str(helix.pk),
        "deadline": (timezone.now() + timedelta(days=5)).strftime(MINUTES),
        "confidence": "written",
        "source": "The candidate",
        "currency": "USD",
        "base_salary": "450000",
        "target_bonus_percent": "0",
        "relocation": "0",
        "signing_clawback_months": "0",
        "retention_clawback_months": "0",
        "form_key": key,
    }
    for prefix in ("payments", "equity", "other"):
        data |= rows(prefix, [BLANK[prefix]])

    first = client.post(url, data)
    repeat = client.post(url, data)

    assert first.status_code == 302
    assert repeat.status_code == 303 and repeat["Location"] == first["Location"]
    assert ALREADY_SENT in flashed(repeat)
    assert CompetingOffer.objects.filter(competitor=helix).count() == 1


# --- The admin -------------------------------------------------------------------------------


def test_an_admin_add_form_saved_twice_adds_one_row(recruiter_client, admin_form_data):
    add = reverse("admin:candidates_candidate_add")
    page = recruiter_client.get(add)
    data = admin_form_data(page) | {
        "name": "Grace Hopper",
        "emails-TOTAL_FORMS": "0",
        "form_key": key_of(page.content.decode(), "candidate_form"),
    }

    first = recruiter_client.post(add, data)
    repeat = recruiter_client.post(add, data, follow=True)

    assert first.status_code == 302
    assert repeat.redirect_chain[0] == (first["Location"], 303)
    assert ALREADY_SENT in repeat.content.decode()
    assert Candidate.objects.filter(name="Grace Hopper").count() == 1


def test_an_admin_list_action_carries_a_key_too(recruiter_client):
    page = recruiter_client.get(reverse("admin:candidates_candidate_changelist"))

    assert key_of(page.content.decode(), "changelist-form")


# --- What the first submission's answer does to its key ---------------------------------------

tries: list[str] = []


def fails_once(request: HttpRequest) -> HttpResponse:
    """Its first call fails (a database timeout, a bug)."""
    tries.append(request.POST["form_key"])
    if len(tries) == 1:
        raise RuntimeError("the first try fails")
    return redirect("/done/")


def refuses(request: HttpRequest) -> HttpResponse:
    tries.append(request.POST["form_key"])
    return HttpResponse("Not yours.", status=403)


urlpatterns = [path("fails-once/", fails_once), path("refuses/", refuses)]


@pytest.mark.urls(__name__)
def test_a_first_submission_that_failed_lets_the_same_form_be_sent_again(client, recruiter):
    tries.clear()
    client.force_login(recruiter)
    client.raise_request_exception = False
    key = new_form_key()

    failed = client.post("/fails-once/", {"form_key": key})
    retried = client.post("/fails-once/", {"form_key": key})
    repeat = client.post("/fails-once/", {"form_key": key})

    assert failed.status_code == 500
    assert retried.status_code == 302 and retried["Location"] == "/done/"
    assert repeat.status_code == 303 and repeat["Location"] == "/done/"
    assert len(tries) == 2


@pytest.mark.urls(__name__)
def test_a_refused_submission_spends_no_key(client, recruiter):
    tries.clear()
    client.force_login(recruiter)

    key = new_form_key()

    answers = [client.post("/refuses/", {"form_key": key}) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [403, 403]
    assert len(tries) == 2


def test_while_the_cache_is_out_of_reach_a_form_is_still_done(
    client, recruiter, application, settings, caplog
):
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client.force_login(recruiter)
    key = key_of(client.get(application_page(application)).content.decode(), "activity-form")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }

    logged = client.post(reverse("web:log_activity", args=[application.pk]), activity(key))

    assert logged.status_code == 302
    assert Activity.objects.filter(summary="Called about the team lead").count() == 1
    assert "form key not checked: the cache is out of reach" in caplog.text
