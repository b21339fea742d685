"""The bundle's cut of Babel's locale data writes every amount as the full data does.

`packaging/babel_slim.py` drops the sections of each locale file that formatting amounts
never reads (the bundle's "babel-data" cut). If a Babel upgrade starts reading one of them,
this test fails here instead of a receipt failing in a shop.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import babel
import babel.localedata as localedata
import pytest

from shopdesk.domain import money

ROOT = Path(__file__).resolve().parents[2]


def _babel_slim() -> ModuleType:
    # By path: `packaging` is also the name of a PyPI package.
    spec = importlib.util.spec_from_file_location(
        "babel_slim", ROOT / "packaging" / "babel_slim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _written() -> dict[str, str]:
    localedata._cache.clear()
    money._locale.cache_clear()
    out = {}
    for name in localedata.locale_identifiers():
        for currency in ("EUR", "JPY"):
            out[f"{name} {currency}"] = money.format_money(
                Decimal("-1234567.50"), currency, name)
    for region in ("GB", "FR", "DE", "IN", "BR", "US", "JP", "PL"):
        out[f"default {region}"] = money.default_locale(region)
    return out


@pytest.fixture
def restored() -> Iterator[None]:
    full = localedata._dirname
    yield
    localedata._dirname = full
    localedata._cache.clear()
    money._locale.cache_clear()


def test_the_cut_locale_data_writes_every_amount_the_same(tmp_path: Path,
                                                          restored: None) -> None:
    source = Path(babel.__file__).parent / "locale-data"
    full = _written()
    _babel_slim().slim(source, tmp_path / "locale-data")
    size = sum(p.stat().st_size for p in (tmp_path / "locale-data").iterdir())
    localedata._dirname = str(tmp_path / "locale-data")
    cut = _written()
    assert len(full) > 2000
    assert {k: v for k, v in cut.items() if v != full[k]} == {}
    assert size < sum(p.stat().st_size for p in source.iterdir()) / 4
