"""import_placements and bench_import from the command line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from collections_app.models import Debt

from .conftest import dict_csv
from .test_pages import PLACEMENT

pytestmark = [pytest.mark.django_db]


def test_import_placements_imports_a_file_for_a_team(tmp_path, manager, team):
    path = tmp_path / "p.csv"
    path.write_bytes(dict_csv([PLACEMENT]))
    out = StringIO()
    call_command("import_placements", str(path), "--team", "US Team", "--as", "morgan", stdout=out)
    assert "succeeded" in out.getvalue()
    assert Debt.objects.get().account_number == "ACC-1"


def test_import_placements_fails_loudly_and_lists_the_row_errors(tmp_path, manager, team):
    path = tmp_path / "p.csv"
    path.write_bytes(dict_csv([{**PLACEMENT, "balance": "lots"}]))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_placements", str(path), "--team", "US Team", "--as", "morgan", stderr=err
        )
    assert "row 2 balance:" in err.getvalue()
    assert Debt.objects.count() == 0


def test_import_placements_refuses_a_collector(tmp_path, collector, team):
    path = tmp_path / "p.csv"
    path.write_bytes(dict_csv([PLACEMENT]))
    with pytest.raises(CommandError):
        call_command("import_placements", str(path), "--team", "US Team", "--as", "alice")


def test_bench_import_times_a_generated_file(db):
    out = StringIO()
    call_command("bench_import", "--rows", "30", stdout=out)
    assert "imported in" in out.getvalue()
    assert Debt.objects.filter(creditor="Benchmark Bank").count() == 30
