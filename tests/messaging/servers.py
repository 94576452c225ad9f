"""Local stand-ins for the providers: an SMS/WeChat HTTP gateway and an SMTP server, both on
127.0.0.1 with a free port, and a real Celery worker process on a Redis broker."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
REDIS_BROKER = os.environ.get("MESSAGING_TEST_BROKER", "redis://127.0.0.1:6379/9")


@dataclass
class Gateway:
    """Answers POST /<anything>. `plan` is a list of status codes to answer first (then 200);
    a message already accepted under its Idempotency-Key is acknowledged, not delivered again."""

    plan: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)
    delivered: dict[str, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def delivered_count(self, key: str) -> int:
        return sum(1 for r in self.requests if r["key"] == key and r["accepted"])


def _gateway_handler(gw: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length) or b"{}")
            key = self.headers.get("Idempotency-Key", "")
            if gw.delay:
                time.sleep(gw.delay)
            with gw.lock:
                code = gw.plan.pop(0) if gw.plan else 200
                accepted = code == 200 and key not in gw.delivered
                if accepted:
                    gw.delivered[key] = {"id": f"gw-{len(gw.delivered) + 1}", **payload}
                gw.requests.append(
                    {
                        "key": key,
                        "code": code,
                        "accepted": accepted,
                        "auth": self.headers.get("Authorization", ""),
                        **payload,
                    }
                )
                body = (
                    json.dumps({"id": gw.delivered[key]["id"]})
                    if code == 200
                    else json.dumps({"error": "refused" if code < 500 else "unavailable"})
                )
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            return

    return Handler


def gateway_start(gw: Gateway) -> Callable[[], None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _gateway_handler(gw))
    gw.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf8", errors="replace"),
            }
        )
        return "250 Message accepted for delivery"


class Worker:
    """`celery -A config worker` in its own process group, on its own queue."""

    def __init__(self, *, queue: str, env: dict[str, str], log_path: Path) -> None:
        self.queue = queue
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        log = self.log_path.open("ab")
        self.offset = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                self.queue,
                "--concurrency",
                "2",
                "--pool",
                "prefork",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "-l",
                "INFO",
                "-n",
                f"{self.queue}@%h",
            ],
            cwd=BASE_DIR,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()[self.offset :].decode(errors="replace")
            if " ready." in text:
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited:\n{text[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError("worker did not start in time:\n" + self.log_tail())

    def log_tail(self) -> str:
        return self.log_path.read_bytes()[-4000:].decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
