"""A frozen clock and a small, known team portfolio for the manager tests."""

from datetime import UTC, datetime

import pytest
import time_machine

# Wednesday 18 March 2026, noon UTC: the week started on Monday the 16th.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
