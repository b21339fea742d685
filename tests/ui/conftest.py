"""Fixtures for the Qt tests: a real shop in tmp_path, real widgets, offscreen.

The `shop` fixture (owner signed in) comes from tests/conftest.py; here we add
a few registered customers and a main window whose worker threads are joined
(and checked for leaks) when each test ends.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
import threading
from collections.abc import Iterator
from uuid import UUID

import pytest

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from shopdesk.ui.app import build_main_window
from shopdesk.ui.main_window import MainWindow

PEOPLE = [
    CustomerInput(first_name="Ana", last_name="López", phone="+44 7400 123456",
                  email="ana.lopez@example.com", city="Leeds", postcode="LS1 4AP"),
    CustomerInput(first_name="Jürgen", last_name="Müller", phone="+49 151 23456789",
                  email="juergen@example.de", city="Berlin", country="DE"),
    CustomerInput(first_name="Chloé", last_name="Dubois", phone="+33 6 12 34 56 78",
                  city="Lyon", country="FR", preferred_contact="whatsapp"),
]


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("shopdesk-")]


@pytest.fixture
def customers(shop: Shop) -> dict[str, UUID]:
    """Three registered customers, by last name."""
    return {p.last_name: shop.customers.register(p).customer.id for p in PEOPLE}


def open_window(qtbot, shop: Shop) -> MainWindow:  # type: ignore[no-untyped-def]
    window = build_main_window(shop)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.is_ready)
    return window


@pytest.fixture
def window(qtbot, shop: Shop, customers: dict[str, UUID]) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = open_window(qtbot, shop)
    yield win
    win.shutdown()
    assert worker_threads() == []


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    yield
    assert worker_threads() == [], "a TaskManager was not shut down"


@pytest.fixture(autouse=True, scope="session")
def _collect_on_gui_thread() -> Iterator[None]:
    # As the app does (shopdesk.ui.common.gc): no automatic collection, which could
    # run on a worker thread and destroy Qt widgets there.
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    yield
    gc.collect()
