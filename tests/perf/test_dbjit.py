"""JIT is off for every PostgreSQL connection unless DATABASE_JIT turns it on."""

import pytest
from django.db import connection

from config.dbjit import jit_off_by_settings


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    assert jit_off_by_settings()
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
