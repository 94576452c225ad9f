"""Synthetic placement files, for the benchmark command and the tests (valid by construction:
real area codes, valid exchanges, ISO codes)."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator

from .placements import COLUMNS

_US = [("NY", "212"), ("CA", "415"), ("TX", "512"), ("IL", "312"), ("FL", "305"), ("WA", "206")]
_CN = ["BJ", "SH", "GD", "ZJ", "SC"]
_FIRST = ["James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Emma"]
_LAST = ["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Moore"]
_CN_NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨磊"]
_PRODUCTS = ["credit_card", "personal_loan", "student_loan", "mortgage", "other"]


def placement_rows_generate(
    *, rows: int, seed: int = 7, creditor: str = "Bench Bank"
) -> Iterator[dict[str, str]]:
    """`rows` accounts; every third customer holds two accounts (same customer_id)."""
    rng = random.Random(seed)
    customer = 0
    written = 0
    while written < rows:
        customer += 1
        accounts = 2 if customer % 3 == 0 else 1
        china = customer % 5 == 0
        if china:
            region = rng.choice(_CN)
            person = {
                "full_name": rng.choice(_CN_NAMES),
                "country": "CN",
                "region": region,
                "city": "",
                "preferred_language": "zh-hans",
                "mobile": f"+86 138 {customer % 10000:04d} {customer // 10000 % 10000:04d}",
                "email": "",
                "wechat": f"wx_{customer}",
            }
            product_choices = ["credit_card", "online_loan", "personal_loan"]
        else:
            region, area = rng.choice(_US)
            line = customer % 10_000_000
            person = {
                "full_name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                "country": "US",
                "region": region,
                "city": "Springfield",
                "preferred_language": "en",
                "mobile": f"({area}) {736 + line // 10000 % 200:03d}-{line % 10000:04d}",
                "email": f"customer{customer}@example.com",
                "wechat": "",
            }
            product_choices = _PRODUCTS
        for n in range(accounts):
            if written >= rows:
                break
            written += 1
            balance = rng.randint(10_000, 2_000_000)
            yield {
                "creditor": creditor,
                "account_number": f"A{customer:09d}-{n}",
                "customer_id": f"C{customer:09d}",
                **person,
                "postal_code": "12345",
                "address": f"{customer} Main Street",
                "date_of_birth": f"19{60 + customer % 40}-0{1 + customer % 9}-1{customer % 9}",
                "product": rng.choice(product_choices),
                "currency": "CNY" if china else "USD",
                "principal": f"{balance * 1.2 / 100:.2f}",
                "balance": f"{balance / 100:.2f}",
                "days_past_due": str(rng.randint(1, 400)),
            }


def rows_to_csv(rows: Iterator[dict[str, str]] | list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
