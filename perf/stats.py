"""Small measuring tools: percentiles, the machine, a load-average sampler."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of `values` (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary_ms(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of durations in milliseconds."""
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else 0.0,
    }


def timed_ms(func: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = func()
    return (time.perf_counter() - started) * 1000, result


def repeat_ms(func: Callable[[], Any], *, times: int, budget_s: float) -> list[float]:
    """Run `func` up to `times` times, stopping early once `budget_s` seconds are spent
    (at least once)."""
    durations: list[float] = []
    deadline = time.monotonic() + budget_s
    for _ in range(max(1, times)):
        duration, _result = timed_ms(func)
        durations.append(duration)
        if time.monotonic() > deadline:
            break
    return durations


def memory_total_mb() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count() or 0,
        "memory_mb": memory_total_mb(),
        "loadavg": os.getloadavg(),
    }


@dataclass
class LoadSampler:
    """Samples the 1-minute load average every `every` seconds in a daemon thread."""

    every: float = 5.0
    samples: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(self.every)

    @contextmanager
    def running(self) -> Iterator[LoadSampler]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(timeout=self.every + 1)

    def describe(self) -> str:
        if not self.samples:
            return "n/a"
        return f"{min(self.samples):.1f} to {max(self.samples):.1f}"
