"""Two writers never create duplicate customers (issue 10, item 4).

Real processes on one database file: two command-line imports of the same file at
once, and registrations at the counter while an import runs. One customer per phone
(among customers not merged) must hold afterwards, as it does for one writer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import ValidationError
from shopdesk.shop import Shop


def write_file(path: Path, rows: int, prefix: str = "7400") -> list[str]:
    phones = [f"+44{prefix}{n:06d}" for n in range(rows)]
    path.write_text("first_name,last_name,phone\n" + "".join(
        f"Person{n},Racer,{phone}\n" for n, phone in enumerate(phones)), encoding="utf-8")
    return phones


def start_import(home: Path, source: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shopdesk", "import", "customers", str(source),
         "--rejects", str(source.with_suffix(f".{os.urandom(4).hex()}.rejects.csv")),
         "--data-dir", str(home)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def phone_counts(home: Path) -> Counter[str]:
    with Shop.open(home) as shop, shop.store.read() as session:
        rows = session.connection().exec_driver_sql(
            "SELECT phone FROM customers WHERE merged_into IS NULL").all()
    return Counter(r[0] for r in rows)


def test_two_imports_of_the_same_file_at_once(shop: Shop, tmp_path: Path) -> None:
    source = tmp_path / "same.csv"
    phones = write_file(source, 6000)
    first, second = start_import(shop.root, source), start_import(shop.root, source)
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert {first.returncode, second.returncode} <= {0, 3}, results
    counts = phone_counts(shop.root)
    assert max(counts.values()) == 1, "a phone was imported twice"
    assert set(counts) == set(phones)
    imported = sum(int(out.split("imported ")[1].split(" of")[0]) for out, _ in results)
    assert imported == 6000  # each row went in once, by one of the two
    assert shop.audit.verify().ok


def test_registrations_during_an_import(shop: Shop, tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    phones = write_file(source, 12000)
    importer = start_import(shop.root, source)
    assert importer.stderr is not None
    # Register once the import is under way (its first progress line), with phones
    # from the end of its file, which it inserts last.
    started = importer.stderr.readline()
    assert "importing" in started, started
    registered = rejected = 0
    for phone in phones[-2000::10]:
        try:
            shop.customers.register(CustomerInput(first_name="Walk", last_name="In",
                                                  phone=phone))
            registered += 1
        except ValidationError as exc:  # the import got there first
            assert exc.errors[0].rule == "unique"
            rejected += 1
    out, err = importer.communicate(timeout=300)
    assert importer.returncode in (0, 3), err
    assert registered > 0, "the import finished before the counter registered anyone"
    counts = phone_counts(shop.root)
    assert max(counts.values()) == 1, "a phone was registered and imported"
    assert set(counts) == set(phones)
    assert f"rejected {registered} rows" in out or registered == 0
    assert shop.audit.verify().ok
