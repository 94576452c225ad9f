"""The worked cases of COMPLIANCE_RULES.md (Regulation F, 12 CFR 1006.14(b) and 1006.6(b))."""

from __future__ import annotations

from datetime import UTC, datetime

from compliance.engine import ConsentInfo, ContactPointInfo, DebtInfo, evaluate, resolve_zones

from .builders import HOME, MOBILE, NY, WORK, at, codes, context, entry


def test_call_after_seven_calls_in_the_previous_six_days_is_allowed_on_the_eighth_day():
    # Case 1: Wed 04-01 limited-content message, Thu 04-02..Tue 04-07 one unanswered call a day.
    ledger = [entry(at(2020, 4, 1), "limited_content_message")]
    ledger += [entry(at(2020, 4, day)) for day in range(2, 8)]
    assert evaluate(context(at(2020, 4, 8), ledger=tuple(ledger))).allowed


def test_eighth_call_in_seven_days_is_blocked():
    ledger = [entry(at(2020, 4, 1), "limited_content_message")]
    ledger += [entry(at(2020, 4, day)) for day in range(2, 8)]
    decision = evaluate(context(at(2020, 4, 7, 11), ledger=tuple(ledger)))
    assert not decision.allowed
    assert codes(decision) == {"CALL_FREQUENCY_LIMIT"}
    assert decision.next_allowed_at == at(2020, 4, 8, 8)


def test_call_during_the_seven_day_wait_after_an_inbound_conversation_is_blocked():
    # Case 2: Thu 08-13 the consumer calls in and talks about the debt.
    ledger = (entry(at(2020, 8, 13), "conversation", direction="inbound"),)
    for day in range(13, 20):
        decision = evaluate(context(at(2020, 8, day, 15), ledger=ledger))
        assert codes(decision) == {"POST_CONVERSATION_WAIT"}, day
    assert evaluate(context(at(2020, 8, 20), ledger=ledger)).allowed


def test_last_day_of_the_quiet_period_points_to_the_next_morning():
    ledger = (entry(at(2020, 8, 13), "conversation", direction="inbound"),)
    decision = evaluate(context(at(2020, 8, 19, 20, 59), ledger=ledger))
    assert decision.next_allowed_at == at(2020, 8, 20, 8)


def test_mortgage_eighth_call_on_the_seventh_day_is_blocked():
    # Case 3: 04-01 LCM; two unanswered calls on 04-02, 04-03 and 04-06.
    mortgage = DebtInfo(id=1, creditor="Home Loans", product="mortgage")
    ledger = [entry(at(2020, 4, 1), "limited_content_message")]
    for day in (2, 3, 6):
        ledger += [entry(at(2020, 4, day, 10)), entry(at(2020, 4, day, 16))]
    decision = evaluate(context(at(2020, 4, 7), ledger=tuple(ledger), debts=(mortgage,)))
    assert codes(decision) == {"CALL_FREQUENCY_LIMIT"}


def test_calls_to_a_number_later_marked_wrong_stop_counting_for_the_debtor():
    # Case 4: Mon and Wed unanswered calls to a number; Thu it is marked not the debtor's.
    wrong = ContactPointInfo(id=9, kind="mobile", value="+12125550109", wrong_number=True)
    ledger = (entry(at(2020, 4, 6), cp=wrong), entry(at(2020, 4, 8), cp=wrong))
    decision = evaluate(
        context(at(2020, 4, 9), ledger=ledger, contact_points=(MOBILE, HOME, wrong))
    )
    assert decision.allowed
    assert decision.inputs["counts"]["debtor|debt:1|America/New_York"]["calls_7d"] == 0


def test_call_back_consent_allows_a_call_during_the_quiet_period():
    # Case 5: Fri 04-03 conversation; "call me back on Monday".
    ledger = (entry(at(2020, 4, 3), "conversation"),)
    consent = ConsentInfo(id=1, kind="call_back", given_at=at(2020, 4, 3, 10, 5))
    assert evaluate(context(at(2020, 4, 6), ledger=ledger, consents=(consent,))).allowed
    without = evaluate(context(at(2020, 4, 6), ledger=ledger))
    assert codes(without) == {"POST_CONVERSATION_WAIT"}


