"""What the competing offers' admin tests share: the list's and add page's addresses, amounts,
recording a competing offer through the service, its change page, a page's text, and staff
who may view (with or without view_compensation)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from offers.competition import CompetingTerms, record_competing_offer
from offers.models import CompetingOffer
from tests.factories import UserFactory

LIST = reverse("admin:offers_competingoffer_changelist")
ADD = reverse("admin:offers_competingoffer_add")
K = Decimal(1000)
EVEN_4_YEARS = [Decimal(25)] * 4


def terms(competitor, application=None, **changes) -> CompetingTerms:
    fields = dict(
        competitor=competitor,
        application=application,
        currency="USD",
        deadline=timezone.now() + timedelta(days=5),
        confidence=CompetingOffer.Confidence.WRITTEN,
        source="The candidate",
    )
    return CompetingTerms(**{**fields, **changes})


def record(candidate, competitor, by, application=None, **changes) -> CompetingOffer:
    return record_competing_offer(candidate, terms(competitor, application, **changes), by=by)


def change_url(competing: CompetingOffer) -> str:
    return reverse("admin:offers_competingoffer_change", args=[competing.pk])


def text_of(response) -> str:
    """The page's text: tags dropped, entities decoded, whitespace collapsed."""
    assert response.status_code == 200
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


VIEW_PERMISSIONS = [
    "view_competingoffer",
    "view_offer",
    "view_offerpayment",
    "view_equitygrant",
    "view_vestingyear",
    "view_otheramount",
    "view_candidate",
    # Someone who moves applications through the pipeline (a view-only application page
    # fails in the pipeline's ApplicationAdmin.get_form, which expects its stage field).
    "change_application",
]


def staff_who_may_view(*, compensation: bool):
    user = UserFactory.create(username=f"viewer_{compensation}".lower())
    codenames = VIEW_PERMISSIONS + (["view_compensation"] if compensation else [])
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user
