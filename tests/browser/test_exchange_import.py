"""A manager uploads a placement file, watches the import progress, and reads the row errors."""

import csv
import io

from exchange.models import ImportBatch
from exchange.services.batches import batch_run

from .conftest import login, screenshot

GOOD = [
    "First Example Bank",
    "ACC-{n}",
    "Jane Roe {n}",
    "US",
    "NY",
    "(212) 736-12{n:02d}",
    "credit_card",
    "100.00",
]


def placement_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "creditor",
            "account_number",
            "full_name",
            "country",
            "region",
            "mobile",
            "product",
            "balance",
        ]
    )
    for n in range(1, 6):
        writer.writerow([cell.format(n=n) for cell in GOOD])
    writer.writerow(
        ["First Example Bank", "BAD-1", "No Phone", "US", "NY", "555", "credit_card", "1"]
    )
    writer.writerow(["First Example Bank", "BAD-2", "", "XX", "", "", "boat", "-3"])
    return out.getvalue().encode()


def test_a_manager_uploads_sees_progress_and_the_error_report(
    page, manager, monkeypatch, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    # The worker is this test: the job runs when the test says so, while the page polls.
    monkeypatch.setattr("exchange.tasks.import_run.delay", lambda batch_id: None)
    login(page, "morgan")
    page.goto(f"{page.base_url}/exchange/")
    assert page.locator("h1").inner_text() == "Data exchange"
    screenshot(page, "exchange-home")
    page.select_option("#id_kind", "placements")
    page.set_input_files(
        "#id_file",
        {"name": "placements.csv", "mimeType": "text/csv", "buffer": placement_csv()},
    )
    page.click("text=Upload and import")
    page.wait_for_url("**/exchange/batches/*/")
    assert page.locator("#batch-progress").get_attribute("data-status") == "pending"
    screenshot(page, "exchange-import-waiting")

    batch = ImportBatch.objects.get()
    batch_run(batch_id=batch.pk)

    page.wait_for_selector("#batch-progress[data-status=rejected]", timeout=10000)
    assert "Nothing was imported" in page.inner_text("#batch-progress")
    assert "2 rows with errors" in page.inner_text("#batch-progress")
    cells = page.locator("table.errors tbody tr").all_inner_texts()
    assert any("mobile" in c for c in cells)
    assert any("country" in c for c in cells)
    with page.expect_download() as download:
        page.click("text=Download the error report (CSV)")
    report = download.value.path().read_text(encoding="utf-8-sig")
    assert report.splitlines()[0] == "row,column,value,problem"
    assert len(report.splitlines()) == 1 + len(cells)
    screenshot(page, "exchange-import-errors")
