"""shopdesk.spec ships every file the app loads from disk at run time (issue 14).

The spec is run here as PyInstaller runs it, with PyInstaller's build classes
replaced by recorders, so the test sees exactly what the spec would hand to
`Analysis`. The files the app loads are found in the source itself: every
folder `paths._shipped()` is asked for, every file a module finds next to itself
(`Path(__file__).with_name(...)`), and every non-Python file in the package. A
new resource therefore fails this test until the bundle carries it. (The bundle
build itself runs in CI: scripts/build_bundle.py.)
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "shopdesk"


class Recorder:
    """Stands in for one of PyInstaller's build classes; remembers its arguments."""

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    distpath = Path()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        Recorder.calls.append((type(self).__name__, args, kwargs))
        self.scripts: list[Any] = []
        self.pure: list[Any] = []
        self.binaries: list[Any] = []
        self.datas: list[Any] = []
        if type(self).__name__ == "COLLECT":
            (Recorder.distpath / kwargs["name"]).mkdir(parents=True, exist_ok=True)


def _stub(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: Any) -> None:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)


def run_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
             keep: str = "") -> dict[str, Any]:
    """Executes shopdesk.spec with recorders; returns its namespace."""
    for name in ("PyInstaller", "PyInstaller.utils"):
        _stub(monkeypatch, name)
    _stub(monkeypatch, "PyInstaller.utils.hooks",
          collect_submodules=lambda package: [f"{package} (all submodules)"])
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("SHOPDESK_BUNDLE_KEEP", keep)
    Recorder.calls = []
    Recorder.distpath = tmp_path / "dist"
    names = ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")
    namespace: dict[str, Any] = {name: type(name, (Recorder,), {}) for name in names}
    namespace.update(SPECPATH=str(ROOT), DISTPATH=str(Recorder.distpath),
                     workpath=str(tmp_path / "build"), __name__="spec")
    source = (ROOT / "shopdesk.spec").read_text(encoding="utf-8")
    exec(compile(source, "shopdesk.spec", "exec"), namespace)
    return namespace


@pytest.fixture
def spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """What shopdesk.spec passes to each build step, by class name."""
    run_spec(monkeypatch, tmp_path)
    found: dict[str, Any] = {}
    for kind, args, kwargs in Recorder.calls:
        found.setdefault(kind, []).append((args, kwargs))
    return found


def shipped(spec: dict[str, Any]) -> set[tuple[Path, str]]:
    """(source file, folder inside the bundle) for every data file of the Analysis."""
    [(_args, kwargs)] = spec["Analysis"]
    return {(Path(src).resolve(), Path(dest).as_posix()) for src, dest in kwargs["datas"]}


def _sources() -> list[tuple[Path, str]]:
    return [(path, path.read_text(encoding="utf-8")) for path in PACKAGE.rglob("*.py")]


