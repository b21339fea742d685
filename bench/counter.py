"""The counter's day at the keyboard: keys per task on the real window, offscreen.

    QT_QPA_PLATFORM=offscreen python bench/counter.py [--customers 2000] [--sample 40]
                                                       [--data-dir DIR] [--markdown]

Builds (or reuses) a `shopdesk demo` database, copies it so every run starts from
the same data, signs in as the demo owner and drives the real `MainWindow` at
1366 x 768 with QTest key events, as a clerk would: the data is typed, and every
other key (Tab, Enter, Down, Space, a shortcut) is counted. For each task it
prints the keys used beyond the data typed and whether the right result came
first (the right customer, device or ticket opened; the right state reached).

How a step is reached is decided by trying, in order, what a clerk who knows the
app would press: a shortcut the screen offers (F5, F8, Ctrl+P, Enter on a form);
a shortcut that does nothing is not counted, and the bench then walks the focus
chain with Tab (each Tab counted) to the control and presses Space. So the same
script measures any version of the window, before and after a change.

The search tasks run over a sample of customers (`--sample`); the rest once.
Timings are not measured here (see bench/search.py for latency).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from uuid import UUID

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import phonenumbers
from PySide6.QtCore import QDeadlineTimer, QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget
from sqlalchemy import func, select

# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk import paths
from shopdesk.cli import main as cli_main
from shopdesk.domain.imei import luhn_check_digit
from shopdesk.models import Customer, Device, RepairTicket
from shopdesk.shop import Shop
from shopdesk.ui.app import application, build_main_window
from shopdesk.ui.main_window import MainWindow

SIZE = (1366, 768)
OWNER, PIN = "owner", "1234"
MAX_TABS = 80
Key = Qt.Key
Mod = Qt.KeyboardModifier


class Unreachable(Exception):
    """The control could not be reached by keys (or the step did not happen)."""


def wait_until(condition: Callable[[], bool], timeout_ms: int = 8000) -> bool:
    deadline = QDeadlineTimer(timeout_ms)
    while not condition():
        if deadline.hasExpired():
            return False
        QTest.qWait(5)
    return True


def settle(ms: int = 30) -> None:
    QTest.qWait(ms)


class Keyboard:
    """Sends key events where a clerk's keys would land; counts the non-data ones."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.count = 0
        self.how: list[str] = []

    def reset(self) -> None:
        self.count = 0
        self.how = []

    def target(self) -> QWidget:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        return app.activePopupWidget() or app.focusWidget() or self.window

    def press(self, key: Key, mod: Mod = Mod.NoModifier, label: str = "",
              counted: bool = True) -> None:
        QTest.keyClick(self.target(), key, mod)
        settle(10)
        if counted:
            self.count += 1
            self.how.append(label or _key_name(key, mod))

    def type(self, text: str) -> None:
        """Data: typed character by character, not counted."""
        for char in text:
            target = self.target()
            # The key and the text it types, as a keyboard sends them (QTest's own
            # char overload is ASCII-only and its key codes type capitals).
            key = ord(char.upper()) if char.isascii() and char.isalpha() else \
                ord(char) if char.isascii() else 0
            mod = Mod.ShiftModifier if char.isupper() else Mod.NoModifier
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(target, QKeyEvent(kind, key, mod, char))
        settle(10)

    def focused(self) -> QWidget | None:
        return QApplication.focusWidget()

    def reach(self, widget: QWidget) -> None:
        """Focus `widget` as a clerk would: Tab when it is next, else its label's
        Alt+letter (a mnemonic) when it has one, else Tab until it is reached."""
        now = self.focused()
        if now is not None and (now is widget or widget.isAncestorOf(now)):
            return
        if now is not None and next_stop(now) is not widget:
            letter = mnemonic(widget)
            if letter and self.try_shortcut(Qt.Key(ord(letter.upper())), Mod.AltModifier,
                                            lambda: self.focused() is widget,
                                            f"Alt+{letter.upper()}", 500):
                return
        self.tab_to(widget)

    def in_chain_order(self, widgets: Sequence[QWidget]) -> list[QWidget]:
        """`widgets` in the order Tab visits them from the focus (a form's reading order)."""
        order: dict[int, int] = {}
        current = self.focused() or self.window
        for step in range(2000):
            if id(current) not in order:
                order[id(current)] = step
            nxt = current.nextInFocusChain()
            if nxt is None or nxt is (self.focused() or self.window):
                break
            current = nxt
        return sorted(widgets, key=lambda w: order.get(id(w), 10_000))

    def tab_to(self, widget: QWidget) -> int:
        """Press Tab until `widget` (or a child of it) has focus; returns the Tabs."""
        tabs = 0
        while True:
            now = self.focused()
            if now is not None and (now is widget or widget.isAncestorOf(now)):
                if tabs:
                    self.how.append(f"Tab×{tabs}")
                return tabs
            if tabs >= MAX_TABS:
                raise Unreachable(f"{type(widget).__name__} not reached in {MAX_TABS} Tabs")
            QTest.keyClick(self.target(), Key.Key_Tab)
            settle(5)
            tabs += 1
            self.count += 1

    def try_shortcut(self, key: Key, mod: Mod, done: Callable[[], bool], label: str,
                     timeout_ms: int = 1500) -> bool:
        """Press a shortcut; counted only when it did what it should."""
        QTest.keyClick(self.target(), key, mod)
        if wait_until(done, timeout_ms):
            self.count += 1
            self.how.append(label)
            return True
        return False

    def activate(self, widget: QWidget, done: Callable[[], bool]) -> None:
        """Tab to a button and press Space (counted), then wait for `done`."""
        self.tab_to(widget)
        self.press(Key.Key_Space, label="Space")
        if not wait_until(done):
            raise Unreachable(f"{type(widget).__name__} did not act")


