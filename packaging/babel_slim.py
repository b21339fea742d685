"""Babel's locale data cut to what formatting amounts reads (the bundle's "babel-data" cut).

shopdesk uses Babel for one thing: amounts in the shop's currency as its locale writes them
(`shopdesk.domain.money`). Each of Babel's ~1,150 locale files (32 MB) also holds the names
of every language, territory, script, time zone and unit, and the calendar's words, which
that never reads. `slim` writes copies without those sections (3.8 MB); the test
`tests/core/test_babel_slim.py` formats amounts in every locale with the full and the cut
data and requires the same text, so a Babel upgrade that starts reading a dropped section
fails there, not in a shop.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

DROPPED = (
    "languages", "territories", "scripts", "variants", "time_zones", "meta_zones",
    "zone_formats", "unit_patterns", "unit_display_names", "date_fields", "interval_formats",
    "datetime_skeletons", "compact_decimal_formats", "compact_currency_formats", "months",
    "days", "quarters", "eras", "date_formats", "time_formats", "datetime_formats",
    "day_periods", "periods", "list_patterns",
)


def slim_file(source: Path, target: Path) -> None:
    """`source` (one locale's pickle) without the DROPPED sections, at `target`."""
    if source.suffix != ".dat":  # the licence text: as it is
        shutil.copyfile(source, target)
        return
    with source.open("rb") as handle:
        data = pickle.load(handle)
    for key in DROPPED:
        data.pop(key, None)
    with target.open("wb") as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)


def slim(source_dir: Path, target_dir: Path) -> None:
    """Every file of Babel's `locale-data` folder, cut, into `target_dir`."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for source in source_dir.iterdir():
        slim_file(source, target_dir / source.name)
