# ruff: noqa: E501  (a table reads best one request per line)
"""Every URL x every persona -> the status it must answer. Columns (matrix.ROLES):

    anonymous  collector  other_collector  manager  other_manager  auditor  admin

The world (matrix.World): the case, its debtor, attempt, decision, plan, follow-up, escalation,
legal action, placement and evidence all belong to alice (collector) in morgan's (manager)
team; lina (other_collector) and meng (other_manager) are the other team.

Policy: pages send the anonymous to log in (302) and answer 404 to wrong roles and to objects
out of scope; the API answers 403 to the anonymous and to auditors' writes, 404 out of scope.
Rows for POST endpoints send a deliberately incomplete form: an in-scope role gets the
validation answer (400, or a redirect back with a message), so the row tests the gate, not the
action. Rows with `query`/`data` naming the other team's objects check filters and bulk actions.
"""

from .matrix import Row

# Django's admin is staff-only as a whole (tests/security/test_admin.py); its ~100 model URLs
# are not listed one by one.
EXEMPT_PREFIXES = ("admin:", "admin/")

CASE = {"case_id": "case"}
DEBTOR = {"debtor_id": "debtor"}

# fmt: off
MATRIX: list[Row] = [
    # --- accounts ------------------------------------------------------ anon col oc mgr om aud adm
    Row("home", "GET", "302 302 302 302 302 302 302"),
    Row("login", "GET", "200 302 302 302 302 302 302"),
    Row("logout", "POST", "302 302 302 302 302 302 302"),
    Row("logout", "GET", "302 405 405 405 405 405 405"),
    Row("otp-setup", "GET", "302 200 200 200 200 200 200"),
    Row("otp-verify", "GET", "302 302 302 302 302 302 302"),  # no device yet: to setup
    Row("set_language", "POST", "302 302 302 302 302 302 302", data={"language": "zh-hans"}),
    Row("health", "GET", "200 200 200 200 200 200 200"),
    # --- API: auth, schema ---------------------------------------------
    Row("api-token", "POST", "400 400 400 400 400 400 400", api=True),
    Row("api-schema", "GET", "200 200 200 200 200 200 200", api=True),
    Row("api-docs", "GET", "200 200 200 200 200 200 200", api=True),
    # --- API: intake -----------------------------------------------------
    Row("api-debtor-list", "GET", "403 200 200 200 200 200 200", api=True),
    Row("api-debtor-list", "POST", "403 400 400 400 400 403 400", api=True),
    Row("api-debtor-detail", "GET", "403 200 404 200 404 200 200", kwargs={"pk": "debtor"}, api=True),
    Row("api-debtor-contact-points", "GET", "403 200 404 200 404 200 200", kwargs=DEBTOR, api=True),
    # An empty body fails validation before the debtor is looked up: 400 for every writer.
    Row("api-debtor-contact-points", "POST", "403 400 400 400 400 403 400", kwargs=DEBTOR, api=True),
    Row("api-debtor-contact-points", "POST", "403 201 404 400 404 403 400", kwargs=DEBTOR, api=True, data={"kind": "email", "value": "matrix@example.com"}),
    Row("api-debt-list", "GET", "403 200 200 200 200 200 200", api=True),
    Row("api-debt-list", "POST", "403 400 400 400 400 403 400", api=True),
    # A body naming the other team's debtor is a validation error for US-team users; lina may (201), then the account number is taken.
    Row("api-debt-list", "POST", "403 400 201 400 400 403 400", api=True, data={"debtor": "{other_debtor}", "creditor": "X", "account_number": "M-1", "product": "credit_card", "currency": "USD", "balance": "10.00"}),
    Row("api-debt-detail", "GET", "403 200 404 200 404 200 200", kwargs={"pk": "debt"}, api=True),
    Row("api-case-list", "GET", "403 200 200 200 200 200 200", api=True),
    Row("api-case-list", "GET", "403 200 200 200 200 200 200", api=True, query="debtor={other_debtor}"),
    Row("api-case-list", "POST", "403 400 400 400 400 403 400", api=True),
    Row("api-case-detail", "GET", "403 200 404 200 404 200 200", kwargs={"pk": "case"}, api=True),
    # --- API: the gate ---------------------------------------------------
    Row("api-compliance-check", "POST", "403 400 400 400 400 403 400", api=True),  # empty body
    # Another team's contact point named in the body: "does not exist" (400), as for an unknown id.
    Row("api-compliance-check", "POST", "403 200 400 200 400 403 200", api=True, data={"contact_point": "{contact_point}", "channel": "call"}),
    Row("api-compliance-eligibility", "POST", "403 400 400 400 400 400 400", api=True),
    Row("api-case-filter-list", "GET", "403 200 200 200 200 200 200", api=True),
    Row("api-case-filter-list", "POST", "403 400 400 400 400 403 400", api=True),
    Row("api-case-filter-detail", "GET", "403 200 404 404 404 404 404", kwargs={"pk": "case_filter"}, api=True),  # the owner's only
    Row("api-case-filter-detail", "PATCH", "403 200 404 404 404 403 404", kwargs={"pk": "case_filter"}, api=True),
    Row("api-case-filter-detail", "DELETE", "403 204 404 404 404 403 404", kwargs={"pk": "case_filter"}, api=True),
    Row("api-attempt-list", "GET", "403 200 200 200 200 200 200", api=True),
    Row("api-attempt-list", "GET", "403 200 200 200 200 200 200", api=True, query="debtor={other_debtor}"),
    Row("api-attempt-list", "POST", "403 400 400 400 400 403 400", api=True),
    Row("api-attempt-detail", "GET", "403 200 404 200 404 200 200", kwargs={"pk": "attempt"}, api=True),
    Row("api-attempt-detail", "PATCH", "403 400 404 400 404 403 400", kwargs={"pk": "attempt"}, api=True, data={"outcome": "not-an-outcome"}),
    Row("api-attempt-import", "POST", "403 400 400 400 400 403 400", api=True),
    Row("api-debtor-restrictions", "GET", "403 200 404 200 404 200 200", kwargs=DEBTOR, api=True),
    Row("api-debtor-restrictions", "POST", "403 400 400 400 400 403 400", kwargs=DEBTOR, api=True),  # empty body
    Row("api-debtor-restrictions", "POST", "403 201 404 201 404 403 201", kwargs=DEBTOR, api=True, data={"kind": "inconvenient_time", "effective_at": "2026-01-05T09:00:00Z", "weekly_windows": []}),
    Row("api-debtor-consents", "GET", "403 200 404 200 404 200 200", kwargs=DEBTOR, api=True),
    Row("api-debtor-consents", "POST", "403 400 400 400 400 403 400", kwargs=DEBTOR, api=True),  # empty body
    Row("api-debtor-consents", "POST", "403 201 404 201 404 403 201", kwargs=DEBTOR, api=True, data={"kind": "email", "given_at": "2026-01-05T09:00:00Z"}),
    # --- API: messaging webhooks (provider token, no user) ---------------
    Row("messaging-inbound", "POST", "403 403 403 403 403 403 403", api=True),
    Row("messaging-receipts", "POST", "403 403 403 403 403 403 403", api=True),
    # --- API: audit -------------------------------------------------------
    Row("audit-history", "GET", "403 404 404 200 200 200 200", api=True),
    Row("audit-history", "GET", "403 404 404 200 200 200 200", api=True, query="debtor={other_debtor}"),
    Row("audit-history-export", "GET", "403 404 404 200 200 200 200", api=True),
    Row("audit-evidence", "GET", "403 200 200 200 200 200 200", api=True),
    Row("audit-evidence", "POST", "403 415 415 415 415 403 415", api=True),
    # --- API: manager ----------------------------------------------------
    Row("api-manager-team-figures", "GET", "403 403 403 200 200 403 200", api=True),
    Row("api-manager-team-figures", "GET", "403 403 403 200 200 403 200", api=True, query="team={other_team}"),
    Row("api-manager-reassign", "POST", "403 403 403 400 400 403 400", api=True),  # empty body
    Row("api-manager-reassign", "POST", "403 403 403 200 404 403 200", api=True, data={"cases": ["{case}"], "to_user": None, "reason": "matrix"}),
    Row("api-manager-plan-decision", "POST", "403 403 403 400 404 403 400", kwargs={"plan_id": "plan"}, api=True),
    Row("api-escalation-requests", "POST", "403 400 400 400 400 403 400", api=True),  # empty body
    Row("api-escalation-requests", "POST", "403 201 404 400 404 403 400", api=True, data={"case": "{case}", "kind": "agency", "reason": "matrix"}),
    # --- API: exchange (imports and finance exports) ---------------------
    Row("exchange-imports", "GET", "403 200 200 200 200 200 200", api=True),  # collectors: an empty list
    Row("exchange-imports", "POST", "403 403 403 415 415 403 415", api=True),  # JSON instead of a file
    Row("exchange-import", "GET", "403 404 404 200 404 200 200", kwargs={"batch_id": "batch"}, api=True),
    Row("exchange-import-errors", "GET", "403 404 404 200 404 200 200", kwargs={"batch_id": "batch"}, api=True),
    Row("exchange-export", "GET", "403 403 403 200 200 200 200", kwargs={"kind": "=cases"}, api=True, query="date_from=2026-01-01&date_to=2026-01-31"),
    # --- collector workspace --------------------------------------------
    Row("collections:queue", "GET", "302 200 200 200 200 404 200"),
    Row("collections:queue", "GET", "302 200 200 200 200 404 200", htmx=True),
    Row("collections:case", "GET", "302 200 404 200 404 404 200", kwargs=CASE),
    Row("collections:contact", "POST", "302 400 404 400 404 404 400", kwargs=CASE, data={"contact_point": "{contact_point}", "channel": "pigeon"}),
    Row("collections:compose", "GET", "302 200 404 200 404 404 200", kwargs=CASE, query="contact_point={contact_point}&channel=sms"),
    Row("collections:message", "POST", "302 200 404 200 404 404 200", kwargs=CASE, data={"contact_point": "{contact_point}", "channel": "pigeon"}),
    Row("collections:outcome", "POST", "302 400 404 400 404 404 400", kwargs={"case_id": "case", "attempt_id": "attempt"}),
    Row("collections:promise", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:promise", "POST", "302 200 404 200 404 404 200", kwargs=CASE, htmx=True),
    Row("collections:plan_propose", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:plan", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:payment", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:note", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:follow_up", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:follow_up_done", "POST", "302 302 404 302 404 404 302", kwargs={"case_id": "case", "follow_up_id": "follow_up"}),
    Row("collections:restriction", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:consent", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:escalate", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    Row("collections:status", "POST", "302 400 404 400 404 404 400", kwargs=CASE),
    # --- manager workspace ----------------------------------------------
    Row("manager:dashboard", "GET", "302 404 404 200 200 404 200"),
    Row("manager:dashboard", "GET", "302 404 404 200 200 404 200", query="team={other_team}"),
    Row("manager:dashboard_csv", "GET", "302 404 404 200 200 404 200"),
    Row("manager:dashboard_refresh", "POST", "302 404 404 302 302 404 302"),
    Row(
        "manager:dashboard_refresh", "POST", "302 404 404 302 404 404 302", data={"team": "{team}"}
    ),
    Row("manager:dashboard_refresh", "GET", "302 404 404 405 405 404 405"),
    Row("manager:cases", "GET", "302 404 404 200 200 404 200"),
    Row("manager:cases", "GET", "302 404 404 200 200 404 200", htmx=True),
    Row("manager:cases", "GET", "302 404 404 200 200 404 200", query="team={other_team}"),
    Row("manager:cases_reassign", "POST", "302 404 404 302 302 404 302"),
    Row("manager:cases_reassign", "POST", "302 404 404 302 404 404 302", data={"cases": ["{case}"], "to_user": "", "reason": "matrix"}),
    Row("manager:cases_allocate", "POST", "302 404 404 302 404 404 302", data={"team": "{team}"}),
    Row("manager:cases_rotate", "POST", "302 404 404 302 404 404 302", data={"team": "{team}"}),
    Row("manager:case_score", "GET", "302 404 404 200 404 404 200", kwargs=CASE),
    Row("manager:case_escalation", "GET", "302 404 404 200 404 404 200", kwargs=CASE),
    Row("manager:agency_place", "POST", "302 404 404 302 404 404 302", kwargs=CASE),
    Row("manager:legal_open", "POST", "302 404 404 302 404 404 302", kwargs=CASE),
    Row("manager:legal_step", "POST", "302 404 404 302 404 404 302", kwargs={"action_id": "legal_action"}),
    Row("manager:agency_recall", "POST", "302 404 404 302 404 404 302", kwargs={"placement_id": "placement"}),
    Row("manager:approvals", "GET", "302 404 404 200 200 404 200"),
    Row("manager:plan_decide", "POST", "302 404 404 302 404 404 302", kwargs={"plan_id": "plan"}),
    Row("manager:escalation_decide", "POST", "302 404 404 302 404 404 302", kwargs={"request_id": "escalation"}),
    Row("manager:escalations", "GET", "302 404 404 200 200 404 200"),
    Row("manager:incentives", "GET", "302 404 404 200 200 404 200"),
    Row("manager:strategies", "GET", "302 404 404 200 200 404 200"),
    Row("manager:team_policy", "POST", "302 404 404 302 302 404 302"),  # each manager: own team's policy
    Row("manager:allocation_rule_add", "POST", "302 404 404 302 404 404 302", data={"team": "{team}"}),
    Row("manager:allocation_rule_add", "POST", "302 404 404 404 404 404 404"),  # no team: none in scope
    Row("manager:allocation_rule_active", "POST", "302 404 404 302 404 404 302", kwargs={"rule_id": "allocation_rule"}),
    Row("manager:allocation_rule_remove", "POST", "302 404 404 302 404 404 302", kwargs={"rule_id": "allocation_rule"}),
    Row("manager:allocation_rule_remove", "GET", "302 404 404 405 405 404 405", kwargs={"rule_id": "allocation_rule"}),
    Row("manager:complaint_add", "POST", "302 404 404 302 404 404 302", kwargs=CASE),
    # --- audit workspace -------------------------------------------------
    Row("audit:home", "GET", "302 404 404 200 200 200 200"),
    Row("audit:home", "GET", "302 404 404 200 200 200 200", query="debtor={other_debtor}"),
    Row("audit:history_export", "GET", "302 404 404 200 200 200 200"),
    Row("audit:history_export", "GET", "302 404 404 200 200 200 200", query="debtor={other_debtor}"),
    Row("audit:decision", "GET", "302 404 404 200 404 200 200", kwargs={"decision_id": "decision"}),
    Row("audit:decision_replay", "GET", "302 404 404 200 404 200 200", kwargs={"decision_id": "decision"}),
    Row("audit:attempt", "GET", "302 404 404 200 404 200 200", kwargs={"attempt_id": "attempt"}),
    Row("audit:debtor_as_of", "GET", "302 404 404 200 404 200 200", kwargs=DEBTOR),
    Row("audit:debtor_report", "GET", "302 404 404 200 404 200 200", kwargs=DEBTOR),
    Row("audit:case_evidence", "GET", "302 200 404 200 404 200 200", kwargs=CASE),
    Row("audit:case_evidence", "POST", "302 400 404 400 404 403 400", kwargs=CASE),
    Row("audit:evidence_pack", "GET", "302 404 404 200 404 200 200", kwargs=CASE),
    Row("audit:evidence_download", "GET", "302 200 404 200 404 200 200", kwargs={"evidence_id": "evidence"}),
    Row("audit:records", "GET", "302 404 404 404 404 200 200"),
    # --- exchange (files in and out) ---------------------------------------
    Row("exchange:home", "GET", "302 404 404 200 200 200 200"),
    Row("exchange:upload", "POST", "302 404 404 400 400 404 400"),
    Row("exchange:batch", "GET", "302 404 404 200 404 200 200", kwargs={"batch_id": "batch"}),
    Row("exchange:batch_progress", "GET", "302 404 404 200 404 200 200", kwargs={"batch_id": "batch"}),
    Row("exchange:batch_progress", "GET", "302 404 404 200 404 200 200", kwargs={"batch_id": "batch"}, htmx=True),
    Row("exchange:batch_errors", "GET", "302 404 404 200 404 200 200", kwargs={"batch_id": "batch"}),
    Row("exchange:exports", "GET", "302 404 404 200 200 200 200"),
    Row("exchange:exceptions", "GET", "302 404 404 200 200 200 200"),
    Row("exchange:exception_resolve", "POST", "302 404 404 302 404 404 302", kwargs={"exception_id": "exception"}),
    # --- messaging --------------------------------------------------------
    Row("messaging:reminders", "GET", "302 404 404 200 200 404 200"),
]
# fmt: on