def next_stop(widget: QWidget) -> QWidget | None:
    """The widget Tab would focus after `widget`."""
    current = widget.nextInFocusChain()
    for _ in range(2000):
        if current is None or current is widget:
            return None
        if (current.focusPolicy() & Qt.FocusPolicy.TabFocus) and current.isVisible() \
                and current.isEnabled() and current.window() is widget.window():
            return current
        current = current.nextInFocusChain()
    return None


def mnemonic(widget: QWidget) -> str:
    """The letter of a visible label whose buddy is `widget` ('&Estimate' -> 'e'), or ''."""
    for label in widget.window().findChildren(QLabel):
        text = label.text().replace("&&", "")
        if label.buddy() is widget and label.isVisible() and "&" in text:
            letter = text[text.index("&") + 1:][:1]
            if letter.isalnum():
                return letter.lower()
    return ""


def _key_name(key: Key, mod: Mod) -> str:
    names = {Key.Key_Return: "Enter", Key.Key_Tab: "Tab", Key.Key_Down: "Down",
             Key.Key_Space: "Space", Key.Key_Escape: "Esc", Key.Key_Up: "Up"}
    name = names.get(key) or key.name.removeprefix("Key_")
    if mod & Mod.ControlModifier:
        name = "Ctrl+" + name
    return name


@dataclass
class Outcome:
    task: str
    keys: list[int] = field(default_factory=list)  # per attempt (None-free)
    right_first: int = 0
    attempts: int = 0
    misses: int = 0  # the right result was not reachable at all
    how: str = ""
    note: str = ""

    def add(self, keys: int | None, first: bool, how: str = "") -> None:
        self.attempts += 1
        self.right_first += int(first)
        if keys is None:
            self.misses += 1
        else:
            self.keys.append(keys)
        if how and not self.how:
            self.how = how

    def keys_text(self) -> str:
        if not self.keys:
            return "—"
        if self.attempts == 1:
            return str(self.keys[0])
        return (f"{statistics.median(self.keys):g} (mean {statistics.mean(self.keys):.2f},"
                f" max {max(self.keys)})")

    def first_text(self) -> str:
        if self.attempts == 1:
            return "yes" if self.right_first else "no"
        return f"{self.right_first}/{self.attempts} ({100 * self.right_first / self.attempts:.0f}%)"


