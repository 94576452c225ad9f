"""Reminder scheduling. `reminders_sync` is the one entry point the plan, promise and payment
services call after they change something: it brings a case's pending reminders in line with
its promises and installments (creating what is missing, cancelling what no longer applies).
"""


def reminders_sync(*, case_id: int) -> None:
    """Create and cancel the case's pending reminders to match its promises and installments."""
    return None
