"""The profile page: audit of views, deactivation, verification, documents."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow


def open_profile(qtbot, window: MainWindow, customer_id: UUID) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.profile.loaded):
        window.open_customer(customer_id)


def test_opening_profile_records_view(qtbot, window: MainWindow, shop: Shop,
                                      customers: dict[str, UUID]) -> None:
    open_profile(qtbot, window, customers["López"])
    entries = shop.audit.entries(entity="customer", entity_id=customers["López"])
    assert [e.action for e in entries][:2] == ["view", "create"]
    assert entries[0].actor == "Olivia Owner"
    profile = window.profile
    assert profile.name.text() == "Ana López"
    assert profile.kind.text() == "Individual"
    assert profile.active.text() == "Active"
    assert profile.badges["phone"].text() == "Not verified"
    qtbot.waitUntil(lambda: profile.audit.action_texts()[:1] == ["Viewed"])


def test_deactivate_and_reactivate(qtbot, window: MainWindow, shop: Shop,
                                   customers: dict[str, UUID]) -> None:
    open_profile(qtbot, window, customers["Müller"])
    profile = window.profile
    assert profile.active_button.text() == "Deactivate…"
    profile.set_active(False, "moved abroad")
    qtbot.waitUntil(lambda: profile.active.text() == "Inactive")
    assert not shop.customers.profile(customers["Müller"]).summary.is_active
    assert profile.active_button.text() == "Reactivate"
    entry = shop.audit.entries(entity="customer", entity_id=customers["Müller"])[0]
    assert entry.action == "deactivate" and entry.detail["reason"] == "moved abroad"
    profile.set_active(True)
    qtbot.waitUntil(lambda: profile.active.text() == "Active")


def test_verify_phone_turns_badge_green(qtbot, window: MainWindow,
                                        customers: dict[str, UUID]) -> None:
    open_profile(qtbot, window, customers["López"])
    profile = window.profile
    profile.set_verified("phone", True)
    qtbot.waitUntil(lambda: profile.badges["phone"].tone == "ok")
    assert "Olivia Owner" in profile.badges["phone"].text()


def test_attach_document_appears_in_list(qtbot, window: MainWindow, shop: Shop,
                                         customers: dict[str, UUID], tmp_path: Path) -> None:
    scan = tmp_path / "passport-scan.pdf"
    scan.write_bytes(b"%PDF-1.4 a scanned passport")
    shop.consent.record(customers["Dubois"], "id_scan", True, "signed_form")  # issue 15
    open_profile(qtbot, window, customers["Dubois"])
    documents = window.profile.documents
    assert documents.tree.topLevelItemCount() == 0
    documents.attach_file(scan, "id_scan", "Passport")
    qtbot.waitUntil(lambda: documents.tree.topLevelItemCount() == 1)
    item = documents.tree.topLevelItem(0)
    assert item.text(0) == "Passport"
    assert item.text(1) == "ID scan"
    assert item.text(2) == "passport-scan.pdf"
    assert shop.customers.profile(customers["Dubois"]).documents[0].title == "Passport"


def test_service_history_empty_state(qtbot, window: MainWindow,
                                     customers: dict[str, UUID]) -> None:
    open_profile(qtbot, window, customers["Dubois"])
    services = window.profile.services
    assert services.empty.text() == "No services yet"
    assert not services.tree.isVisibleTo(window.profile)
