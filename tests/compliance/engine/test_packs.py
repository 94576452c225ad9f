"""State, city, Chinese and UK packs, and which packs apply."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from compliance.engine import (
    ContactPointInfo,
    DebtInfo,
    ZoneSource,
    applicable_packs,
    evaluate,
)

from .builders import EMAIL, HOME, MOBILE, NEIGHBOUR, POSTAL, WORK, at, codes, context, entry

SH = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
CN_ZONES = (ZoneSource("Asia/Shanghai", "phone_area_code"),)
CN_MOBILE = ContactPointInfo(id=11, kind="mobile", value="+8613800138000")
CN_FRIEND = ContactPointInfo(
    id=12, kind="mobile", value="+8613900139000", owner="third_party", relationship="friend"
)
CN_CARD = DebtInfo(id=1, creditor="ICBC", product="credit_card")
CN_ONLINE = DebtInfo(id=1, creditor="Lender A", product="online_loan")


def names(ctx) -> set[str]:
    return {p.NAME for p in applicable_packs(ctx)}


def cn_context(when, **kw):
    kw.setdefault("contact_point", CN_MOBILE)
    kw.setdefault("contact_points", (CN_MOBILE, CN_FRIEND))
    kw.setdefault("debts", (CN_CARD,))
    return context(
        when, debtor_country="CN", debtor_region="GD", debtor_city="", zones=CN_ZONES, **kw
    )


def test_packs_apply_by_country_region_and_city():
    assert names(context(at(2020, 4, 8))) == {"common", "us_federal", "house"}
    assert "us_ma" in names(context(at(2020, 4, 8), debtor_region="MA"))
    assert "us_wa" in names(context(at(2020, 4, 8), debtor_region="WA"))
    assert "us_nyc" in names(context(at(2020, 4, 8), debtor_city="Brooklyn"))
    assert names(cn_context(at(2020, 4, 8, zone=SH))) == {"common", "cn", "house"}
    assert "uk_fca" in names(context(at(2020, 4, 8), debtor_country="GB"))


def test_decision_inputs_name_the_packs_and_versions():
    decision = evaluate(context(at(2020, 4, 8), debtor_region="MA"))
    assert set(decision.inputs["packs"]) == {"common", "us_federal", "us_ma", "house"}
    assert all(decision.inputs["packs"].values())


# -- Massachusetts ------------------------------------------------------------------------


def test_massachusetts_third_call_to_personal_numbers_in_seven_days_is_blocked():
    ledger = (entry(at(2020, 4, 2)), entry(at(2020, 4, 5), cp=HOME))
    decision = evaluate(context(at(2020, 4, 8), debtor_region="MA", ledger=ledger))
    assert codes(decision) == {"CONTACT_FREQUENCY_LIMIT"}
    assert decision.reasons[0].rule.startswith("us_ma:")
    assert decision.next_allowed_at == at(2020, 4, 9, 8)  # the 04-02 call has aged out


def test_massachusetts_counts_texts_but_not_busy_signals():
    ledger = (entry(at(2020, 4, 2), "busy"), entry(at(2020, 4, 5), "delivered", channel="sms"))
    assert evaluate(context(at(2020, 4, 8), debtor_region="MA", ledger=ledger)).allowed


def test_massachusetts_work_number_allows_two_calls_in_thirty_days():
    ledger = (entry(at(2020, 3, 12), cp=WORK), entry(at(2020, 3, 20), cp=WORK))
    blocked = evaluate(
        context(at(2020, 4, 8), debtor_region="MA", contact_point=WORK, ledger=ledger)
    )
    assert codes(blocked) == {"CONTACT_FREQUENCY_LIMIT"}
    assert evaluate(
        context(at(2020, 4, 11), debtor_region="MA", contact_point=WORK, ledger=ledger)
    ).allowed
    # calls to the work number do not use up the personal-number allowance
    assert evaluate(context(at(2020, 4, 8), debtor_region="MA", ledger=ledger)).allowed


def test_massachusetts_household_visit_once_in_thirty_days():
    ledger = (entry(at(2020, 3, 20), "not_home", channel="visit", cp=POSTAL),)
    decision = evaluate(
        context(
            at(2020, 4, 8), debtor_region="MA", channel="visit", contact_point=POSTAL, ledger=ledger
        )
    )
    assert codes(decision) == {"CONTACT_FREQUENCY_LIMIT"}


# -- New York City -------------------------------------------------------------------------


def test_new_york_city_fourth_attempt_in_seven_days_for_a_creditor_is_blocked():
    ledger = (
        entry(at(2020, 4, 2)),
        entry(at(2020, 4, 4), "sent", channel="letter", cp=POSTAL),
        entry(at(2020, 4, 6), "busy"),
    )
    ctx = context(at(2020, 4, 8), debtor_city="New York", ledger=ledger)
    assert codes(evaluate(ctx)) == {"CONTACT_FREQUENCY_LIMIT"}


def test_new_york_city_counts_per_creditor():
    debts = (DebtInfo(1, "Acme", "credit_card"), DebtInfo(2, "Other Bank", "credit_card"))
    ledger = tuple(entry(at(2020, 4, d)) for d in (2, 4, 6))
    ctx = context(
        at(2020, 4, 8), debtor_city="Queens", ledger=ledger, debts=debts, outreach_debt_ids={2}
    )
    assert evaluate(ctx).allowed


def test_new_york_city_email_needs_consent():
    from compliance.engine import ConsentInfo

    ctx = context(at(2020, 4, 8), debtor_city="NYC", channel="email", contact_point=EMAIL)
    assert codes(evaluate(ctx)) == {"NO_CHANNEL_CONSENT"}
    consent = ConsentInfo(id=1, kind="email", given_at=at(2020, 3, 1))
    ctx = context(
        at(2020, 4, 8), debtor_city="NYC", channel="email", contact_point=EMAIL, consents=(consent,)
    )
    assert evaluate(ctx).allowed


# -- Washington ----------------------------------------------------------------------------


def test_washington_fourth_communication_in_a_week_is_blocked():
    ledger = (
        entry(at(2020, 4, 2)),
        entry(at(2020, 4, 4), "sent", channel="letter", cp=POSTAL),
        entry(at(2020, 4, 6)),
    )
    decision = evaluate(context(at(2020, 4, 8), debtor_region="WA", ledger=ledger))
    assert codes(decision) == {"CONTACT_FREQUENCY_LIMIT"}
    assert decision.next_allowed_at == at(2020, 4, 9, 8)


def test_washington_second_workplace_call_in_a_week_is_blocked():
    ledger = (entry(at(2020, 4, 6), cp=WORK),)
    ctx = context(at(2020, 4, 8), debtor_region="WA", contact_point=WORK, ledger=ledger)
    assert codes(evaluate(ctx)) == {"CONTACT_FREQUENCY_LIMIT"}
    assert evaluate(context(at(2020, 4, 8), debtor_region="WA", ledger=ledger)).allowed


# -- China --------------------------------------------------------------------------------


def test_china_blocks_22_to_08_beijing_time():
    assert evaluate(cn_context(at(2020, 4, 8, 21, 59, zone=SH))).allowed
    late = evaluate(cn_context(at(2020, 4, 8, 22, zone=SH)))
    assert codes(late) == {"OUTSIDE_CONTACT_HOURS"}
    assert late.next_allowed_at == at(2020, 4, 9, 8, zone=SH)


def test_china_seventh_unanswered_attempt_on_one_number_in_a_day_is_blocked():
    ledger = tuple(entry(at(2020, 4, 8, 9 + h, zone=SH), cp=CN_MOBILE) for h in range(6))
    decision = evaluate(cn_context(at(2020, 4, 8, 16, zone=SH), ledger=ledger))
    assert codes(decision) == {"DAILY_ATTEMPT_LIMIT"}
    assert decision.next_allowed_at == at(2020, 4, 9, 8, zone=SH)


def test_china_online_loan_fourth_connected_call_in_a_day_is_blocked():
    ledger = tuple(
        entry(at(2020, 4, 8, 9 + h, zone=SH), "conversation", cp=CN_MOBILE) for h in range(3)
    )
    decision = evaluate(cn_context(at(2020, 4, 8, 16, zone=SH), ledger=ledger, debts=(CN_ONLINE,)))
    assert codes(decision) == {"DAILY_CONNECTED_CALL_LIMIT"}
    # credit cards have no connected-call cap
    assert evaluate(cn_context(at(2020, 4, 8, 16, zone=SH), ledger=ledger)).allowed


def test_china_online_loan_never_goes_to_third_parties():
    decision = evaluate(
        cn_context(at(2020, 4, 8, 12, zone=SH), contact_point=CN_FRIEND, debts=(CN_ONLINE,))
    )
    assert codes(decision) == {"THIRD_PARTY_RESTRICTED"}
    assert decision.next_allowed_at is None


def test_china_third_party_blocked_while_the_debtor_is_reachable():
    decision = evaluate(cn_context(at(2020, 4, 8, 12, zone=SH), contact_point=CN_FRIEND))
    assert codes(decision) == {"THIRD_PARTY_RESTRICTED"}


def test_china_third_party_allowed_from_the_day_after_three_failed_calls_to_the_mobile():
    ledger = tuple(
        entry(at(2020, 4, 8, 9 + h, zone=SH), "no_answer", cp=CN_MOBILE) for h in range(3)
    )
    same_day = evaluate(
        cn_context(at(2020, 4, 8, 15, zone=SH), contact_point=CN_FRIEND, ledger=ledger)
    )
    assert codes(same_day) == {"THIRD_PARTY_RESTRICTED"}
    assert same_day.next_allowed_at == at(2020, 4, 9, 8, zone=SH)
    next_day = cn_context(at(2020, 4, 9, 9, zone=SH), contact_point=CN_FRIEND, ledger=ledger)
    assert evaluate(next_day).allowed


def test_china_third_party_allowed_when_the_debtors_number_is_invalid():
    dead = ContactPointInfo(id=11, kind="mobile", value="+8613800138000", wrong_number=True)
    ctx = cn_context(
        at(2020, 4, 8, 12, zone=SH), contact_point=CN_FRIEND, contact_points=(dead, CN_FRIEND)
    )
    assert evaluate(ctx).allowed


def test_china_third_party_allowed_after_three_days_without_reaching_the_debtor():
    home = ContactPointInfo(id=13, kind="landline", value="+862087654321")
    ledger = (
        entry(at(2020, 4, 5, 10, zone=SH), "no_answer", cp=home),
        entry(at(2020, 4, 6, 10, zone=SH), "conversation", cp=CN_MOBILE, direction="inbound"),
        entry(at(2020, 4, 7, 10, zone=SH), "no_answer", cp=home),
    )
    ctx = cn_context(
        at(2020, 4, 8, 12, zone=SH),
        contact_point=CN_FRIEND,
        contact_points=(CN_MOBILE, home, CN_FRIEND),
        ledger=ledger,
    )
    assert codes(evaluate(ctx)) == {"THIRD_PARTY_RESTRICTED"}  # reached on 04-06
    unreached = tuple(entry(at(2020, 4, d, 10, zone=SH), "no_answer", cp=home) for d in (5, 6, 7))
    ctx = cn_context(
        at(2020, 4, 8, 12, zone=SH),
        contact_point=CN_FRIEND,
        contact_points=(CN_MOBILE, home, CN_FRIEND),
        ledger=unreached,
    )
    assert evaluate(ctx).allowed


def test_china_third_party_who_asked_to_stop_is_not_contacted():
    from compliance.engine import RestrictionInfo

    dead = ContactPointInfo(id=11, kind="mobile", value="+8613800138000", wrong_number=True)
    stop = RestrictionInfo(
        id=1, kind="do_not_contact", effective_at=at(2020, 4, 1), contact_point_id=CN_FRIEND.id
    )
    ctx = cn_context(
        at(2020, 4, 8, 12, zone=SH),
        contact_point=CN_FRIEND,
        contact_points=(dead, CN_FRIEND),
        restrictions=(stop,),
    )
    assert codes(evaluate(ctx)) == {"DO_NOT_CONTACT"}


# -- United Kingdom ------------------------------------------------------------------------


def test_uk_window_is_08_to_21_london_time():
    uk = {
        "debtor_country": "GB",
        "debtor_region": "ENG",
        "zones": (ZoneSource("Europe/London", "address_region"),),
    }
    assert evaluate(context(at(2020, 4, 8, 20, 59, zone=LONDON), **uk)).allowed
    late = evaluate(context(at(2020, 4, 8, 21, zone=LONDON), **uk))
    assert [r.rule for r in late.reasons] == ["uk_fca:CONC 7.9.4R"]


def test_us_location_call_to_a_neighbour_counts_for_the_neighbour_only():
    ledger = (entry(at(2020, 4, 7), "no_answer", cp=NEIGHBOUR),)
    decision = evaluate(context(at(2020, 4, 8), ledger=ledger, contact_point=MOBILE))
    assert decision.inputs["counts"]["debtor|debt:1|America/New_York"]["calls_7d"] == 0
