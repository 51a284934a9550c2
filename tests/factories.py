"""Shared factory_boy factories."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from candidates.models import Candidate, CandidateEmail, Company, CompanyPause, Currency, Tag
from offers.models import ApprovalRule, Offer
from recruiting.pipeline.models import Application, Role
from recruiting.pipeline.services import add_to_pipeline, open_role

# Each factory is generic in its model, so that `XFactory.create()` is typed as the model (a
# plain call, `XFactory()`, is typed as the factory by factory_boy's stubs).


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@closer.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Lab {n}")
    kind = Company.Kind.COMPETITOR


class CompanyPauseFactory(factory.django.DjangoModelFactory[CompanyPause]):
    class Meta:
        model = CompanyPause

    company = factory.SubFactory(CompanyFactory)
    starts_on = factory.Faker("date_this_year")
    ends_on = factory.LazyAttribute(lambda p: p.starts_on)


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")


class CandidateFactory(factory.django.DjangoModelFactory[Candidate]):
    class Meta:
        model = Candidate
        skip_postgeneration_save = True

    name = factory.Faker("name")
    city = "San Francisco"
    country = "US"
    timezone = "America/Los_Angeles"
    current_title = "Research Scientist"
    specialty = Candidate.Specialty.PRETRAINING
    level = "senior"

    @factory.post_generation
    def email(self, create, extracted, **kwargs):
        if create:
            address = extracted or f"candidate{self.pk}@example.org"
            CandidateEmail.objects.create(candidate=self, email=address, is_primary=True)


class RoleFactory(factory.django.DjangoModelFactory[Role]):
    """A role with the default pipeline, created through the service as the admin does."""

    class Meta:
        model = Role

    title = factory.Sequence(lambda n: f"Research Scientist {n}")
    team = "Pre-training"
    level = "senior"
    city = "San Francisco"
    country = "US"
    headcount = 2

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return open_role(**kwargs)


class ApplicationFactory(factory.django.DjangoModelFactory[Application]):
    """An application added through the pipeline service, so its history starts as in use."""

    class Meta:
        model = Application

    candidate = factory.SubFactory(CandidateFactory)
    role = factory.SubFactory(RoleFactory)

    @classmethod
    def _create(cls, model_class, *args, candidate, role, stage=None, by=None, **kwargs):
        return add_to_pipeline(candidate, role, stage=stage, by=by)


# --- Offers (build_market() first: drafting needs the USD/EUR rate) ---------------------------


def offer_terms(**changes):
    """What a recruiter types into an offer: a $400k base in USD, starting in a month and open
    for two weeks, with `changes` on top."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from offers.terms import OfferTerms

    fields = dict(
        currency="USD",
        start_date=timezone.localdate() + timedelta(days=30),
        expires_at=timezone.now() + timedelta(days=14),
        base_salary=Decimal(400_000),
    )
    return OfferTerms(**{**fields, **changes})


class OfferFactory(factory.django.DjangoModelFactory[Offer]):
    """A draft offer made through the drafting service; other keywords go to offer_terms."""

    class Meta:
        model = "offers.Offer"

    application = factory.SubFactory(ApplicationFactory)
    drafted_by = factory.SubFactory(UserFactory)
    kind = "new_hire"

    @classmethod
    def _create(cls, model_class, *args, application, drafted_by, kind, terms=None, **kwargs):
        from offers.services import draft_offer

        return draft_offer(application, terms or offer_terms(**kwargs), by=drafted_by, kind=kind)


def approver_group():
    from django.contrib.auth.models import Group

    from offers.permissions import APPROVER_GROUP

    return Group.objects.get(name=APPROVER_GROUP)


class ApprovalRuleFactory(factory.django.DjangoModelFactory[ApprovalRule]):
    """A rule for the Compensation approvers unless `group` says otherwise."""

    class Meta:
        model = "offers.ApprovalRule"

    name = factory.Sequence(lambda n: f"Rule {n}")
    condition = "retention_offer"
    group = factory.LazyFunction(approver_group)


def prospect(role=None, **kwargs):
    """A candidate in a role's pipeline (Sourced): what outreach writes to, its emails naming
    the role."""
    candidate = CandidateFactory(**kwargs)
    ApplicationFactory(candidate=candidate, **({"role": role} if role else {}))
    return candidate


# A currency Closer knows that has no exchange rate in the demo market: for the refusals of an
# offer that cannot be converted.
UNRATED = "SEK"


def unrated_currency() -> str:
    Currency.objects.get_or_create(code=UNRATED, defaults={"name": "Swedish krona"})
    return UNRATED


def competing_offer(candidate, competitor, by, *, recorded_at=None, **terms):
    """A competing offer in USD recorded through the service (which values it), written
    unless `terms` say otherwise, with a deadline in five days; dated `recorded_at` if given."""
    from datetime import timedelta

    from django.utils import timezone

    from offers.competition import CompetingTerms, record_competing_offer
    from offers.models import CompetingOffer

    fields = dict(
        currency="USD",
        deadline=timezone.now() + timedelta(days=5),
        confidence=CompetingOffer.Confidence.WRITTEN,
    )
    offer = record_competing_offer(
        candidate, CompetingTerms(competitor=competitor, **{**fields, **terms}), by=by
    )
    if recorded_at is not None:
        CompetingOffer.objects.filter(pk=offer.pk).update(recorded_at=recorded_at)
        offer.recorded_at = recorded_at
    return offer
