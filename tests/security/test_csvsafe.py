from decimal import Decimal

import pytest

from config.csvsafe import csv_safe, csv_safe_row


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "\uff1d1+1",
    ],
)
def test_formula_cells_become_text(cell):
    assert csv_safe(cell) == "'" + cell


def test_ordinary_values_pass_through():
    assert csv_safe("Zhang Wei") == "Zhang Wei"
    assert csv_safe("+8613800138000 (mobile)").startswith("'")
    assert csv_safe(Decimal("-12.50")) == Decimal("-12.50")
    assert csv_safe(-3) == -3
    assert csv_safe(None) is None
    assert csv_safe_row(["=cmd", 1, "ok"]) == ["'=cmd", 1, "ok"]
