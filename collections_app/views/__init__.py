"""Collector workspace pages: the work queue, the case page and its actions."""

from .actions import (
    consent_add,
    escalation_add,
    follow_up_add,
    follow_up_done,
    note_add,
    payment_add,
    plan_builder,
    plan_save,
    promise_add,
    restriction_add,
    status_change,
)
from .case import case_detail
from .contact import call_outcome, compose, contact, message_send
from .queue import queue

__all__ = [
    "call_outcome",
    "case_detail",
    "compose",
    "consent_add",
    "contact",
    "escalation_add",
    "follow_up_add",
    "follow_up_done",
    "message_send",
    "note_add",
    "payment_add",
    "plan_builder",
    "plan_save",
    "promise_add",
    "queue",
    "restriction_add",
    "status_change",
]
