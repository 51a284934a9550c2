"""Every page, the admin's included, opened by each kind of user over the demo data: nobody
without view_compensation reads an amount, nobody reaches in the admin an offer, competing
offer, application, activity or alert the workspace hides from them, and no page answers 500.

Each user's walk starts from the home page, the admin's index, every admin list, add form,
and the change, history and delete pages of a few objects of every model (all the offers and
competing offers), every admin autocomplete, and every workspace URL pattern filled with real
demo ids; it then follows every same-site link the pages show, GET only. The candidate's own
pages (opened by their private link) and the opt-out links are left out: they are a
candidate's, not a colleague's."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from candidates.models import Candidate, Currency
from offers.access import visible_competing_offers, visible_offers
from offers.models import CompetingOffer, Delegation, Offer
from recruiting.alerts.models import Alert
from recruiting.lib.access import can_see_compensation
from recruiting.outreach.models import Enrollment
from recruiting.pipeline.access import visible_activities, visible_applications
from recruiting.pipeline.models import Application, Role

from .crawler import Allowed, Crawl, amount_pattern, amounts_in, crawl

pytestmark = pytest.mark.django_db

# Every seed is opened, then at most this many pages found by following links.
PAGE_LIMIT = 300

# The kinds of user, by username: the demo's players, and those tests/crawl/conftest.py adds
# (admin, sam_sourcer, audrey, corinne; marc given the admin).
SEE_PAY = ("rita", "cora", "fiona", "admin")  # recruiter, approver, CFO, administrator
SEE_NO_PAY = (
    "hana",  # a hiring manager, in the workspace only
    "marc",  # a hiring manager given the admin
    "sam_sourcer",  # works on candidates and pipelines in the admin, no offers
    "audrey",  # may view everything in the admin, but pay
    "corinne",  # an approver once, a hiring manager now: her alerts were written for the first
)

# What looks like an amount and is not pay, with why.
ALLOWED = (
    Allowed(r".", r"more than 1,000", "a paginator's count (recruiting/lib/pagination.py)"),
    Allowed(r".", r"vests \d+(?:\.\d+)?%", "a grant's vesting schedule, a share of no amount"),
    Allowed(r"^/admin/outreach/", r"\d+(?:\.\d+)?%", "outreach's reply and opt-out rates"),
    Allowed(r"^/admin/offers/exchangerate/", r".*", "exchange rates are market data, not pay"),
    Allowed(r"^/reports/funnel/", r"\d+(?:\.\d+)?%", "the funnel's conversion rates, of counts"),
    Allowed(
        r"^/admin/offers/shareprice/",
        r".*",
        "a company's share price is market or board data; pay is its number of shares",
    ),
)

# --- The seeds -----------------------------------------------------------------------------


def _few(model: type[Model], count: int = 3) -> list[int]:
    """The first and last objects of a model: the demo builds related rows together, so both
    ends reach different ones."""
    pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
    return pks if len(pks) <= 2 * count else pks[:count] + pks[-count:]


def _sample(model: type[Model]) -> list[int]:
    """The objects whose admin pages the crawl opens: every offer and competing offer, the
    candidates and applications that have them (their pages and delete pages list them)
    first, a few of every other model."""
    if model in (Offer, CompetingOffer):
        return _every(model)()
    if model is Application:
        return _applications()
    if model is Candidate:
        return _candidates()
    return _few(model, count=2)


def admin_seeds() -> list[str]:
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse("admin:app_list", args=[model._meta.app_label]))
        urls.append(reverse(f"admin:{info}_changelist"))
        urls.append(reverse(f"admin:{info}_add"))
        pks = _sample(model)
        if pks:  # a delete page lists what goes with the object: one per model
            urls.append(reverse(f"admin:{info}_delete", args=[pks[0]]))
        for pk in pks:
            for page in ("change", "history"):
                urls.append(reverse(f"admin:{info}_{page}", args=[pk]))
            history = getattr(model, "history", None)
            if history is not None:
                for version in history.filter(pk=pk).values_list("history_id", flat=True):
                    urls.append(reverse(f"admin:{info}_simple_history", args=[pk, version]))
        for source in (model_admin, *model_admin.inlines):
            for name in source.autocomplete_fields:
                query = {
                    "app_label": source.model._meta.app_label,
                    "model_name": source.model._meta.model_name,
                    "field_name": name,
                    "term": "",
                }
                urls.append(reverse("admin:autocomplete") + "?" + urlencode(query))
    return urls


def _applications() -> list[int]:
    """Those with offers or competing offers, first, then a few others."""
    with_offers = Application.objects.filter(offers__isnull=False) | Application.objects.filter(
        competing_offers__isnull=False
    )
    first = sorted(set(with_offers.values_list("pk", flat=True)))
    return first + [pk for pk in _few(Application) if pk not in first]


def _candidates() -> list[int]:
    """Those with offers or competing offers (an employee's outside offer among them), first,
    then a few others."""
    with_offers = Candidate.objects.filter(
        competing_offers__isnull=False
    ) | Candidate.objects.filter(applications__offers__isnull=False)
    first = sorted(set(with_offers.values_list("pk", flat=True)))
    return first + [pk for pk in _few(Candidate) if pk not in first]


def _every(model: type[Model]) -> Callable[[], list[int]]:
    return lambda: list(model._default_manager.values_list("pk", flat=True))


# For each workspace URL pattern with arguments, the values to fill it with.
ARGUMENTS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "web:board": lambda: [{"role_pk": pk} for pk in _every(Role)()],
    "web:candidate": lambda: [{"pk": pk} for pk in _candidates()],
    **{
        name: lambda: [{"pk": pk} for pk in _applications()]
        for name in ("web:application", "web:board_move", "web:move", "web:log_activity")
    },
    "web:enroll": lambda: [{"pk": pk} for pk in _applications()[:2]],
    "web:mark_replied": lambda: [
        {"pk": e.application_id, "enrollment_pk": e.pk}
        for e in Enrollment.objects.filter(application__isnull=False)[:3]
    ],
    **{
        name: lambda: [{"application_pk": pk} for pk in _applications()]
        for name in ("offers:draft", "offers:competing_new")
    },
    **{
        name: lambda: [{"pk": pk} for pk in _every(Offer)()]
        for name in (
            "offers:detail",
            "offers:edit",
            "offers:letter",
            "offers:signed_letter",
            "offers:decide",
            "offers:counter",
        )
    },
    "offers:compare": lambda: [
        {"pk": a, "other_pk": b} for a in _every(Offer)() for b in _every(Offer)() if a != b
    ][:4],
    "offers:step": lambda: [{"pk": pk, "step": "send"} for pk in _every(Offer)()[:1]],
    "offers:end_delegation": lambda: [{"pk": pk} for pk in _every(Delegation)()],
    "offers:competing_edit": lambda: [{"pk": pk} for pk in _every(CompetingOffer)()],
}
# Patterns the crawl does not open, and why.
NOT_OPENED = {
    "outreach:opt_out": "a candidate's opt-out link",
    "offers:for_candidate": "the candidate's own page",
    "offers:letter_for_candidate": "the candidate's own page",
    "offers:sign": "the candidate's own page",
    "offers:decline_by_candidate": "the candidate's own page",
    "account_logout": "signs the user out",
    "account_confirm_email": "a key sent by email; no pay",
    "account_reset_password_from_key": "a key sent by email; no pay",
    "openid_connect_login": "single sign-on, not configured in the demo; leads to the provider",
    "openid_connect_callback": "the provider's answer to a sign-in; no pay",
}


def _patterns(
    resolvers: list[URLPattern | URLResolver], namespace: str = "", outer_args: bool = False
) -> list[tuple[str, URLPattern, bool]]:
    """Each named pattern, with whether it or an include around it takes arguments."""
    found = []
    for entry in resolvers:
        takes_args = outer_args or bool(entry.pattern.regex.groups)
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # admin_seeds
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            found += _patterns(entry.url_patterns, inner, takes_args)
        elif entry.name:
            found.append((namespace + entry.name, entry, takes_args))
    return found


def workspace_seeds() -> list[str]:
    """Every named pattern of recruiting/urls.py but the admin's: those without arguments as
    they are, the others through ARGUMENTS. A pattern added without its arguments here fails
    the crawl, so that no page is left out of it."""
    urls, missing = [], []
    for name, _pattern, takes_args in _patterns(get_resolver().url_patterns):
        if name in NOT_OPENED:
            continue
        if not takes_args:
            urls.append(reverse(name))
        elif name in ARGUMENTS:
            urls += [reverse(name, kwargs=kwargs) for kwargs in ARGUMENTS[name]()]
        else:
            missing.append(name)
    assert not missing, f"URL patterns the crawl cannot fill (add them to ARGUMENTS): {missing}"
    return urls


# --- Who reaches what ----------------------------------------------------------------------


def _own_alerts(user: User) -> QuerySet[Alert]:
    # My alerts; the administrator runs the outbox and sees everyone's.
    return Alert.objects.all() if user.is_superuser else Alert.objects.filter(recipient=user)


# The admin's pages of an object open only if the workspace shows it to the user.
WORKSPACE_SHOWS: dict[str, Callable[[User], QuerySet[Any]]] = {
    "offers/offer": visible_offers,
    "offers/competingoffer": visible_competing_offers,
    "pipeline/application": visible_applications,
    "pipeline/activity": visible_activities,
    "alerts/alert": _own_alerts,
}
_ADMIN_OBJECT = re.compile(rf"^/admin/({'|'.join(WORKSPACE_SHOWS)})/(\d+)/")


def unreachable_in_admin(user: User, result: Crawl) -> list[str]:
    """The admin pages that opened for a user on an object the workspace would answer 404."""
    shown = {
        model: set(visible(user).values_list("pk", flat=True))
        for model, visible in WORKSPACE_SHOWS.items()
    }
    found = []
    for visit in result.pages():
        match = _ADMIN_OBJECT.match(visit.url)
        if match and int(match.group(2)) not in shown[match.group(1)]:
            found.append(visit.url)
    return found


# --- The crawl -----------------------------------------------------------------------------


def walk(client, username: str) -> tuple[User, Crawl]:
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    pattern = amount_pattern(Currency.objects.values_list("code", flat=True))
    seeds = [reverse("home"), *workspace_seeds(), *admin_seeds()]
    started = time.monotonic()
    result = crawl(
        client,
        seeds,
        read=lambda url, text: amounts_in(text, pattern, url, ALLOWED),
        limit=PAGE_LIMIT,
    )
    print(
        f"\n{username}: {len(result.visits)} pages opened ({len(result.pages())} answered "
        f"200) in {time.monotonic() - started:.1f} s"
    )
    return user, result


def opened_offers(result: Crawl) -> set[int]:
    """The offers whose page the walk read: every one the workspace shows the user, so that
    the pages most full of amounts are always read."""
    return {int(v.url.split("/")[2]) for v in result.pages("offers:detail")}


@pytest.mark.parametrize("username", SEE_NO_PAY)
def test_no_amount_for_whoever_may_not_see_pay(demo, client, username):
    user, result = walk(client, username)

    assert not can_see_compensation(user)
    leaks = [f"{v.url}: {amount}" for v in result.pages() for amount in v.amounts]
    assert not result.errors, "\n".join(result.errors)
    assert not leaks, f"{len(leaks)} amounts shown to {username}:\n" + "\n".join(leaks)
    assert not unreachable_in_admin(user, result), "reached in the admin, not in the workspace"
    assert opened_offers(result) == set(visible_offers(user).values_list("pk", flat=True))


@pytest.mark.parametrize("username", SEE_PAY)
def test_amounts_shown_to_whoever_may_see_pay(demo, client, username):
    user, result = walk(client, username)

    assert can_see_compensation(user)
    assert not result.errors, "\n".join(result.errors)
    assert not unreachable_in_admin(user, result)
    # The detector finds amounts where they belong: it could fail the test above.
    offer_pages = result.pages("offers:detail")
    assert opened_offers(result) == set(visible_offers(user).values_list("pk", flat=True))
    assert all(v.amounts for v in offer_pages), [v.url for v in offer_pages if not v.amounts]
