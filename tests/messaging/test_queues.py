"""CELERY_BACKGROUND_QUEUE sends the long rounds to their own queue; reminders stay put."""

import importlib

import pytest
from celery.app.routes import Router, prepare

from config.celery import app


def _queue(routes: dict, task: str) -> str:  # type: ignore[type-arg]
    router = Router(prepare(routes), app.amqp.queues, app=app, create_missing=True)
    return router.route({}, task)["queue"].name


@pytest.fixture
def base_settings(monkeypatch):  # type: ignore[no-untyped-def]
    module = importlib.import_module("config.settings.base")
    yield lambda: importlib.reload(module)
    monkeypatch.delenv("CELERY_BACKGROUND_QUEUE", raising=False)
    importlib.reload(module)


def test_every_background_task_is_a_registered_task():
    from config.settings.base import BACKGROUND_TASKS

    app.loader.import_default_modules()
    assert [name for name in BACKGROUND_TASKS if name not in app.tasks] == []


def test_with_a_background_queue_the_rounds_go_there_and_reminders_do_not(
    monkeypatch, base_settings
):
    monkeypatch.setenv("CELERY_BACKGROUND_QUEUE", "background")
    routes = base_settings().CELERY_TASK_ROUTES
    for task in ("manager.tasks.portfolio_summary_refresh", "audit.tasks.chain_seal"):
        assert _queue(routes, task) == "background"
    for task in ("messaging.tasks.reminders_send", "exchange.tasks.import_run"):
        assert _queue(routes, task) == app.conf.task_default_queue


def test_without_it_everything_stays_on_the_default_queue(monkeypatch, base_settings):
    monkeypatch.delenv("CELERY_BACKGROUND_QUEUE", raising=False)
    routes = base_settings().CELERY_TASK_ROUTES
    assert routes == {}
    assert _queue(routes, "audit.tasks.chain_seal") == app.conf.task_default_queue
