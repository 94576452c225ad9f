"""Reads for the collector workspace: the work queue (`queue`) and the debtor's complete file
(`case_file`).

Every query starts from `visible_to(user)`; a case outside the caller's scope is a 404 in the
view. Query counts do not grow with the rows shown: the queue orders the ids in SQL and reads
one page of rows; the case page reads each relation once, and none that is empty.
"""

from .case_file import (
    CASE_PAGE_RELATIONS,
    CaseFile,
    ContactPointView,
    LocalTime,
    TimelineEntry,
    case_file_for_user,
    case_get_for_user,
    case_is_open,
    case_open_balance,
    channels_for_contact_point,
    contact_point_zones,
)
from .queue import (
    BROKEN_PROMISE_WINDOW,
    QUEUE_CHANNELS,
    URGENCY_FOLLOW_UP_DUE,
    URGENCY_NEW,
    URGENCY_OTHER,
    URGENCY_PROMISE_BROKEN,
    URGENCY_PROMISE_DUE_TODAY,
    Contactability,
    QueueFilters,
    case_contactability,
    case_queue_for_user,
    case_queue_page,
)

__all__ = [
    "BROKEN_PROMISE_WINDOW",
    "CASE_PAGE_RELATIONS",
    "QUEUE_CHANNELS",
    "URGENCY_FOLLOW_UP_DUE",
    "URGENCY_NEW",
    "URGENCY_OTHER",
    "URGENCY_PROMISE_BROKEN",
    "URGENCY_PROMISE_DUE_TODAY",
    "CaseFile",
    "ContactPointView",
    "Contactability",
    "LocalTime",
    "QueueFilters",
    "TimelineEntry",
    "case_contactability",
    "case_file_for_user",
    "case_get_for_user",
    "case_is_open",
    "case_open_balance",
    "case_queue_for_user",
    "case_queue_page",
    "channels_for_contact_point",
    "contact_point_zones",
]
