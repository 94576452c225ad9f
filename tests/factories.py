"""factory_boy factories for every model the tests build."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Role, Team, User
from collections_app import models as m
from compliance.models import ComplianceDecision, Consent, ContactRestriction


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    case_capacity = 300


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.COLLECTOR
    team = factory.SubFactory(TeamFactory)
    password = factory.django.Password("correct-horse-battery")


class DebtorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Debtor

    full_name = factory.Faker("name")
    country = "US"
    region = "NY"
    city = "Albany"
    postal_code = "12207"
    address = "1 State St"
    monthly_income = Decimal("4000.00")
    monthly_expenses = Decimal("3000.00")


class ContactPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ContactPoint

    debtor = factory.SubFactory(DebtorFactory)
    kind = m.ContactPointKind.MOBILE
    value = factory.Sequence(lambda n: f"+1518555{n % 10000:04d}")
    owner = m.Owner.DEBTOR
    is_verified = True


class DebtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Debt

    debtor = factory.SubFactory(DebtorFactory)
    creditor = "First Example Bank"
    account_number = factory.Sequence(lambda n: f"ACCT{n:08d}")
    product = m.Product.CREDIT_CARD
    currency = "USD"
    principal = Decimal("5000.00")
    balance = Decimal("4200.00")
    days_past_due = 45


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Case
        skip_postgeneration_save = True

    debtor = factory.SubFactory(DebtorFactory)
    team = factory.SubFactory(TeamFactory)
    status = m.CaseStatus.ACTIVE

    @factory.post_generation
    def debts(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if not create:
            return
        if extracted is None:
            extracted = [DebtFactory(debtor=self.debtor)]
        self.debts.set(extracted)


class ComplianceDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComplianceDecision

    evaluated_at = factory.LazyFunction(timezone.now)
    debtor = factory.SubFactory(DebtorFactory)
    channel = "call"
    purpose = "live"
    allowed = True


class ContactAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ContactAttempt
        skip_postgeneration_save = True

    case = factory.SubFactory(CaseFactory)
    debtor = factory.SelfAttribute("case.debtor")
    contact_point = factory.SubFactory(
        ContactPointFactory, debtor=factory.SelfAttribute("..debtor")
    )
    channel = m.Channel.CALL
    direction = m.Direction.OUTBOUND
    occurred_at = factory.LazyFunction(timezone.now)
    outcome = m.Outcome.NO_ANSWER
    status = "completed"
    source = m.Source.IMPORT


class PromiseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PromiseToPay

    case = factory.SubFactory(CaseFactory)
    amount = Decimal("100.00")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


class RestrictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactRestriction

    debtor = factory.SubFactory(DebtorFactory)
    kind = "cease_communication"
    effective_at = factory.LazyFunction(timezone.now)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    debtor = factory.SubFactory(DebtorFactory)
    kind = "call_back"
    given_at = factory.LazyFunction(timezone.now)