def test_twenty_one_calls_about_three_debts_are_allowed_and_the_next_one_is_blocked():
    # Case 6: three debts, 7 unanswered calls about each in 7 days.
    debts = tuple(DebtInfo(id=i, creditor="Acme", product="credit_card") for i in (1, 2, 3))
    ledger: list = []
    for day in range(1, 8):
        for n, debt in enumerate((1, 2, 3)):
            when = at(2020, 4, day, 10 + n)
            decision = evaluate(
                context(
                    when,
                    ledger=tuple(ledger),
                    debts=debts,
                    outreach_debt_ids=frozenset({debt}),
                )
            )
            assert decision.allowed, (day, debt, decision.reasons)
            ledger.append(entry(when, debts={debt}))
    for debt in (1, 2, 3):
        decision = evaluate(
            context(
                at(2020, 4, 7, 15),
                ledger=tuple(ledger),
                debts=debts,
                outreach_debt_ids=frozenset({debt}),
            )
        )
        assert codes(decision) == {"CALL_FREQUENCY_LIMIT"}


def test_conversation_about_one_debt_only_blocks_calls_about_that_debt():
    # Case 7: Mon 11-09 conversation about debt A only.
    debts = (DebtInfo(1, "Acme", "credit_card"), DebtInfo(2, "Acme", "personal_loan"))
    ledger = (entry(at(2020, 11, 9), "conversation", debts={1}, discussed={1}),)
    about_b = context(at(2020, 11, 10), ledger=ledger, debts=debts, outreach_debt_ids={2})
    about_a = context(at(2020, 11, 10), ledger=ledger, debts=debts, outreach_debt_ids={1})
    assert evaluate(about_b).allowed
    assert codes(evaluate(about_a)) == {"POST_CONVERSATION_WAIT"}


def test_conversation_about_both_debts_blocks_both_through_sunday():
    debts = (DebtInfo(1, "Acme", "credit_card"), DebtInfo(2, "Acme", "personal_loan"))
    ledger = (entry(at(2020, 11, 9), "conversation", debts={1, 2}),)
    for debt in (1, 2):
        sunday = context(at(2020, 11, 15, 20), ledger=ledger, debts=debts, outreach_debt_ids={debt})
        monday = context(at(2020, 11, 16), ledger=ledger, debts=debts, outreach_debt_ids={debt})
        assert codes(evaluate(sunday)) == {"POST_CONVERSATION_WAIT"}
        assert evaluate(monday).allowed


def test_eastern_mobile_and_california_address_allow_only_11_to_21_eastern():
    # Case 8.
    zones = resolve_zones(
        override=None,
        override_verified=False,
        phones=["+12125550100"],
        country="US",
        region="CA",
    )
    assert {z.zone for z in zones} == {"America/New_York", "America/Los_Angeles"}
    for hh, mm, allowed in ((10, 59, False), (11, 0, True), (20, 59, True), (21, 0, False)):
        decision = evaluate(context(at(2020, 4, 8, hh, mm), zones=zones, debtor_region="CA"))
        assert decision.allowed is allowed, (hh, mm, decision.reasons)
    early = evaluate(context(at(2020, 4, 8, 9), zones=zones, debtor_region="CA"))
    assert codes(early) == {"OUTSIDE_CONTACT_HOURS"}
    assert early.next_allowed_at == at(2020, 4, 8, 11)


def test_busy_signals_and_numbers_not_in_service_never_count():
    # Case 9.
    ledger = tuple(
        entry(at(2020, 4, day, hh), outcome)
        for day in range(1, 8)
        for hh, outcome in ((9, "busy"), (12, "not_in_service"), (15, "busy"))
    )
    decision = evaluate(context(at(2020, 4, 7, 18), ledger=ledger))
    assert decision.allowed
    assert decision.inputs["counts"]["debtor|debt:1|America/New_York"]["calls_7d"] == 0


def test_calls_to_home_mobile_and_work_share_one_bucket():
    cps = (MOBILE, HOME, WORK)
    ledger = tuple(entry(at(2020, 4, day), cp=cps[day % 3]) for day in range(1, 8))
    decision = evaluate(context(at(2020, 4, 7, 12), ledger=ledger, contact_point=HOME))
    assert codes(decision) == {"CALL_FREQUENCY_LIMIT"}


def test_decision_times_are_utc():
    ledger = (entry(at(2020, 8, 13), "conversation", direction="inbound"),)
    decision = evaluate(context(at(2020, 8, 14), ledger=ledger))
    assert decision.next_allowed_at == datetime(2020, 8, 20, 8, tzinfo=NY).astimezone(UTC)
    assert decision.next_allowed_at.tzinfo is UTC
