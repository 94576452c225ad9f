"""Response headers, cookies and the CSP (ASVS V14.4, V3.4); the production deploy check."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent.parent
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "on...= event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]
# `json_script` renders <script type="application/json">: data, not code, and allowed.
JSON_SCRIPT = re.compile(r"<script[^>]*type=\"application/json\"", re.I)


def csp_directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    parts = [p.strip() for p in header.split(";") if p.strip()]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts}


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client, collector):
    client.force_login(collector)
    response = client.get(reverse("collections:queue"))
    assert csp_directives(response) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_login_page_has_the_policy_and_no_inline_code(client):
    response = client.get(reverse("login"))
    assert csp_directives(response)["script-src"] == "'self'"
    html = response.content.decode()
    for pattern, what in INLINE:
        assert not pattern.search(JSON_SCRIPT.sub("", html)), what


def test_no_template_has_inline_script_or_style():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = JSON_SCRIPT.sub("", path.read_text())
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not offenders, "inline code is blocked by the CSP:\n" + "\n".join(offenders)


@pytest.mark.django_db
def test_swagger_ui_loads_only_same_origin_scripts(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    for attrs in scripts:
        src = re.search(r'src="([^"]+)"', attrs)
        assert src, f"inline script in Swagger UI page: {attrs}"
        assert src.group(1).startswith("/"), src.group(1)
    assert not re.search(r"<script[^>]*>\s*\S", re.sub(r"<script[^>]*src=[^>]*>", "", html))
    init = client.get(reverse("api-docs") + "?script=")
    assert init.status_code == 200
    assert "javascript" in init["Content-Type"]


@pytest.mark.django_db
def test_session_cookie_is_http_only(client, collector):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.slow
def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "SECRET_KEY": "deploy-check-" + "k" * 60,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "collections.example.com",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; import django; django.setup(); "
            "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS, sorted(s.TWO_FACTOR_REQUIRED_ROLES))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert probe.stdout.split(None, 5) == [
        "31536000",
        "True",
        "True",
        "True",
        "DENY",
        "['admin', 'auditor', 'manager']\n",
    ], probe.stderr