def test_every_shipped_folder_travels_whole(spec: dict[str, Any]) -> None:
    folders = {name for _path, text in _sources()
               for name in re.findall(r"""_shipped\(\s*["']([^"']+)["']\s*\)""", text)}
    assert {"migrations", "resources"} <= folders  # what paths.py asks for today
    datas = shipped(spec)
    for name in folders:
        files = [p for p in (ROOT / name).rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
        assert files, f"{name}/ is empty"
        for path in files:
            where = Path("shopdesk", name, path.relative_to(ROOT / name).parent).as_posix()
            assert (path.resolve(), where) in datas, f"{path} is not in the bundle"
    # Both alembic histories and the fonts, by name, in case the walk above ever breaks.
    wanted = [ROOT / "migrations" / "env.py", ROOT / "migrations" / "central" / "env.py",
              ROOT / "resources" / "fonts" / "DejaVuSans.ttf",
              ROOT / "resources" / "icons" / "shopdesk.png"]
    assert {p.resolve() for p in wanted} <= {src for src, _dest in datas}


def test_files_next_to_modules_travel_with_them(spec: dict[str, Any]) -> None:
    datas = shipped(spec)
    beside = re.compile(r"""Path\(__file__\)[^\n]*?(?:with_name\(|/\s*)["']([^"']+\.\w+)["']""")
    referenced = [(module.parent / name) for module, text in _sources()
                  for name in beside.findall(text)]
    # The style sheet's combo-box arrow, wherever ui/ keeps it.
    from shopdesk.ui.common import style

    arrow = Path(style.STYLE.split("image:url(")[1].split(")")[0])
    assert arrow.is_file(), f"the style sheet's arrow {arrow} is missing"
    assert arrow in referenced
    non_python = [p for p in PACKAGE.rglob("*") if p.is_file()
                  and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    for path in {*referenced, *non_python}:
        assert path.is_file(), f"{path} is referenced but does not exist"
        where = path.relative_to(PACKAGE.parent).parent.as_posix()
        assert (path.resolve(), where) in datas, f"{path} is not in the bundle at {where}"


def test_hidden_imports_cover_dynamic_loading(spec: dict[str, Any]) -> None:
    [(_args, kwargs)] = spec["Analysis"]
    hidden = kwargs["hiddenimports"]
    assert "shopdesk (all submodules)" in hidden  # survives moving modules around
    assert "reportlab.graphics.barcode (all submodules)" in hidden
    assert "psycopg_binary" in hidden
    # Alembic runs the migration files from disk: what they import is named.
    assert "shopdesk.db.capture" in hidden and "alembic.op" in hidden
    assert not any(name.startswith("__future__") for name in hidden)
    assert (ROOT / "packaging" / "hooks" / "hook-faker.py").is_file()
    assert kwargs["hookspath"] == [str(ROOT / "packaging" / "hooks")]
    for test_only in ("pytest", "hypothesis", "mypy", "sqlalchemy.testing", "tkinter"):
        assert test_only in kwargs["excludes"]


def test_two_programs_share_one_folder(spec: dict[str, Any]) -> None:
    [(args, _kwargs)] = spec["Analysis"]
    assert Path(args[0][0]).is_file()
    programs = {kwargs["name"]: kwargs for _args, kwargs in spec["EXE"]}
    assert programs["shopdesk"]["console"] is False
    for kwargs in programs.values():
        assert Path(kwargs["icon"]).is_file()
    [(_args, collect)] = spec["COLLECT"]
    assert collect["name"] == "shopdesk"
    if sys.platform.startswith("linux"):
        link = Recorder.distpath / "shopdesk" / "shopdesk-cli"
        assert link.is_symlink() and link.readlink() == Path("shopdesk")
    else:
        assert programs["shopdesk-cli"]["console"] is True
    assert ("BUNDLE" in spec) == (sys.platform == "darwin")


LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="system libraries are left out of Linux bundles only")


@LINUX_ONLY
def test_libraries_left_to_the_system_take_only_what_they_alone_needed(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CUPS and libdbus-1 come from the system: what only they linked leaves the bundle with
    them, what anything kept links stays, and KEEP brings them back."""
    namespace = run_spec(monkeypatch, tmp_path)
    links = {"plugins/libcupsprintersupport.so": {"libcups.so.2", "libz.so.1"},
             "libcups.so.2": {"libgnutls.so.30", "libz.so.1"},
             "libgnutls.so.30": {"libunistring.so.2", "libz.so.1"},
             "libunistring.so.2": set(), "libz.so.1": set(),
             "Qt/lib/libQt6DBus.so.6": {"libdbus-1.so.3"},
             "libdbus-1.so.3": {"libsystemd.so.0"}, "libsystemd.so.0": {"libz.so.1"}}
    monkeypatch.setitem(namespace, "_linked", lambda path: links[path])
    binaries = [(name, name, "BINARY") for name in links]
    kept = namespace["_without_orphans"](namespace["_kept"](binaries))
    assert {dest for dest, _src, _kind in kept} == {
        "plugins/libcupsprintersupport.so", "libz.so.1", "Qt/lib/libQt6DBus.so.6"}

    everything = run_spec(monkeypatch, tmp_path, keep="cups-from-system,dbus-from-system")
    monkeypatch.setitem(everything, "_linked", lambda path: links[path])
    kept = everything["_without_orphans"](everything["_kept"](binaries))
    assert {dest for dest, _src, _kind in kept} == set(links)


@LINUX_ONLY
def test_linked_reads_what_a_library_names_not_what_ldd_resolves(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ldd would list libdbus-1's own libsystemd for QtDBus, and keep it in the bundle."""
    import PySide6

    qt_dbus = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6DBus.so.6"
    linked = run_spec(monkeypatch, tmp_path)["_linked"](str(qt_dbus))
    assert "libdbus-1.so.3" in linked and "libQt6Core.so.6" in linked
    assert "libsystemd.so.0" not in linked


def test_every_cut_can_be_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    namespace = run_spec(monkeypatch, tmp_path)
    cuts = namespace["CUTS"]
    for name in ("qt-wayland", "cups-from-system", "dbus-from-system", "readline",
                 "sqlalchemy-dialects", "qt-dbus-binding", "desktop-libs-from-system"):
        assert name in cuts and name in namespace["active"]
    dropped = namespace["_dropped"]
    for path in ("PySide6/Qt/plugins/platforms/libqwayland.so",
                 "PySide6/Qt/lib/libQt6WaylandClient.so.6",
                 "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
                 "libcups.so.2", "libdbus-1.so.3", "libglib-2.0.so.0", "libgthread-2.0.so.0",
                 "libX11.so.6", "libfontconfig.so.1", "libfreetype.so.6"):
        assert dropped(path), path
    # What the window needs stays: the X11 platform plugin and Qt's own D-Bus library.
    for path in ("PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/lib/libQt6DBus.so.6",
                 "PySide6/Qt/lib/libQt6XcbQpa.so.6", "PySide6/plugins/platforms/qwindows.dll",
                 "libX11-xcb.so.1", "libxcb-cursor.so.0", "libxkbcommon.so.0",
                 "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so"):
        assert not dropped(path), path
    assert "readline" in namespace["excludes"]
    kept = run_spec(monkeypatch, tmp_path, keep="all")
    assert not kept["dropped_paths"] and not kept["excludes"]
