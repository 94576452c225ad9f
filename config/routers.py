"""Optional read replica for the read-heavy pages: dashboards and exports.

Set `DATABASE_REPLICA_URL` and the settings add a `replica` database, this router and
`ReplicaReadMiddleware` (nothing changes without it). GET and HEAD requests to
`REPLICA_READ_PATHS` (the manager dashboard, its figures and the CSV exports) read from the
replica;
everything else, and every write, stays on `default`, so a collector never reads a stale copy
of what they just wrote. A streamed export keeps reading from the replica while the server
sends it, after the view has returned.

Code that wants the replica explicitly (a management command building a report) uses
`with replica_reads():` or `Model.objects.using(read_database())`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

REPLICA = "replica"
# Paths whose GET/HEAD requests may read from the replica (settings can replace the list).
# Exact paths: pages that also write, or that follow a write, are not on it.
DEFAULT_REPLICA_READ_PATHS = (
    "/manager/",
    "/manager/export.csv",
    "/audit/export.csv",
    "/api/v1/audit/attempts/export.csv",
    "/api/v1/manager/team-figures/",
)

_pinned: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.databases


def replica_pinned() -> bool:
    """Whether reads in this context go to the replica right now."""
    return _pinned.get() and replica_configured()


def read_database() -> str:
    """The alias for a read that may be a little stale: the replica when it is configured."""
    return REPLICA if replica_configured() else "default"


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads inside the block to the replica (when configured)."""
    previous = _pinned.get()
    _pinned.set(True)
    try:
        yield
    finally:
        _pinned.set(previous)


class ReplicaRouter:
    """Reads go to the replica only inside `replica_reads()`; writes and migrations always to
    default (the replica is a physical copy of it)."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if replica_pinned() else None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # same data on both aliases

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA


def _streamed(content: Iterable[Any]) -> Iterator[Any]:
    with replica_reads():
        yield from content


class ReplicaReadMiddleware:
    """Pins GET/HEAD requests to REPLICA_READ_PATHS to the replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.paths = frozenset(
            getattr(settings, "REPLICA_READ_PATHS", None) or DEFAULT_REPLICA_READ_PATHS
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or request.path not in self.paths:
            return self.get_response(request)
        with replica_reads():
            response = self.get_response(request)
        if isinstance(response, StreamingHttpResponse):
            response.streaming_content = _streamed(response.streaming_content)
        return response
