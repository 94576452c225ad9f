"""Universal gates (pack ``common``) and the other Regulation F gates: one test per reason."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from compliance.engine import (
    ConsentInfo,
    ContactPointInfo,
    HouseSettings,
    RestrictionInfo,
    evaluate,
)

from .builders import (
    EMAIL,
    MOBILE,
    NEIGHBOUR,
    POSTAL,
    WORK,
    WORK_EMAIL,
    at,
    codes,
    context,
    entry,
)

NOON = at(2020, 4, 8, 12)


def restriction(kind: str, **kw) -> RestrictionInfo:
    kw.setdefault("effective_at", at(2020, 4, 1))
    return RestrictionInfo(id=kw.pop("id", 1), kind=kind, **kw)


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("cease_communication", "CEASE_COMMUNICATION"),
        ("attorney_represented", "ATTORNEY_REPRESENTED"),
        ("dispute", "DISPUTE_PENDING"),
        ("bankruptcy", "BANKRUPTCY"),
        ("do_not_contact", "DO_NOT_CONTACT"),
        ("channel_ban", "CHANNEL_OPT_OUT"),
    ],
)
def test_restriction_without_end_blocks_until_a_person_lifts_it(kind, code):
    decision = evaluate(context(NOON, restrictions=(restriction(kind),)))
    assert codes(decision) == {code}
    assert decision.next_allowed_at is None


@pytest.mark.parametrize("kind", ["cease_communication", "dispute", "bankruptcy"])
def test_debt_scoped_restriction_does_not_block_other_debts(kind):
    from compliance.engine import DebtInfo

    debts = (DebtInfo(1, "Acme", "credit_card"), DebtInfo(2, "Acme", "credit_card"))
    r = restriction(kind, debt_ids=frozenset({1}))
    assert not evaluate(context(NOON, restrictions=(r,), debts=debts)).allowed
    assert evaluate(
        context(NOON, restrictions=(r,), debts=debts, outreach_debt_ids=frozenset({2}))
    ).allowed


def test_dispute_with_an_end_lifts_at_its_end():
    ends = at(2020, 4, 10, 9, 30)
    decision = evaluate(context(NOON, restrictions=(restriction("dispute", ends_at=ends),)))
    assert codes(decision) == {"DISPUTE_PENDING"}
    assert decision.next_allowed_at == ends


def test_restriction_not_yet_effective_does_not_block():
    r = restriction("cease_communication", effective_at=NOON + timedelta(hours=1))
    assert evaluate(context(NOON, restrictions=(r,))).allowed


def test_attorney_may_still_be_called_when_the_consumer_is_represented():
    lawyer = ContactPointInfo(
        id=8, kind="landline", value="+12125550177", owner="third_party", relationship="attorney"
    )
    decision = evaluate(
        context(NOON, contact_point=lawyer, restrictions=(restriction("attorney_represented"),))
    )
    assert decision.allowed


def test_final_notice_letter_may_go_out_after_a_cease():
    r = (restriction("cease_communication"),)
    letter = context(NOON, channel="letter", contact_point=POSTAL, restrictions=r)
    assert codes(evaluate(letter)) == {"CEASE_COMMUNICATION"}
    final = context(
        NOON, channel="letter", contact_point=POSTAL, restrictions=r, purpose="final_notice"
    )
    assert evaluate(final).allowed


def test_opt_out_of_one_address_blocks_only_that_address():
    r = restriction("channel_ban", channel="email", contact_point_id=EMAIL.id)
    assert codes(evaluate(context(NOON, channel="email", contact_point=EMAIL, restrictions=(r,))))
    assert evaluate(context(NOON, restrictions=(r,))).allowed


def test_deceased_debtor_is_not_contacted():
    decision = evaluate(context(NOON, debtor_deceased=True))
    assert codes(decision) == {"DECEASED"}
    assert decision.next_allowed_at is None


def test_estate_representative_of_a_deceased_debtor_may_be_contacted():
    executor = ContactPointInfo(
        id=8, kind="mobile", value="+12125550166", owner="third_party", relationship="executor"
    )
    assert evaluate(context(NOON, debtor_deceased=True, contact_point=executor)).allowed


def test_wrong_number_is_blocked():
    wrong = ContactPointInfo(id=9, kind="mobile", value="+12125550109", wrong_number=True)
    decision = evaluate(context(NOON, contact_point=wrong))
    assert codes(decision) == {"WRONG_NUMBER"}
    assert decision.next_allowed_at is None


def test_workplace_restriction_blocks_the_work_phone_but_not_the_mobile():
    r = (restriction("workplace"),)
    assert codes(evaluate(context(NOON, contact_point=WORK, restrictions=r))) == {
        "WORKPLACE_PROHIBITED"
    }
    assert evaluate(context(NOON, restrictions=r)).allowed


def test_email_to_an_employer_provided_address_is_blocked():
    decision = evaluate(context(NOON, channel="email", contact_point=WORK_EMAIL))
    assert codes(decision) == {"EMPLOYER_EMAIL"}


def test_employer_address_is_allowed_after_the_consumer_emailed_from_it():
    ledger = (
        entry(at(2020, 4, 2), "delivered", channel="email", cp=WORK_EMAIL, direction="inbound"),
    )
    assert evaluate(context(NOON, channel="email", contact_point=WORK_EMAIL, ledger=ledger)).allowed


def test_text_without_consent_is_blocked():
    decision = evaluate(context(NOON, channel="sms"))
    assert codes(decision) == {"NO_CHANNEL_CONSENT"}
    assert decision.next_allowed_at is None


def test_text_consent_older_than_sixty_days_is_not_enough():
    old = ConsentInfo(id=1, kind="sms", given_at=NOON - timedelta(days=61))
    fresh = ConsentInfo(id=2, kind="sms", given_at=NOON - timedelta(days=59))
    assert not evaluate(context(NOON, channel="sms", consents=(old,))).allowed
    assert evaluate(context(NOON, channel="sms", consents=(fresh,))).allowed


def test_text_is_allowed_to_a_number_the_consumer_texted_from():
    ledger = (entry(at(2020, 4, 2), "delivered", channel="sms", direction="inbound"),)
    assert evaluate(context(NOON, channel="sms", ledger=ledger)).allowed


def test_texts_and_emails_do_not_count_as_calls():
    ledger = tuple(
        entry(at(2020, 4, d, h), "delivered", channel="email", cp=EMAIL)
        for d in range(2, 9)
        for h in (9, 10)
    )
    assert evaluate(context(NOON, ledger=ledger)).allowed


def test_ringless_voicemail_counts_as_a_call():
    ledger = tuple(
        entry(at(2020, 4, d), "voicemail", channel="ringless_voicemail") for d in range(2, 9)
    )
    assert codes(evaluate(context(NOON, ledger=ledger))) == {"CALL_FREQUENCY_LIMIT"}


def test_initiated_call_counts_until_its_outcome_says_it_did_not_connect():
    ledger = tuple(entry(at(2020, 4, d), None) for d in range(2, 9))
    assert codes(evaluate(context(NOON, ledger=ledger))) == {"CALL_FREQUENCY_LIMIT"}


def test_call_at_20_59_local_is_allowed_and_at_21_00_is_not():
    assert evaluate(context(at(2020, 4, 8, 20, 59, 59))).allowed
    late = evaluate(context(at(2020, 4, 8, 21)))
    assert codes(late) == {"OUTSIDE_CONTACT_HOURS"}
    assert late.next_allowed_at == at(2020, 4, 9, 8)


def test_call_at_7_59_is_blocked_and_at_8_00_allowed():
    assert codes(evaluate(context(at(2020, 4, 8, 7, 59)))) == {"OUTSIDE_CONTACT_HOURS"}
    assert evaluate(context(at(2020, 4, 8, 8))).allowed


def test_postal_letter_is_not_bound_by_hours():
    assert evaluate(context(at(2020, 4, 8, 23), channel="letter", contact_point=POSTAL)).allowed


def test_consent_to_an_inconvenient_time_lifts_the_hours_rule():
    consent = ConsentInfo(
        id=1,
        kind="inconvenient_time",
        given_at=at(2020, 4, 8, 12),
        expires_at=at(2020, 4, 8, 23),
    )
    assert evaluate(context(at(2020, 4, 8, 22), consents=(consent,))).allowed


def test_consumer_inconvenient_weekly_window_is_blocked_and_lifts_at_its_end():
    r = restriction("inconvenient_time", weekly_windows=((2, "12:00", "14:00"),))  # Wednesdays
    decision = evaluate(context(at(2020, 4, 8, 13), restrictions=(r,)))
    assert codes(decision) == {"CONSUMER_INCONVENIENT_TIME"}
    assert decision.next_allowed_at == at(2020, 4, 8, 14)
    assert evaluate(context(at(2020, 4, 9, 13), restrictions=(r,))).allowed


def test_inconvenient_window_past_midnight_wraps_into_the_next_day():
    r = restriction("inconvenient_time", weekly_windows=((1, "20:00", "09:30"),))  # Tue night
    assert codes(evaluate(context(at(2020, 4, 8, 9), restrictions=(r,)))) == {
        "CONSUMER_INCONVENIENT_TIME"
    }
    assert evaluate(context(at(2020, 4, 8, 9, 30), restrictions=(r,))).allowed


def test_second_contact_with_the_same_third_party_is_blocked():
    first = entry(at(2020, 3, 20), "conversation", cp=NEIGHBOUR)
    decision = evaluate(context(NOON, contact_point=NEIGHBOUR, ledger=(first,)))
    assert codes(decision) == {"THIRD_PARTY_RESTRICTED"}
    assert decision.next_allowed_at is None
    unanswered = entry(at(2020, 4, 2), "no_answer", cp=NEIGHBOUR)
    assert evaluate(context(NOON, contact_point=NEIGHBOUR, ledger=(unanswered,))).allowed


def test_third_party_who_asked_to_be_called_back_may_be_called_again():
    first = entry(at(2020, 3, 20), "conversation", cp=NEIGHBOUR)
    consent = ConsentInfo(id=1, kind="call_back", given_at=at(2020, 4, 2), person=NEIGHBOUR.person)
    assert evaluate(
        context(NOON, contact_point=NEIGHBOUR, ledger=(first,), consents=(consent,))
    ).allowed


def test_third_party_is_its_own_person_for_call_counts():
    ledger = tuple(entry(at(2020, 4, d), cp=NEIGHBOUR) for d in range(2, 9))
    assert codes(evaluate(context(NOON, contact_point=NEIGHBOUR, ledger=ledger))) == {
        "CALL_FREQUENCY_LIMIT"
    }
    assert evaluate(context(NOON, contact_point=MOBILE, ledger=ledger)).allowed


def test_call_back_consent_ends_at_the_next_conversation():
    ledger = (entry(at(2020, 4, 3), "conversation"), entry(at(2020, 4, 6), "conversation"))
    consent = ConsentInfo(id=1, kind="call_back", given_at=at(2020, 4, 3, 10, 5))
    decision = evaluate(context(at(2020, 4, 6, 11), ledger=ledger, consents=(consent,)))
    assert codes(decision) == {"POST_CONVERSATION_WAIT"}


def test_call_back_consent_covers_seven_days_counting_the_day_given():
    ledger = (entry(at(2020, 4, 3), "conversation"),)
    consent = ConsentInfo(id=1, kind="call_back", given_at=at(2020, 4, 3, 10, 5))
    calls = tuple(entry(at(2020, 4, 4, h)) for h in range(9, 18))  # nine excluded calls
    assert evaluate(
        context(at(2020, 4, 9, 20), ledger=ledger + calls, consents=(consent,))
    ).allowed  # day 7 of the consent
    decision = evaluate(context(at(2020, 4, 10), ledger=ledger + calls, consents=(consent,)))
    assert codes(decision) == set()  # day 8: the wait has ended, excluded calls do not count


def test_house_caps_add_blocks():
    house = HouseSettings(
        max_calls_per_7_days=2,
        earliest_local_time=time(9),
        max_daily_attempts_per_contact_point=1,
        max_contacts_per_7_days=3,
    )
    ledger = (entry(at(2020, 4, 6)), entry(at(2020, 4, 8, 8, 30)))
    decision = evaluate(context(at(2020, 4, 8, 8, 45), ledger=ledger, house=house))
    assert codes(decision) == {
        "OUTSIDE_CONTACT_HOURS",
        "CALL_FREQUENCY_LIMIT",
        "DAILY_ATTEMPT_LIMIT",
    }
    assert {r.rule.split(":")[0] for r in decision.reasons} == {"house"}


def test_house_hours_are_not_lifted_by_consent():
    house = HouseSettings(latest_local_time=time(20))
    consent = ConsentInfo(id=1, kind="inconvenient_time", given_at=at(2020, 4, 1))
    decision = evaluate(context(at(2020, 4, 8, 20, 30), house=house, consents=(consent,)))
    assert [r.rule for r in decision.reasons] == ["house:contact_hours"]


def test_house_holiday_option_blocks_public_holidays():
    house = HouseSettings(no_contact_on_public_holidays=True)
    decision = evaluate(context(at(2020, 7, 3, 12), house=house))  # Independence Day observed
    assert codes(decision) == {"HOLIDAY"}
    assert decision.next_allowed_at == at(2020, 7, 5, 8)  # Sat 07-04 is the holiday itself
    assert evaluate(context(at(2020, 7, 3, 12))).allowed


def test_house_settings_looser_than_the_law_are_refused():
    with pytest.raises(ValueError, match="max_calls_per_7_days"):
        HouseSettings(max_calls_per_7_days=8).validate_stricter()
    with pytest.raises(ValueError, match="earliest_local_time"):
        HouseSettings(earliest_local_time=time(7, 30)).validate_stricter()
    HouseSettings(max_calls_per_7_days=5, latest_local_time=time(20)).validate_stricter()


def test_all_blocking_reasons_are_returned_not_just_the_first():
    r = (restriction("cease_communication"), restriction("bankruptcy", id=2))
    decision = evaluate(context(at(2020, 4, 8, 22), restrictions=r, debtor_deceased=True))
    assert codes(decision) == {
        "DECEASED",
        "CEASE_COMMUNICATION",
        "BANKRUPTCY",
        "OUTSIDE_CONTACT_HOURS",
    }


def test_rapid_redial_and_daily_volume_are_warnings_not_blocks():
    ledger = tuple(entry(at(2020, 4, 8, 9, m)) for m in (0, 10, 20, 30, 40, 50))
    decision = evaluate(context(at(2020, 4, 8, 9, 52), ledger=ledger))
    assert decision.allowed
    assert {w.code for w in decision.warnings} == {"RAPID_REDIAL", "DAILY_NUMBER_VOLUME"}
