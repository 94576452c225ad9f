"""The read-replica router: only pinned reads go to the replica, and only when one is
configured; the middleware pins GET requests to the dashboards and exports, streamed bodies
included, and nothing else."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from collections_app.models import Case
from config import routers
from config.routers import ReplicaReadMiddleware, ReplicaRouter, replica_pinned, replica_reads


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(routers, "replica_configured", lambda: True)


def test_reads_stay_on_default_without_a_replica():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Case) is None
    assert routers.read_database() == "default"


def test_pinned_reads_go_to_the_replica_and_writes_never(with_replica):
    router = ReplicaRouter()
    assert router.db_for_read(Case) is None
    with replica_reads():
        assert router.db_for_read(Case) == "replica"
        assert router.db_for_write(Case) == "default"
    assert router.db_for_read(Case) is None
    assert router.allow_migrate("replica", "collections_app") is False
    assert router.allow_migrate("default", "collections_app") is True


@pytest.mark.parametrize(
    ("method", "path", "pinned"),
    [
        ("GET", "/manager/", True),
        ("GET", "/audit/export.csv", True),
        ("HEAD", "/manager/export.csv", True),
        ("POST", "/manager/", False),
        ("GET", "/queue/", False),
        ("GET", "/manager/cases/", False),
    ],
)
def test_middleware_pins_only_dashboard_and_export_reads(with_replica, method, path, pinned):
    seen: list[bool] = []

    def view(request):
        seen.append(replica_pinned())
        return HttpResponse("ok")

    request = getattr(RequestFactory(), method.lower())(path)
    ReplicaReadMiddleware(view)(request)
    assert seen == [pinned]
    assert replica_pinned() is False


def test_streamed_export_reads_from_the_replica_while_it_is_sent(with_replica):
    seen: list[bool] = []

    def rows():
        for n in range(2):
            seen.append(replica_pinned())
            yield f"{n}\n"

    def view(request):
        return StreamingHttpResponse(rows())

    response = ReplicaReadMiddleware(view)(RequestFactory().get("/audit/export.csv"))
    assert replica_pinned() is False  # the view has returned
    assert b"".join(response.streaming_content) == b"0\n1\n"
    assert seen == [True, True]
    assert replica_pinned() is False
