"""The demo's teams and users. Existing ones are left exactly as they are."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Role, Team, User

from .spec import Staff

DEMO_PASSWORD = "demo-pass-2026"
US_TEAM = "US Team"
CN_TEAM = "China Team"

# username, first, last, role, team key, regions, languages
PEOPLE: tuple[tuple[str, str, str, str, str | None, list[str], list[str]], ...] = (
    ("morgan", "Morgan", "Reed", Role.MANAGER, "US", [], ["en"]),
    ("alice", "Alice", "Walker", Role.COLLECTOR, "US", ["NY", "MA", "PA", "GA", "FL"], ["en"]),
    ("bob", "Bob", "Martinez", Role.COLLECTOR, "US", ["TX", "IL", "CO", "AZ"], ["en", "es"]),
    (
        "carol",
        "Carol",
        "Chen",
        Role.COLLECTOR,
        "US",
        ["CA", "WA", "ENG", "SCT", "WLS"],
        ["en", "zh-hans"],
    ),
    ("meng", "Meng", "Liu", Role.MANAGER, "CN", [], ["zh-hans", "en"]),
    ("lina", "Lina", "Zhou", Role.COLLECTOR, "CN", ["BJ", "SH"], ["zh-hans", "en"]),
    ("wei", "Wei", "Zhang", Role.COLLECTOR, "CN", ["GD", "ZJ"], ["zh-hans"]),
    ("jun", "Jun", "Li", Role.COLLECTOR, "CN", ["SC", "HB", "JS"], ["zh-hans"]),
    ("audrey", "Audrey", "Stone", Role.AUDITOR, None, [], ["en"]),
    ("admin", "Ada", "Admin", Role.ADMIN, None, [], ["en"]),
)
TEAMS = {
    "US": (
        US_TEAM,
        ["NY", "MA", "PA", "GA", "FL", "TX", "IL", "CO", "AZ", "CA", "WA", "ENG", "SCT", "WLS"],
        ["en"],
    ),
    "CN": (CN_TEAM, ["BJ", "SH", "GD", "ZJ", "SC", "HB", "JS"], ["zh-hans", "en"]),
}


@transaction.atomic
def demo_staff_ensure() -> tuple[Staff, int]:
    """Create the demo teams and users that do not exist yet; returns them and how many
    rows were created. The demo password is set directly: it is published in the README and
    deliberately skips the validators, and one hash serves every demo user."""
    created = 0
    teams: dict[str, Team] = {}
    for key, (name, regions, languages) in TEAMS.items():
        team, new = Team.objects.get_or_create(
            name=name, defaults={"regions": regions, "languages": languages, "case_capacity": 300}
        )
        teams[key] = team
        created += new
    password: str | None = None
    users: dict[str, User] = {}
    for username, first, last, role, team_key, regions, languages in PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            password = password or make_password(DEMO_PASSWORD)
            is_manager = role == Role.MANAGER
            user = User.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@collections.example",
                role=role,
                team=teams[team_key] if team_key else None,
                regions=regions,
                languages=languages,
                password=password,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
                max_discount_pct=Decimal("40.00") if is_manager else Decimal("10.00"),
                max_plan_months=36 if is_manager else 12,
                monthly_target=(
                    Decimal("0")
                    if role != Role.COLLECTOR
                    else Decimal("150000")
                    if team_key == "CN"
                    else Decimal("25000")
                ),
            )
            created += 1
        users[username] = user
    for key, manager in (("US", users["morgan"]), ("CN", users["meng"])):
        team = teams[key]
        if team.manager_id is None:
            team.manager = manager
            team.save(update_fields=["manager"])
    staff = Staff(team_ids={k: t.id for k, t in teams.items()}, collectors={}, managers={})
    by_region: dict[str, list[int]] = {}
    for key, team in teams.items():
        members = User.objects.filter(team=team, role=Role.COLLECTOR, is_active=True)
        staff.collectors[key] = sorted(m.id for m in members)
        for member in members:
            for region in member.regions or []:
                by_region.setdefault(region, []).append(member.id)
        if not staff.collectors[key]:
            raise RuntimeError(f"team {team.name} has no active collector")
        staff.managers[key] = team.manager_id or users["morgan" if key == "US" else "meng"].id
    staff.by_region = {k: sorted(v) for k, v in by_region.items()}
    return staff, created
