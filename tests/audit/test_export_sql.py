"""The history CSV written by PostgreSQL is byte for byte the CSV the row-by-row Python path
writes, on data chosen to break it: formula triggers (ASCII and full-width), commas, quotes,
line breaks, Chinese, missing relations, every shape of reasons and of timestamps."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F, JSONField, Value
from django.urls import reverse

from audit.export_sql import history_lines_sql
from audit.exports import history_csv, history_csv_rows
from audit.selectors import COLUMNS, HistoryFilters, Show, history_search
from collections_app.models import Case, ContactAttempt
from compliance.models import ComplianceDecision
from config.csvsafe import FORMULA_TRIGGERS
from tests.conftest import api_as
from tests.factories import (
    CaseFactory,
    ContactPointFactory,
    DebtorFactory,
    TeamFactory,
    UserFactory,
)

T0 = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
# JSON null: a plain None would be SQL NULL, which the columns do not allow.
JSON_NULL = Value(None, output_field=JSONField())

TEXTS = [
    *(f"{t}1+2" for t in FORMULA_TRIGGERS),  # every trigger, the full-width ones included
    "Smith, John",
    'Said "hello"',
    "two\nlines",
    "carriage\rreturn",
    "crlf\r\nend",
    "张伟",
    "\uff1dSUM(A1)",  # full-width equals
    "'already quoted",
    " leading space",
    "trailing space ",
    "back\\slash",
    "semi;colon",
    "tab\tinside",
    '=HYPERLINK("http://evil","x"), more',
    "-",
    "\uff10\uff11\uff12",  # full-width digits
    "\U0001f600 emoji",
    "",
]

REASONS = [
    [],
    [{"code": "cease_communication", "message": "Cease letter on file"}],
    [{"code": "frequency_7_day"}, {"code": "=cmd"}, {"code": "a,b"}, {"code": '"q"'}],
    ["plain", "codes"],
    [{"code": "mixed"}, "string"],
    [{"message": "no code"}],
    [{"code": 7}],
    [{"code": None}],
    [{"code": "中文 原因"}],
    [{"code": "line\nbreak"}],
    [1.5, 2],
    [True, None],
    [[]],
    {"code": "a dict"},
    "a string",
    "=a formula string",
    0,
    1.50,
    {},
    "",
    JSON_NULL,
    False,
    [""],
    [{"code": ""}],
]

MICROSECONDS = [0, 1, 120000, 999999, 500]


def _build_history() -> None:
    """Attempts and blocked tries whose every text cell, reason shape and time varies."""
    teams = [TeamFactory(name=n) for n in ("=Team", "Team, East", "华东组", "Plain")]
    users = [
        UserFactory(username=n, team=teams[i % len(teams)])
        for i, n in enumerate(["-bob", "@al", "+x", "plain.user", "名字"])
    ]
    n = 0
    for i, text in enumerate(TEXTS):
        debtor = DebtorFactory(full_name=text or "x")
        case = CaseFactory(debtor=debtor, team=teams[i % len(teams)])
        cp = ContactPointFactory(debtor=debtor, value=text or f"+1518555{i:04d}")
        for j, reasons in enumerate(REASONS if i % 3 == 0 else REASONS[:4]):
            n += 1
            at = T0 - timedelta(hours=n, microseconds=MICROSECONDS[n % len(MICROSECONDS)])
            ContactAttempt.objects.create(
                case=case if j % 5 else None,
                debtor=debtor,
                contact_point=cp if j % 4 else None,
                channel=["call", "sms", "email", "wechat"][j % 4],
                occurred_at=at,
                status="completed",
                outcome="" if j % 6 == 0 else "no_answer",
                source=["live", "reminder", "import"][j % 3],
                actor=users[j % len(users)] if j % 7 else None,
                flagged=bool(reasons) or j % 2 == 0,
                flag_reasons=reasons,
            )
            ComplianceDecision.objects.create(
                evaluated_at=at - timedelta(minutes=30),
                actor=users[(i + j) % len(users)] if j % 3 else None,
                debtor=debtor,
                contact_point=cp if j % 2 else None,
                channel=text[:8] or "call",  # no constraint: free text as far as the export knows
                purpose=["live", "reminder", "check", "import"][j % 4],
                allowed=False,
                reasons=reasons,
            )
    # A case without a team and a debtor id of its own.
    CaseFactory(team=None)
    assert Case.objects.filter(team=None).exists()


FILTERS = [
    HistoryFilters(),
    HistoryFilters(show=Show.ATTEMPTS),
    HistoryFilters(show=Show.FLAGGED),
    HistoryFilters(show=Show.BLOCKED),
    HistoryFilters(debtor_name="张"),
    HistoryFilters(outcome="no_answer"),
    HistoryFilters(channel="sms", show=Show.ATTEMPTS),
]


@pytest.mark.postgres
@pytest.mark.parametrize("filters", FILTERS)
def test_postgresql_writes_the_same_csv_as_python(auditor, filters):
    _build_history()
    qs = history_search(user=auditor, filters=filters)
    assert history_lines_sql(qs, COLUMNS) is not None  # the SQL path is the one compared
    expected = "".join(history_csv_rows(qs))
    assert expected.count("\r\n") > 1 or filters == HistoryFilters(debtor_name="张")
    assert "".join(history_csv(qs)) == expected


@pytest.mark.postgres
def test_the_export_pages_send_the_python_bytes(client, auditor):
    _build_history()
    qs = history_search(user=auditor, filters=HistoryFilters(show=Show.ATTEMPTS))
    expected = "".join(history_csv_rows(qs)).encode("utf-8")
    assert expected.count(b"\r\n") > 300

    client.force_login(auditor)
    page = client.get(reverse("audit:history_export"), {"show": "attempts"})
    assert b"".join(page.streaming_content) == expected
    api = api_as(auditor).get("/api/v1/audit/attempts/export.csv", {"show": "attempts"})
    assert b"".join(api.streaming_content) == expected


@pytest.mark.postgres
def test_a_long_export_is_sent_in_chunks_of_many_rows(auditor, case, collector):
    cp = ContactPointFactory(debtor=case.debtor)
    ContactAttempt.objects.bulk_create(
        ContactAttempt(
            case=case,
            debtor_id=case.debtor_id,
            contact_point=cp,
            channel="call",
            occurred_at=T0 + timedelta(minutes=i),
            outcome="no_answer",
            status="completed",
            source="import",
            actor=collector,
        )
        for i in range(12_000)
    )
    qs = history_search(user=auditor, filters=HistoryFilters(show=Show.ATTEMPTS))
    chunks = list(history_csv(qs))
    assert [c.count("\r\n") for c in chunks] == [1, 5000, 5000, 2000]
    assert "".join(chunks) == "".join(history_csv_rows(qs))


@pytest.mark.postgres
def test_an_ordering_the_sql_cannot_repeat_falls_back_to_python_rows(auditor):
    qs = history_search(user=auditor, filters=HistoryFilters())
    assert history_lines_sql(qs, COLUMNS) is not None
    assert history_lines_sql(qs.order_by(F("at").desc()), COLUMNS) is None
    assert history_lines_sql(qs.order_by(), COLUMNS) is None


@pytest.mark.postgres
def test_a_search_that_can_match_nothing_still_sends_the_header(client, auditor):
    _build_history()
    qs = history_search(user=auditor, filters=HistoryFilters(show=Show.BLOCKED, outcome="busy"))
    client.force_login(auditor)
    assert (
        client.get(reverse("audit:home"), {"show": "blocked", "outcome": "busy"}).status_code == 200
    )
    assert history_lines_sql(qs.order_by("-at"), COLUMNS) is None
    text = "".join(history_csv(qs))
    assert text == "".join(history_csv_rows(qs))
    assert text.startswith("\ufeffKind,") and text.count("\r\n") == 1
