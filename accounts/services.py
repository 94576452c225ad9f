"""Writes to users and teams."""

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from .models import Role, Team, User


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    team: Team | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    validate: bool = True,
) -> User:
    """Create a user with a role. Admins get Django admin access; others do not."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
    user = User(
        username=username,
        role=role,
        team=team,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def debtor_set_national_id(*, debtor_id: int, national_id: str, actor: User | None) -> None:
    """Store a debtor's national id (encrypted) together with its blind index, so lookups by
    id number keep working. Every write path that accepts a national id goes through here.

    `actor` must be able to write the debtor; pass None only from trusted batch code
    (imports, key rotation)."""
    from collections_app.fields import blind_index
    from collections_app.models import Debtor

    national_id = "".join(national_id.split())
    queryset = Debtor.objects.all() if actor is None else Debtor.objects.writable_by(actor)
    with transaction.atomic():
        debtor = queryset.select_for_update().get(pk=debtor_id)
        debtor.national_id = national_id
        debtor.national_id_index = blind_index(national_id) if national_id else ""
        debtor.save(update_fields=["national_id", "national_id_index", "updated_at"])


def debtor_find_by_national_id(*, national_id: str, user: User) -> list[int]:
    """Ids of the debtors `user` may see whose national id equals `national_id` (via the blind
    index: the database never sees the plain number)."""
    from collections_app.fields import blind_index
    from collections_app.models import Debtor

    index = blind_index(national_id)
    return list(
        Debtor.objects.visible_to(user).filter(national_id_index=index).values_list("pk", flat=True)
    )
