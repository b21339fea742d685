"""PyInstaller hook for Faker: only the providers and locales `shopdesk demo` loads.

Takes the place of pyinstaller-hooks-contrib's hook-faker, which ships every
provider of every locale (about 13 MB of the bundle). The set is found by
running the demo in a fresh interpreter and reading which `faker.providers`
modules it imported, so a locale added to the demo is bundled without editing
this file. ``SHOPDESK_BUNDLE_KEEP=faker-locales`` (or ``all``) ships everything
instead, as the contrib hook does.

A frozen Faker lists providers and locales from files on disk (faker/utils/
loading.py globs ``<_MEIPASS>/faker/providers/*/__init__.py``), so each package's
``__init__.py`` also travels as a data file; the code itself is in the archive.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PyInstaller.config import CONF
from PyInstaller.utils.hooks import collect_data_files, collect_submodules, logger

_KEEP = set(os.environ.get("SHOPDESK_BUNDLE_KEEP", "").split(","))

_TRACE = """
import json, sys
from shopdesk.main import cli_main
code = cli_main(["demo", "--customers", "30", "--data-dir", sys.argv[1]])
if code:
    raise SystemExit(code)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump(sorted(name for name in sys.modules if name.startswith("faker.")), out)
"""


def _demo_faker_modules() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="shopdesk-faker-") as tmp:
        found = Path(tmp) / "modules.json"
        # shopdesk from this checkout's src/, installed or not.
        src = str(Path(__file__).resolve().parents[2] / "src")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [src, os.environ.get("PYTHONPATH")])),
               # a throw-away database: its key from a passphrase (build machines and CI
               # often have no OS keyring)
               "SHOPDESK_DB_PASSPHRASE": "bundle build, throw-away database"}
        done = subprocess.run([sys.executable, "-c", _TRACE, str(Path(tmp) / "data"), str(found)],
                              capture_output=True, text=True, timeout=600, env=env)
        if done.returncode:
            raise SystemExit(f"hook-faker: `shopdesk demo` failed while finding the Faker "
                             f"locales it uses:\n{done.stderr}")
        return list(json.loads(found.read_text(encoding="utf-8")))


if "all" in _KEEP or "faker-locales" in _KEEP:
    hiddenimports = collect_submodules("faker.providers")
    datas = collect_data_files("faker.providers", include_py_files=True)
else:
    hiddenimports = [name for name in _demo_faker_modules() if name.startswith("faker.providers")]
    datas = []
    markers = Path(CONF["workpath"]) / "faker-markers"
    for name in hiddenimports:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            marker = markers.joinpath(*name.split("."), "__init__.py")
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_bytes(b"")
            datas.append((str(marker), name.replace(".", "/")))
    logger.info("hook-faker: %d provider modules of `shopdesk demo`", len(hiddenimports))