# -- data ------------------------------------------------------------------------
def demo_dir(customers: int, given: str | None) -> Path:
    if given:
        root = Path(given)
        if not paths.database_path(root).exists():
            cli_main(["demo", "--customers", str(customers), "--data-dir", str(root)])
        return root
    root = Path(tempfile.gettempdir()) / f"shopdesk-counter-demo-{customers}"
    if not paths.database_path(root).exists():
        cli_main(["demo", "--customers", str(customers), "--data-dir", str(root)])
    return root


def typo(word: str, rng: random.Random) -> str:
    """One edit: drop, double, swap or change a letter (never the first letter)."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "swap", "change", "double"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    letters = [c for c in "aeioulnrst" if c != word[i].lower()]
    return word[:i] + rng.choice(letters) + word[i + 1:]


@dataclass(frozen=True)
class Samples:
    surnames: list[tuple[UUID, str]]  # (customer, surname typed with one typo)
    last6: list[tuple[UUID, str]]
    national: list[tuple[UUID, str]]
    device_imei: tuple[UUID, str]
    intake_customer: UUID
    received_ticket: UUID
    ready_ticket: UUID
    region: str
    walk_in_phone: str  # a mobile number of the region no customer has, national format


def pick_samples(shop: Shop, n: int, seed: int = 12) -> Samples:
    rng = random.Random(seed)
    region = shop.settings.get("phone.default_region")
    with shop.store.read() as s:
        rows = s.execute(select(Customer.id, Customer.first_name, Customer.last_name,
                                Customer.phone).where(Customer.is_active)).all()
        surname_count: dict[str, int] = {}
        for r in rows:
            surname_count[r.last_name.lower()] = surname_count.get(r.last_name.lower(), 0) + 1
        last6_count: dict[str, int] = {}
        for r in rows:
            last6_count[r.phone[-6:]] = last6_count.get(r.phone[-6:], 0) + 1
        device = s.execute(select(Device.id, Device.imei).where(Device.imei.is_not(None))
                           .order_by(Device.created_at).limit(1)).one()
        by_status = {}
        for status in ("received", "ready"):  # a ready one as most are: estimated, assigned
            query = select(RepairTicket.id).where(RepairTicket.status == status)
            if status == "ready":
                query = query.where(RepairTicket.technician_id.is_not(None),
                                    RepairTicket.estimate.is_not(None))
            by_status[status] = s.scalar(query.order_by(RepairTicket.updated_at.desc())
                                         .limit(1))
        owners = s.scalar(select(func.count()).select_from(Customer))
    received, ready = by_status["received"], by_status["ready"]
    assert owners and received and ready, "not a demo database"
    unique = [r for r in rows if surname_count[r.last_name.lower()] == 1
              and len(r.last_name) >= 5 and " " not in r.last_name and r.last_name.isalpha()]
    rng.shuffle(unique)
    surnames = [(r.id, typo(r.last_name, rng)) for r in unique[:n]]
    by6 = [r for r in rows if last6_count[r.phone[-6:]] == 1]
    rng.shuffle(by6)
    last6 = [(r.id, r.phone[-6:]) for r in by6[:n]]
    home = [r for r in rows if phonenumbers.region_code_for_number(
        phonenumbers.parse(r.phone)) == region]
    rng.shuffle(home)
    national = [(r.id, phonenumbers.format_number(phonenumbers.parse(r.phone),
                                                  phonenumbers.PhoneNumberFormat.NATIONAL))
                for r in home[:n]]
    return Samples(surnames, last6, national, (device.id, device.imei), rows[0].id,
                   received, ready, region, unused_mobile(region, {r.phone for r in rows}))


def unused_mobile(region: str, taken: set[str]) -> str:
    """The region's example mobile number with other last digits, until nobody has it."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    digits = str(example.national_number)
    for n in range(10_000):
        number = phonenumbers.parse(f"+{example.country_code}{digits[:-4]}{n:04d}")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number) and e164 not in taken:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    raise RuntimeError("no free mobile number")


