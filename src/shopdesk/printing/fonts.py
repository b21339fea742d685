"""The bundled DejaVu Sans fonts, registered with ReportLab once per process.

DejaVu Sans covers Latin (with every European accent), Greek and Cyrillic, so
names such as "Łukasz Żółć", "Řehoř Dvořák", "Şükrü Güneş", "Αλέξανδρος" and
"Дмитрий" print as typed. ReportLab embeds the subset of glyphs a document uses.

Thread rule: any thread; `register()` takes a lock and is idempotent.
"""

from __future__ import annotations

import threading

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from shopdesk.paths import resources_dir

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"

_lock = threading.Lock()
_done = False


def register() -> None:
    """Register DejaVu Sans (regular and bold) as a family; cheap after the first call."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        folder = resources_dir() / "fonts"
        pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
        _done = True


def text_width(text: str, size: float, bold: bool = False) -> float:
    register()
    return float(pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size))
