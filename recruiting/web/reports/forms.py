"""The filters every report is asked with, from the page's query string (so that the address is
the permalink)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from candidates.models import Candidate, Company, Level
from offers.models import CompetingOffer
from recruiting.pipeline.models import Role

from .base import Filters

# Without dates, a report covers the last year to today.
DEFAULT_DAYS = 365
MAX_DAYS = 10 * 366


def default_dates() -> dict[str, str]:
    """What a report is asked without filters, shown in its date fields: the last year."""
    today = timezone.localdate()
    return {
        "date_from": (today - timedelta(days=DEFAULT_DAYS)).isoformat(),
        "date_to": today.isoformat(),
    }


class OwnerField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    role = forms.ModelChoiceField(queryset=Role.objects.none(), required=False, empty_label="Any")
    level = forms.ChoiceField(choices=[("", "Any"), *Level.choices], required=False)
    zone = forms.ChoiceField(choices=[("", "Any"), *Role.Zone.choices], required=False)
    competitor = forms.ModelChoiceField(
        queryset=Company.objects.none(), required=False, empty_label="Any"
    )
    owner = OwnerField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Anyone"
    )
    with_rumoured = forms.BooleanField(label="Count rumoured offers", required=False)

    def __init__(self, *args: Any, roles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ModelChoiceField)
        role_field.queryset = roles
        competitor_field = self.fields["competitor"]
        assert isinstance(competitor_field, forms.ModelChoiceField)
        # Those named competitors, and any company that made one of our people an offer: the
        # companies that did, read once (an EXISTS per company, which PostgreSQL estimated to
        # stop at the first of many rows, read every competing offer for each company that
        # made none: 0.2 s for 200 companies and 10,000 offers).
        competitor_field.queryset = Company.objects.filter(
            Q(kind=Company.Kind.COMPETITOR)
            | Q(pk__in=CompetingOffer.objects.values("competitor_id"))
        ).order_by("name")
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = (
            get_user_model()
            .objects.filter(Exists(Candidate.objects.filter(owner=OuterRef("pk"))))
            .order_by("first_name", "last_name", "username")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS)
        if date_from > date_to:
            self.add_error("date_from", "The start date is on or before the end date.")
        elif (date_to - date_from).days > MAX_DAYS:
            self.add_error("date_from", "A report covers at most ten years.")
        data["date_from"], data["date_to"] = date_from, date_to
        return data

    def filters(self) -> Filters:
        """The filters of a valid form."""
        data = self.cleaned_data
        return Filters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            role=data["role"].pk if data.get("role") else None,
            level=data.get("level") or "",
            zone=data.get("zone") or "",
            competitor=data["competitor"].pk if data.get("competitor") else None,
            owner=data["owner"].pk if data.get("owner") else None,
            with_rumoured=bool(data.get("with_rumoured")),
        )
