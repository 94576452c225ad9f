"""Test settings. The database comes from DATABASE_URL (PostgreSQL in CI; see Makefile)."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "mFq2xH3o2cXbQ9y0wY8a7r1lK6tZ5sV4uN3pJ2iH1gE=")

from .base import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_BEAT_SCHEDULE = {}
# Unit tests never need a broker; integration tests start a real worker against REDIS_URL.
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default="memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
# Security features that would make unrelated tests depend on timing are off here; the tests
# in tests/security and tests/accounts switch them on with override_settings.
SESSION_IDLE_TIMEOUT = 0
TWO_FACTOR_REQUIRED_ROLES: list[str] = []
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"token": "10000/min", "compliance": "100000/min"}
