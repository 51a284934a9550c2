"""Forms of the candidate admin: bulk-action choices and the checks that span a formset."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from .models import Candidate, CandidateEmail, Company, CompanyPause, known_timezones

TIMEZONE_CHOICES = [("", "—")] + [(tz, tz) for tz in sorted(known_timezones())]


class AssignOwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("username"),
        help_text="The recruiter who will own the selected candidates.",
    )


class AddTagsForm(forms.Form):
    tags = forms.CharField(
        help_text="Comma-separated; tags that do not exist yet are created.", max_length=500
    )

    def clean_tags(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["tags"].split(",") if n.strip()]
        if not names:
            raise ValidationError("Name at least one tag.")
        if any(len(n) > 50 for n in names):
            raise ValidationError("A tag is at most 50 characters.")
        return names


class CandidateEmailFormSet(
    forms.BaseInlineFormSet[CandidateEmail, Candidate, forms.ModelForm[CandidateEmail]]
):
    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        primaries = []
        kept = [
            f
            for f in self.forms
            if f.cleaned_data.get("email") and not f.cleaned_data.get("DELETE")
        ]
        for form in kept:
            email = form.cleaned_data["email"].lower()
            if email in seen:
                form.add_error("email", "This email is listed twice.")
            seen.add(email)
            if form.cleaned_data.get("is_primary"):
                primaries.append(form)
        if len(primaries) > 1:
            raise ValidationError("Mark only one email as primary.")
        if kept and not primaries:
            kept[0].instance.is_primary = True


class CandidateAdminForm(forms.ModelForm[Candidate]):
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, required=False)

    class Meta:
        model = Candidate
        fields = ("timezone",)  # the admin adds the rest from its fieldsets


class CompanyPauseFormSet(
    forms.BaseInlineFormSet[CompanyPause, Company, forms.ModelForm[CompanyPause]]
):
    def clean(self) -> None:
        super().clean()
        kept = sorted(
            (
                f
                for f in self.forms
                if f.cleaned_data.get("starts_on")
                and f.cleaned_data.get("ends_on")
                and not f.cleaned_data.get("DELETE")
            ),
            key=lambda f: f.cleaned_data["starts_on"],
        )
        for before, after in zip(kept, kept[1:], strict=False):
            if after.cleaned_data["starts_on"] <= before.cleaned_data["ends_on"]:
                after.add_error(
                    "starts_on",
                    f"Overlaps the pause of {before.cleaned_data['starts_on']:%d %b %Y}–"
                    f"{before.cleaned_data['ends_on']:%d %b %Y}; make them one pause.",
                )