# -- the tasks -------------------------------------------------------------------
class Counter:
    def __init__(self, window: MainWindow, shop: Shop, samples: Samples) -> None:
        self.w, self.shop, self.s = window, shop, samples
        self.kb = Keyboard(window)

    def home(self) -> None:
        """Start state of a search task: the search page, the box empty and focused."""
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.reject()
        self.w.show_search()
        self.w.search.box.clear()
        self.w.search.box.setFocus()
        wait_until(lambda: not self.w.search.searching)
        settle(20)

    def find(self, name: str, cases: Sequence[tuple[UUID, str]]) -> Outcome:
        out = Outcome(name)
        page = self.w.search
        for customer_id, text in cases:
            self.home()
            self.kb.reset()
            self.kb.type(text)
            wait_until(partial(self._searched, text))
            settle(20)
            ids = list(page.model.ids)
            rank = ids.index(customer_id) if customer_id in ids else None
            if rank is None:
                out.add(None, False)
                continue
            for _ in range(rank):
                self.kb.press(Key.Key_Down)
            self.kb.press(Key.Key_Return)
            ok = wait_until(partial(self._showing, customer_id), 4000)
            out.add(self.kb.count if ok else None, ok and rank == 0, "+".join(self.kb.how))
        return out

    def _searched(self, text: str) -> bool:
        return not self.w.search.searching and self.w.search.box.text() == text

    def _showing(self, customer_id: UUID) -> bool:
        profile = self.w.profile.profile
        return self.w.stack.currentWidget() is self.w.profile and profile is not None \
            and profile.summary.id == customer_id

    def open_device(self, name: str, text: str, device_id: UUID) -> Outcome:
        out = Outcome(name)
        self.home()
        self.kb.reset()
        self.kb.type(text)
        self.kb.press(Key.Key_Return)
        ok = wait_until(lambda: self.w.stack.currentWidget() is self.w.device
                        and self.w.device.device_id == device_id, 4000) \
            if hasattr(self.w.device, "device_id") else wait_until(
                lambda: self.w.stack.currentWidget() is self.w.device, 4000)
        page = self.w.stack.currentWidget()
        out.add(self.kb.count if ok else None, ok, "+".join(self.kb.how))
        if not ok:
            out.note = f"opened the {type(page).__name__}"
        return out

    def register_walk_in(self) -> Outcome:
        out = Outcome("register a walk-in (name, surname, mobile)")
        self.home()
        self.kb.reset()
        form = self.w.form
        self.kb.press(Key.Key_N, Mod.ControlModifier, "Ctrl+N")
        if not wait_until(lambda: self.w.stack.currentWidget() is form, 2000):
            out.add(None, False)
            return out
        national = self.s.walk_in_phone
        try:
            for name, value in (("first_name", "Walter"), ("last_name", "Inglewood"),
                                ("phone", national)):
                self.kb.reach(form.fields[name].input)
                self.kb.type(value)
            saved = lambda: self.w.stack.currentWidget() is self.w.profile  # noqa: E731
            if not self.kb.try_shortcut(Key.Key_Return, Mod.NoModifier, saved, "Enter"):
                self.kb.press(Key.Key_S, Mod.ControlModifier, "Ctrl+S")
            ok = wait_until(lambda: saved() and self.w.profile.profile is not None
                            and self.w.profile.profile.summary.name == "Walter Inglewood")
        except Unreachable as exc:
            ok, out.note = False, str(exc)
        if not ok and not out.note:
            out.note = form.general.text() or "not saved"
        out.add(self.kb.count if ok else None, ok, "+".join(self.kb.how))
        return out

    def intake(self) -> Outcome:
        out = Outcome("single-device intake, existing customer")
        self.home()
        with QSignal(self.w.profile.loaded):
            self.w.open_customer(self.s.intake_customer)
        self.kb.reset()
        page = self.w.intake
        self.kb.press(Key.Key_T, Mod.ControlModifier, "Ctrl+T")
        if not wait_until(lambda: self.w.stack.currentWidget() is page
                          and page.picker.customer_id == self.s.intake_customer, 3000):
            out.add(None, False)
            return out
        entry = page.entries[0]
        body = "35209900" + "123456"
        data = [(entry.line("make"), "Fairphone"), (entry.line("model"), "5"),
                (entry.line("imei"), body + str(luhn_check_digit(body))),
                (entry.line("fault"), "Cracked screen"), (page.estimate, "89.00"),
                (page.deposit, "20")]
        before = self.w.ticket.ticket_id
        values = {id(w): v for w, v in data}
        try:
            for widget in self.kb.in_chain_order([w for w, _v in data]):
                self.kb.reach(widget)
                self.kb.type(values[id(widget)])
            self.kb.press(Key.Key_Return, Mod.ControlModifier, "Ctrl+Enter")
            ok = wait_until(lambda: self.w.stack.currentWidget() is self.w.ticket
                            and self.w.ticket.detail is not None
                            and self.w.ticket.ticket_id != before)
        except Unreachable as exc:
            ok, out.note = False, str(exc)
        out.add(self.kb.count if ok else None, ok, "+".join(self.kb.how))
        return out

    def _open_ticket(self, ticket_id: UUID) -> None:
        self.home()
        with QSignal(self.w.ticket.loaded):
            self.w.open_ticket(ticket_id)
        self.activate()

    def activate(self) -> None:
        """Setup, not counted: the window active again if a stray widget took it."""
        if QApplication.activeWindow() is not self.w:
            focus = self.w.focusWidget()
            self.w.activateWindow()
            wait_until(lambda: QApplication.activeWindow() is self.w, 2000)
            if focus is not None:
                focus.setFocus()
        settle(50)

    def move_one_step(self) -> Outcome:
        out = Outcome("move a ticket one step (received → next)")
        ticket_id = self.s.received_ticket
        self._open_ticket(ticket_id)
        page = self.w.ticket
        self.kb.reset()
        moved = lambda: page.detail is not None and page.detail.summary.status != "received"  # noqa: E731
        try:
            if not self.kb.try_shortcut(Key.Key_F5, Mod.NoModifier, moved, "F5"):
                first = next(iter(page.status_buttons.values()))
                self.kb.activate(first, moved)
            ok = True
        except Unreachable as exc:
            ok, out.note = False, str(exc)
        out.add(self.kb.count if ok else None, ok, "+".join(self.kb.how))
        if ok and page.detail is not None:
            out.note = f"now {page.detail.summary.status}"
        return out

    def pickup(self, amount: str = "89.00") -> Outcome:
        out = Outcome(f"pickup of a ready ticket (amount {amount} typed)")
        ticket_id = self.s.ready_ticket
        self._open_ticket(ticket_id)
        page = self.w.ticket
        self.kb.reset()
        opened = lambda: page.pickup_dialog is not None and page.pickup_dialog.isVisible()  # noqa: E731
        collected = lambda: page.detail is not None and page.detail.summary.status == "collected"  # noqa: E731
        try:
            if not self.kb.try_shortcut(Key.Key_F8, Mod.NoModifier, opened, "F8"):
                self.kb.activate(page.pickup_button, opened)
            dialog = page.pickup_dialog
            assert dialog is not None
            wait_until(lambda: dialog.isActiveWindow() or QApplication.focusWidget()
                       is dialog.final_amount, 1000)
            # as a clerk reads the dialog: a preselected method arrives in a moment
            wait_until(lambda: bool(dialog.payment.currentData()), 1000)
            self.kb.reach(dialog.final_amount)
            if dialog.final_amount.selectedText() != dialog.final_amount.text():
                self.kb.press(Key.Key_A, Mod.ControlModifier, "Ctrl+A")
            self.kb.type(amount)
            if not dialog.payment.currentData():
                self.kb.reach(dialog.payment)
                self.kb.press(Key.Key_Down)
            tech = getattr(dialog, "technician", None)
            if tech is not None and tech.isVisible() and not tech.currentData():
                self.kb.reach(tech)
                self.kb.press(Key.Key_Down)
            self.kb.press(Key.Key_Return)
            ok = wait_until(collected)
            if not ok:
                out.note = dialog.error.text()
        except Unreachable as exc:
            ok, out.note = False, str(exc)
        out.add(self.kb.count if ok else None, ok, "+".join(self.kb.how))
        return out

    def print_receipt(self) -> Outcome:
        out = Outcome("receipt preview from the ticket page")
        self._open_ticket(self.s.ready_ticket)
        page = self.w.ticket
        button = page.print_button
        self.kb.reset()

        def previewing() -> bool:
            preview = button.preview
            return preview is not None and preview.isVisible() \
                and "Receipt" in preview.windowTitle()

        try:
            if not self.kb.try_shortcut(Key.Key_P, Mod.ControlModifier, previewing, "Ctrl+P",
                                        3000):
                menu = button.menu()
                assert menu is not None
                self.kb.activate(button, menu.isVisible)
                if menu.activeAction() is None:
                    self.kb.press(Key.Key_Down)
                action = menu.activeAction()
                if action is None or "Receipt" not in action.text():
                    raise Unreachable("the menu's first item is not the receipt")
                self.kb.press(Key.Key_Return)
                if not wait_until(previewing):
                    raise Unreachable("no receipt preview")
            ok = True
        except Unreachable as exc:
            ok, out.note = False, str(exc)
        out.add(self.kb.count if ok else None, ok, "+".join(self.kb.how))
        if button.preview is not None:
            button.preview.close()
        return out


