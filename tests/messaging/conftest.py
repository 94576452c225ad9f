"""Debtors with reachable contact points, reminders, and the in-memory message outbox."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from collections_app.models import Reminder, RepaymentPlan
from messaging.channels import local
from tests.factories import (
    CaseFactory,
    ConsentFactory,
    ContactPointFactory,
    DebtorFactory,
    PromiseFactory,
)

# A Tuesday; Albany, NY is on Eastern Standard Time (UTC-5).
DAY = date(2026, 11, 10)


def utc(*args: int) -> datetime:
    from datetime import UTC

    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _locmem_channels(settings):  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "locmem"
    settings.WECHAT_BACKEND = "locmem"
    settings.MESSAGING_EMAIL_BACKEND = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESSAGING_WEBHOOK_TOKEN = "hook-secret"
    local.outbox.clear()
    yield
    local.outbox.clear()


def us_case(*, team, collector, consent_at: datetime | None = None, **debtor_fields):  # type: ignore[no-untyped-def]
    """A case of an Albany debtor with a mobile and an email, and SMS consent given at
    `consent_at` (none if None)."""
    debtor = DebtorFactory(**debtor_fields)
    mobile = ContactPointFactory(debtor=debtor, kind="mobile", value="+15185550123")
    ContactPointFactory(debtor=debtor, kind="email", value="pat@example.org")
    if consent_at is not None:
        ConsentFactory(debtor=debtor, kind="sms", given_at=consent_at)
    case = CaseFactory(debtor=debtor, team=team, assigned_to=collector)
    case.mobile = mobile
    return case


def cn_case(*, team, collector):  # type: ignore[no-untyped-def]
    debtor = DebtorFactory(
        full_name="王芳",
        country="CN",
        region="SH",
        city="Shanghai",
        preferred_language="zh-hans",
    )
    ContactPointFactory(debtor=debtor, kind="mobile", value="+8613800138000")
    ContactPointFactory(debtor=debtor, kind="wechat", value="wxid_wangfang")
    return CaseFactory(debtor=debtor, team=team, assigned_to=collector)


def promise_reminder(case, *, due_at: datetime, channel: str = "sms", kind: str = "promise_due"):  # type: ignore[no-untyped-def]
    promise = PromiseFactory(case=case, amount=Decimal("150.00"), due_date=due_at.date())
    cp = case.debtor.contact_points.get(kind={"sms": "mobile"}.get(channel, channel))
    return Reminder.objects.create(
        case=case,
        kind=kind,
        channel=channel,
        contact_point=cp,
        promise=promise,
        due_at=due_at,
        language=case.debtor.preferred_language,
        idempotency_key=f"{kind}:{promise.pk}:{channel}",
    )


def active_plan(case, *, dues: list[date], amount: str = "200.00") -> RepaymentPlan:  # type: ignore[no-untyped-def]
    plan = RepaymentPlan.objects.create(
        case=case,
        status="active",
        total_amount=Decimal(amount) * len(dues),
        start_date=dues[0],
    )
    for seq, due in enumerate(dues, start=1):
        plan.installments.create(seq=seq, due_date=due, amount=Decimal(amount))
    return plan


def day_after(d: date) -> date:
    return d + timedelta(days=1)
