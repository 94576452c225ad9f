"""Load test: collectors working their queues and case pages and logging calls through the
API (`bin/loadtest` starts gunicorn, the reminder workers and this, headless and bounded).

Each simulated collector is one of the users `manage.py loadtest_prepare` made: pages go with
its session cookie, API calls with its token (never both: a session on the API would ask for
a CSRF token). A 409 from the gate is a compliance refusal, not an error. At the end the
figures go to LOADTEST_SUMMARY (JSON) for the report."""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

USERS_FILE = Path(os.environ.get("LOADTEST_USERS_FILE", "var/bench/loadtest-users.json"))
SUMMARY_FILE = Path(os.environ.get("LOADTEST_SUMMARY", "var/bench/loadtest-summary.json"))
WAIT = [float(x) for x in os.environ.get("LOADTEST_WAIT", "10,30").split(",")]
OUTCOMES = ("no_answer", "voicemail", "busy", "conversation")

_people: list[dict[str, Any]] = json.loads(USERS_FILE.read_text(encoding="utf-8"))["users"]
_next = itertools.cycle(range(len(_people)))
_gate: Counter[str] = Counter()  # the gate's answers to the calls placed


class Collector(HttpUser):
    wait_time = between(WAIT[0], WAIT[1])

    def on_start(self) -> None:
        self.me = _people[next(_next)]
        self.page_headers = {"Cookie": f"sessionid={self.me['session']}"}
        self.api_headers = {"Authorization": f"Token {self.me['token']}"}
        self.client.cookies.clear()

    def _page(self, url: str, name: str) -> None:
        self.client.cookies.clear()
        with self.client.get(
            url, headers=self.page_headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")

    @task(3)
    def queue(self) -> None:
        page = random.choice(("", "?page=2", "?scope=mine"))
        self._page(f"/queue/{page}", "GET /queue/")

    @task(5)
    def case_page(self) -> None:
        case_id = random.choice(self.me["cases"])
        self._page(f"/cases/{case_id}/", "GET /cases/[id]/")

    @task(2)
    def log_call(self) -> None:
        if not self.me["phones"]:
            return
        self.client.cookies.clear()
        body = {"contact_point": random.choice(self.me["phones"]), "channel": "call"}
        with self.client.post(
            "/api/v1/contact-attempts/",
            json=body,
            headers=self.api_headers,
            name="POST /api/v1/contact-attempts/",
            catch_response=True,
        ) as response:
            _gate[str(response.status_code)] += 1
            if response.status_code == 409:
                response.success()  # blocked by the compliance gate: a correct answer
                return
            if response.status_code != 201:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
                return
            attempt_id = response.json()["id"]
        with self.client.patch(
            f"/api/v1/contact-attempts/{attempt_id}/",
            json={"outcome": random.choice(OUTCOMES)},
            headers=self.api_headers,
            name="PATCH /api/v1/contact-attempts/[id]/",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}: {response.text[:200]}")


@events.quitting.add_listener
def _summary(environment: Any, **_kwargs: Any) -> None:
    stats = environment.stats

    def row(entry: Any) -> dict[str, Any]:
        return {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.total_rps,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "max": entry.max_response_time,
        }

    summary = {
        "total": row(stats.total),
        "endpoints": {e.name: row(e) for e in stats.entries.values()},
        "errors": [
            {"name": e.name, "error": str(e.error)[:200], "count": e.occurrences}
            for e in stats.errors.values()
        ],
        "users": environment.runner.user_count if environment.runner else 0,
        "gate": dict(_gate),
    }
    SUMMARY_FILE.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY_FILE.write_text(json.dumps(summary, indent=1), encoding="utf-8")