class QSignal:
    """Wait (bounded) for a signal emitted inside the `with` block or soon after."""

    def __init__(self, signal: object) -> None:
        self.signal = signal
        self.fired = False

    def _fire(self, *_args: object) -> None:
        self.fired = True

    def __enter__(self) -> QSignal:
        self.signal.connect(self._fire)  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        wait_until(lambda: self.fired, 8000)
        self.signal.disconnect(self._fire)  # type: ignore[attr-defined]


# -- running ---------------------------------------------------------------------
def run(root: Path, sample: int) -> list[Outcome]:
    work = Path(tempfile.mkdtemp(prefix="shopdesk-counter-"))
    shutil.copyfile(paths.database_path(root), paths.database_path(work))
    if (root / "keys").is_dir():  # the passcode key file, where there is no keyring
        shutil.copytree(root / "keys", work / "keys")
    application()
    shop = Shop.open(work)
    try:
        shop.sign_in(OWNER, PIN)
        samples = pick_samples(shop, sample)
        window = build_main_window(shop)
        window.resize(*SIZE)
        window.show()
        window.activateWindow()
        wait_until(lambda: window.is_ready, 20000)
        shop.search_engine.warm()  # the index the window builds at start-up, ready
        c = Counter(window, shop, samples)
        digits = samples.device_imei[1]
        spaced = f"{digits[:2]} {digits[2:8]} {digits[8:14]} {digits[14]}"
        outcomes = [
            c.find("find by surname with one typo", samples.surnames),
            c.find("find by the last 6 phone digits", samples.last6),
            c.find("find by national-format phone", samples.national),
            c.register_walk_in(),
            c.open_device("open a device by IMEI, plain", digits, samples.device_imei[0]),
            c.open_device("open a device by IMEI, spaced", spaced, samples.device_imei[0]),
            c.intake(),
            c.move_one_step(),
            c.pickup(),
            c.print_receipt(),
        ]
        window.shutdown()
        window.close()
        window.deleteLater()
        QTest.qWait(50)
        gc.collect()  # on this (the GUI) thread, before the interpreter tears Qt down
        return outcomes
    finally:
        shop.close()
        shutil.rmtree(work, ignore_errors=True)


def report(outcomes: list[Outcome], markdown: bool) -> None:
    if markdown:
        print("| task | keys beyond the data typed | right result first | how |")
        print("|---|---|---|---|")
        for o in outcomes:
            how = o.how + (f" ({o.note})" if o.note else "")
            print(f"| {o.task} | {o.keys_text()} | {o.first_text()} | {how} |")
        return
    print(f"{'task':<46} {'keys':<26} {'right first':<14} how")
    for o in outcomes:
        how = o.how + (f"  ({o.note})" if o.note else "")
        print(f"{o.task:<46} {o.keys_text():<26} {o.first_text():<14} {how}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=40,
                        help="customers per search task (default 40)")
    parser.add_argument("--data-dir", help="a demo data directory to use (made if missing)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    root = demo_dir(args.customers, args.data_dir)
    outcomes = run(root, args.sample)
    print(f"# shopdesk counter bench: {args.customers} demo customers, window "
          f"{SIZE[0]}x{SIZE[1]}, sample {args.sample} per search task "
          f"({time.perf_counter() - started:.0f} s)")
    report(outcomes, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
