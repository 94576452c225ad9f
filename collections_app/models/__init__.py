from .attempt import Channel, ContactAttempt, Direction, Outcome, Source
from .case import CASE_TRANSITIONS, Case, CaseAssignment, CaseStatus, CaseStatusChange
from .debt import Bucket, Debt, DebtStatus, Product
from .debtor import ContactPoint, ContactPointKind, Debtor, Owner
from .money import Installment, Payment, PlanStatus, PromiseStatus, PromiseToPay, RepaymentPlan
from .work import FollowUp, Note, Reminder, ReminderKind, ReminderStatus

__all__ = [
    "CASE_TRANSITIONS",
    "Bucket",
    "Case",
    "CaseAssignment",
    "CaseStatus",
    "CaseStatusChange",
    "Channel",
    "ContactAttempt",
    "ContactPoint",
    "ContactPointKind",
    "Debt",
    "DebtStatus",
    "Debtor",
    "Direction",
    "FollowUp",
    "Installment",
    "Note",
    "Outcome",
    "Owner",
    "Payment",
    "PlanStatus",
    "Product",
    "PromiseStatus",
    "PromiseToPay",
    "Reminder",
    "ReminderKind",
    "ReminderStatus",
    "RepaymentPlan",
    "Source",
]
