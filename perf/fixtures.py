"""The people the benchmark measures as: a team of 10 collectors and a manager holding up to
100,000 cases (one collector with 2,000 of them), and the collectors of the load test.

Cases are moved onto these users with set-based UPDATEs (no history rows: this is a scratch
benchmark database). Every call re-applies the same assignment, so a benchmark run after a
load test (which takes cases of its own) measures the same thing again."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from accounts.models import Role, Team, User
from collections_app.models import Case

BENCH_TEAM = "Bench Team"
LOAD_TEAM = "Load Team"
TEAM_COLLECTORS = 10
TEAM_CASES = 100_000
QUEUE_CASES = 2_000


@dataclass(frozen=True)
class BenchPeople:
    team_id: int
    manager_id: int
    collector_ids: list[int]
    queue_collector_id: int
    team_cases: int
    queue_cases: int


def _user(username: str, *, role: str, team: Team) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "team": team,
            "first_name": username,
            "email": f"{username}@bench.example",
            "languages": ["en"],
            "max_discount_pct": Decimal("10.00"),
            "monthly_target": Decimal("25000"),
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _assign(*, first_id: int, last_id: int, team_id: int, user_ids: list[int], block: int) -> None:
    """Cases with ids in [first_id, last_id] go to the team; the first `block` of them to
    user_ids[0], the rest round-robin over user_ids[1:] (or all of them if there is one)."""
    rest = user_ids[1:] or user_ids
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH ranked AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                FROM collections_app_case WHERE id BETWEEN %s AND %s
            )
            , wanted AS (
                SELECT id, CASE WHEN n < %s THEN %s
                    ELSE (%s::bigint[])[1 + ((n - %s) %% %s)] END AS user_id
                FROM ranked
            )
            UPDATE collections_app_case c
            SET team_id = %s, assigned_to_id = w.user_id
            FROM wanted w
            WHERE c.id = w.id
              AND (c.team_id IS DISTINCT FROM %s OR c.assigned_to_id IS DISTINCT FROM w.user_id)
            """,
            [first_id, last_id, block, user_ids[0], rest, block, len(rest), team_id, team_id],
        )
        # Only rows that change are written: a rerun leaves no dead rows behind to slow the
        # pages measured next. Fresh statistics for whatever did change.
        if cursor.rowcount:
            cursor.execute("ANALYZE collections_app_case")


def _case_id_range(*, count: int, from_top: bool) -> tuple[int, int, int]:
    """The id range of the first (or last) `count` cases, and how many there are."""
    order = "DESC" if from_top else "ASC"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT min(id), max(id), count(*) FROM (SELECT id FROM collections_app_case "  # noqa: S608 (ASC or DESC)
            f"ORDER BY id {order} LIMIT %s) s",
            [count],
        )
        lo, hi, n = cursor.fetchone()
    return lo or 0, hi or 0, n or 0


@transaction.atomic
def bench_people_ensure(
    *,
    team_cases: int = TEAM_CASES,
    queue_cases: int = QUEUE_CASES,
    collectors: int = TEAM_COLLECTORS,
    assign: bool = True,
) -> BenchPeople:
    """The benchmark team over the first `team_cases` cases by id (fewer on a small
    database: at most all of them), `queue_cases` of them assigned to bench_c01. With
    `assign=False` the cases are left as they are (a child process of the same run)."""
    team, _ = Team.objects.get_or_create(
        name=BENCH_TEAM, defaults={"case_capacity": team_cases, "languages": ["en"]}
    )
    manager = _user("bench_manager", role=Role.MANAGER, team=team)
    if team.manager_id != manager.pk:
        team.manager = manager
        team.save(update_fields=["manager"])
    members = [
        _user(f"bench_c{i:02d}", role=Role.COLLECTOR, team=team) for i in range(1, collectors + 1)
    ]
    if not assign:
        return BenchPeople(
            team_id=team.pk,
            manager_id=manager.pk,
            collector_ids=[m.pk for m in members],
            queue_collector_id=members[0].pk,
            team_cases=Case.objects.filter(team=team).count(),
            queue_cases=Case.objects.filter(assigned_to=members[0]).count(),
        )
    lo, hi, n = _case_id_range(count=team_cases, from_top=False)
    queue_block = min(queue_cases, n // 2 if n < queue_cases * 2 else queue_cases)
    if n:
        _assign(
            first_id=lo,
            last_id=hi,
            team_id=team.pk,
            user_ids=[m.pk for m in members],
            block=queue_block,
        )
    return BenchPeople(
        team_id=team.pk,
        manager_id=manager.pk,
        collector_ids=[m.pk for m in members],
        queue_collector_id=members[0].pk,
        team_cases=n,
        queue_cases=queue_block,
    )


@transaction.atomic
def load_people_ensure(*, users: int, cases_each: int) -> dict[int, list[int]]:
    """`users` collectors lt_001... in the load team, each assigned `cases_each` of the
    highest-numbered cases; returns {user id: [case ids]}."""
    team, _ = Team.objects.get_or_create(name=LOAD_TEAM, defaults={"languages": ["en"]})
    people = [_user(f"lt_{i:03d}", role=Role.COLLECTOR, team=team) for i in range(1, users + 1)]
    lo, hi, n = _case_id_range(count=users * cases_each, from_top=True)
    if n:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH ranked AS (
                    SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                    FROM collections_app_case WHERE id BETWEEN %s AND %s
                )
                UPDATE collections_app_case c
                SET team_id = %s, assigned_to_id = (%s::bigint[])[1 + (r.n %% %s)]
                FROM ranked r WHERE c.id = r.id
                """,
                [lo, hi, team.pk, [p.pk for p in people], len(people)],
            )
    owned: dict[int, list[int]] = {p.pk: [] for p in people}
    for case_id, user_id in Case.objects.filter(team=team).values_list("pk", "assigned_to_id"):
        if user_id in owned:
            owned[user_id].append(case_id)
    return owned
