"""Fault tests of the push path (research file section 5, tests 1, 2, 3, 13, 14, 15, 19).

Real Postgres, several counters (real SQLite files), faults injected by wrapping the
real transport (`shop.sync.transport_factory`) or by acting on the server itself
(row locks, pg_terminate_backend, sync.meta). Each test's docstring names the fault
and what must hold.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from shopdesk.domain import codes
from shopdesk.sync import central
from shopdesk.sync.engine import default_transport
from shopdesk.sync.runner import SyncRunner
from shopdesk.sync.wire.direct import DirectTransport
from shopdesk.sync.wire.transport import ProtocolError, Retryable, Transport
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_kit import (
    Outage,
    Reports,
    Wrapped,
    capture_batch,
    foreign_key_violations,
    ledger,
    local_row,
    lock_waiters,
    outbox,
    raw_write,
    terminal_login,
    ticket_for,
    wait_until,
)
from tests.sync.test_roundtrip import register

# -- 1, 2, 3: lost ack, duplicate delivery, connection killed --------------------


def test_ack_lost_after_server_commit_is_retried_without_duplicates(counters: Counters) -> None:
    """Fault: the server commits a push (customer + ticket) but the reply is lost.
    Must hold: the next round re-sends; the server's ledger answers it with the stored
    results (identical to the lost reply); exactly one customer and one ticket exist on
    the server and on another counter; one ledger entry per mutation; the outbox settles."""
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    ticket = ticket_for(a, ann.id)
    queued = outbox(a)
    replies: list[dict[str, Any]] = []

    def commit_then_drop(real: Transport, batch: dict[str, Any]) -> dict[str, Any]:
        replies.append(real.push(batch))
        if len(replies) == 1:
            raise Retryable("connection reset after the server committed (test)")
        return replies[-1]

    a.sync.transport_factory = lambda state: Wrapped(default_transport(state), commit_then_drop)
    with pytest.raises(Retryable):
        a.sync.run_once()
    assert a.sync.status().pending == len(queued)  # not acknowledged, so still queued
    assert ann.id.hex in server_rows(counters.url, "customers")  # ... but committed

    result = a.sync.run_once()

    assert result.pushed == len(queued) and result.rejected == 0
    assert replies[1]["results"] == replies[0]["results"]  # replayed from the ledger
    assert a.sync.status().pending == 0 and outbox(a) == []
    device_id = terminal_login(a)[0]
    entries = ledger(counters.url, device_id)
    assert sorted(m for m, _, _ in entries) == sorted(q["mutation_id"] for q in queued)
    assert [s for _, s, _ in entries] == [q["device_seq"] for q in queued]
    assert list(server_rows(counters.url, "customers")) == [ann.id.hex]
    assert list(server_rows(counters.url, "repair_tickets")) == [ticket.hex]
    sync_all(b)
    with b.store.read() as s:
        conn = s.connection()
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM repair_tickets")).scalar_one() == 1


def test_duplicate_concurrent_delivery_applies_once(counters: Counters) -> None:
    """Fault: the same batch arrives twice at the same moment (two connections with the
    same credential, as two app instances on one counter would send it).
    Must hold: it is applied once; the second delivery waits for the first and is
    answered from the ledger, so both get the same results; the engine then settles."""
    a = counters.new("a")
    ann = register(a, "Ann", "07400 123456")
    batch = capture_batch(a)
    device_id, role, token = terminal_login(a)
    replies: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        transport = DirectTransport(counters.url, role, token)
        try:
            replies.append(transport.push(batch))
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            transport.close()

    # Hold the terminal's row so both deliveries are inside sync.push together.
    with psycopg.connect(counters.url) as admin:
        admin.execute("SELECT 1 FROM sync.devices WHERE id = %s FOR UPDATE",
                      (uuid.UUID(hex=device_id),))
        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for t in threads:
            t.start()
        wait_until(lambda: len(lock_waiters(counters.url, role)) == 2, what="two deliveries")
        admin.rollback()
    for t in threads:
        t.join(30)

    assert errors == []
    assert len(replies) == 2 and replies[0]["results"] == replies[1]["results"]
    assert {r[1] for r in replies[0]["results"]} == {"applied"}
    assert len(ledger(counters.url, device_id)) == len(batch["mutations"])
    assert list(server_rows(counters.url, "customers")) == [ann.id.hex]
    a.sync.run_once()
    assert a.sync.status().pending == 0
    assert len(ledger(counters.url, device_id)) == len(batch["mutations"])


def test_connection_killed_mid_push_rolls_back_the_whole_batch(counters: Counters) -> None:
    """Fault: the pushing backend is killed (pg_terminate_backend) after it applied 3 of
    10 changes, while it waits for a row lock held by an admin for the 4th.
    Must hold: none of the 10 is on the server (the batch is one transaction); the
    client gets Retryable and keeps its queue; the retry applies all 10 exactly once."""
    a = counters.new("a")
    xavier = register(a, "Xavier", "07400 123400")
    a.sync.run_once()
    device_id, role, _ = terminal_login(a)
    before = ledger(counters.url, device_id)
    paula = register(a, "Paula", "07400 123401")  # 1-3: customer, preferences, loyalty
    a.customers.update(xavier.id, {"notes": "call after five"})  # 4: the blocked one
    quinn = register(a, "Quinn", "07400 123402")  # 5-7
    rita = register(a, "Rita", "07400 123403")  # 8-10
    queued = outbox(a)
    assert len(queued) == 10 and queued[3]["row_id"] == xavier.id.hex
    errors: list[BaseException] = []

    def push() -> None:
        try:
            a.sync.run_once()
        except BaseException as exc:
            errors.append(exc)

    with psycopg.connect(counters.url) as admin:
        admin.execute("SELECT 1 FROM sync.rows WHERE table_name = 'customers' AND row_id = %s "
                      "FOR UPDATE", (xavier.id.hex,))
        pusher = threading.Thread(target=push)
        pusher.start()
        wait_until(lambda: len(lock_waiters(counters.url, role)) == 1, what="the blocked push")
        pid = lock_waiters(counters.url, role)[0]
        admin_pid = admin.execute("SELECT pg_backend_pid()").fetchone()[0]
        with psycopg.connect(counters.url, autocommit=True) as probe:
            assert probe.execute("SELECT pg_blocking_pids(%s)", (pid,)).fetchone()[0] == [admin_pid]
            # The push already wrote rows: it holds the commit-order counter's row lock.
            with pytest.raises(psycopg.errors.LockNotAvailable):
                probe.execute("SELECT value FROM sync.counter FOR UPDATE NOWAIT")
            assert probe.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        pusher.join(30)
        admin.rollback()

    assert len(errors) == 1 and isinstance(errors[0], Retryable), errors
    assert ledger(counters.url, device_id) == before
    assert list(server_rows(counters.url, "customers")) == [xavier.id.hex]
    assert server_rows(counters.url, "customers")[xavier.id.hex]["notes"] is None
    assert outbox(a) == queued

    result = a.sync.run_once()

    assert result.pushed == 10 and result.rejected == 0 and a.sync.status().pending == 0
    after = ledger(counters.url, device_id)
    assert after[:len(before)] == before
    assert [m for m, _, _ in after[len(before):]] == [q["mutation_id"] for q in queued]
    customers = server_rows(counters.url, "customers")
    assert sorted(customers) == sorted(c.id.hex for c in (xavier, paula, quinn, rita))
    assert customers[xavier.id.hex]["notes"] == "call after five"


# -- 13, 14: deleted rows, poisoned changes ---------------------------------------


def test_a_delete_is_refused_and_the_row_comes_back(counters: Counters, tmp_path: Path) -> None:
    """Fault: A deletes a customer document behind the app's back (shopdesk never
    deletes synced rows); B, meanwhile, renames it; both sync.
    Must hold: the server refuses A's delete with a reason saying shopdesk never
    deletes (in a.sync.rejected()); the document stays on the server and B's rename is
    applied; A's next pull brings the row back; nothing is deleted on B."""
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    scan = tmp_path / "consent.pdf"
    scan.write_bytes(b"%PDF-1.4 signed repair consent")
    doc = a.documents.attach(ann.id, scan, "signed_form")[0]
    sync_all(a, b)

    raw_write(a, "DELETE FROM customer_documents WHERE id = :i", i=doc.id.hex)
    raw_write(b, "UPDATE customer_documents SET title = 'Consent (rescanned)' WHERE id = :i",
              i=doc.id.hex)
    result = a.sync.run_once()
    b.sync.run_once()

    assert result.rejected == 1
    [rejected] = a.sync.rejected()
    assert rejected.op == "delete" and "never deletes" in rejected.reason
    assert server_rows(counters.url, "customer_documents")[doc.id.hex]["title"] == \
        "Consent (rescanned)"
    sync_all(a, b)
    for shop in (a, b):
        row = local_row(shop, "customer_documents", doc.id)
        assert row is not None and row["title"] == "Consent (rescanned)"


def test_a_row_deleted_on_the_server_is_kept_and_its_update_refused(counters: Counters) -> None:
    """Fault: a row marked deleted on the server (by an older server version, or by hand);
    B, offline, edits it; both counters pull.
    Must hold: B's edit is rejected with 'update_on_deleted' and a conflict on both
    counters; no counter deletes its copy (a delete with foreign keys off would orphan
    the customer's devices and tickets): each quarantines the pulled deletion with the
    reason instead; a later change of another row is still applied."""
    a, b = counters.new("a"), counters.new("b")
    ann = register(a, "Ann", "07400 123456")
    ticket_for(a, ann.id)
    sync_all(a, b)
    with psycopg.connect(counters.url) as admin:
        admin.execute("UPDATE sync.rows SET deleted = true WHERE table_name = 'customers' "
                      "AND row_id = %s", (ann.id.hex,))
    b.customers.update(ann.id, {"notes": "edited offline"})
    bob = register(b, "Bob", "07400 123457")

    result = b.sync.run_once()
    a.sync.run_once()

    assert result.rejected == 1 and "update_on_deleted" in b.sync.rejected()[0].reason
    assert bob.id.hex in server_rows(counters.url, "customers")
    for shop in (a, b):
        assert local_row(shop, "customers", ann.id) is not None
        [held] = [q for q in shop.sync.quarantined() if q.row_id == ann.id.hex]
        assert "never deletes" in held.reason
        assert any(c.kind == "update_on_deleted" for c in shop.sync.conflicts())
        assert foreign_key_violations(shop) == []


def test_poisoned_change_is_rejected_and_does_not_block_the_queue(counters: Counters) -> None:
    """Fault: change #5 of 10 breaks a server rule (a customer's first name set to ''
    with raw SQL, which the form would refuse).
    Must hold: #5 is rejected with a reason naming customers.first_name and the rule;
    #1-4 and #6-10 are applied in the same round; the poisoned local row is put back to
    the server's truth by the pull; later changes still flow."""
    a, b = counters.new("a"), counters.new("b")
    xavier = register(a, "Xavier", "07400 123400")
    yara = register(a, "Yara", "07400 123401")
    sync_all(a, b)
    paula = register(a, "Paula", "07400 123402")  # 1-3
    a.customers.update(xavier.id, {"notes": "call after five"})  # 4
    raw_write(a, "UPDATE customers SET first_name = '' WHERE id = :i", i=yara.id.hex)  # 5
    quinn = register(a, "Quinn", "07400 123403")  # 6-8
    a.customers.update(paula.id, {"notes": "VIP"})  # 9
    a.customers.update(xavier.id, {"address_line1": "1 High St"})  # 10
    queued = outbox(a)
    assert len(queued) == 10 and queued[4]["row_id"] == yara.id.hex

    result = a.sync.run_once()

    assert (result.pushed, result.rejected) == (10, 1)
    [rejected] = a.sync.rejected()
    assert rejected.device_seq == queued[4]["device_seq"] and rejected.row_id == yara.id.hex
    assert "customers.first_name" in rejected.reason and "required" in rejected.reason
    assert a.sync.status().pending == 0
    customers = server_rows(counters.url, "customers")
    assert customers[yara.id.hex]["first_name"] == "Yara"
    assert {paula.id.hex, quinn.id.hex} <= set(customers)
    assert customers[paula.id.hex]["notes"] == "VIP"
    assert (customers[xavier.id.hex]["notes"], customers[xavier.id.hex]["address_line1"]) == (
        "call after five", "1 High St")
    assert local_row(a, "customers", yara.id)["first_name"] == "Yara"

    a.customers.update(quinn.id, {"notes": "after the poison"})
    sync_all(a, b)
    assert a.sync.status().pending == 0 and len(a.sync.rejected()) == 1
    assert local_row(b, "customers", quinn.id)["notes"] == "after the poison"
    assert local_row(b, "customers", yara.id)["first_name"] == "Yara"


# -- 19: schema skew, older and newer clients ------------------------------------


def test_schema_skew_keeps_unknown_columns_and_old_clients_must_upgrade(
        counters: Counters) -> None:
    """Fault: a newer client sends a customer with a column this server's registry
    lacks (its `central setup` has not run yet), then again once the registry knows the
    column; this (older) client edits another column; an update names a row the server
    lacks; then the server raises its minimum protocol.
    Must hold: the unknown column is refused with a clear reason while the registry
    does not know it, never stored unchecked; once known, it is kept on the server
    through the old client's edit and ignored by the local pull; the update of a
    missing row is rejected with a clear reason; below min_protocol the push gets an
    'upgrade' error and the queue is kept; the same queue pushes once the engine speaks
    protocol 2."""
    a = counters.new("a")
    ann = register(a, "Ann", "07400 123456")
    a.sync.run_once()
    newer = central.register_terminal(counters.url, "Main St", "v2 counter",
                                      codes.new_node_tag(), uuid.uuid4().hex)
    vera_id = uuid.uuid4()
    vera = {**server_rows(counters.url, "customers")[ann.id.hex], "id": vera_id.hex,
            "code": "V2-000001", "first_name": "Vera", "phone": "+447400123499",
            "pronouns": "she/her"}
    # A complete customer, as the newer app sends it: with its preferences and loyalty.
    parts = [("customers", vera)] + [
        (table, {**server_rows(counters.url, table)[ann.id.hex], "customer_id": vera_id.hex})
        for table in ("customer_preferences", "customer_loyalty")]

    def push_vera(first_seq: int) -> list[Any]:
        mutations = [{"id": uuid.uuid4().hex, "seq": n, "kind": "row", "table": table,
                      "row": vera_id.hex, "op": "insert", "new": doc, "base": {}}
                     for n, (table, doc) in enumerate(parts, start=first_seq)]
        v2 = DirectTransport(counters.url, newer.role_name, newer.token)
        try:
            return list(v2.push({"device_id": newer.device_id, "protocol": 1,
                                 "app_version": "0.9", "mutations": mutations})["results"])
        finally:
            v2.close()

    (_, status, detail), *_ = push_vera(1)
    assert status == "rejected" and "customers.pronouns: is not a column" in detail["reason"]
    with psycopg.connect(counters.url) as admin:  # what the newer `central setup` does
        admin.execute("INSERT INTO sync.columns (table_name, column_name, kind, nullable, "
                      "max_length) VALUES ('customers', 'pronouns', 'text', true, 40)")
    assert [status for _, status, _ in push_vera(4)] == ["applied"] * 3
    v2 = DirectTransport(counters.url, newer.role_name, newer.token)
    try:
        (_, missing, detail), = v2.push({
            "device_id": newer.device_id, "protocol": 1, "app_version": "0.9", "mutations": [
                {"id": uuid.uuid4().hex, "seq": 7, "kind": "row", "table": "customers",
                 "row": uuid.uuid4().hex, "op": "update", "new": {"notes": "lost"},
                 "base": {"notes": None}}]})["results"]
    finally:
        v2.close()
    assert missing == "rejected"
    assert "customers" in detail["reason"] and "does not exist on the server" in detail["reason"]
    assert server_rows(counters.url, "customers")[vera_id.hex]["pronouns"] == "she/her"

    a.sync.run_once()  # pulls Vera: the unknown column is left out locally
    local = local_row(a, "customers", vera_id)
    assert local is not None and local["first_name"] == "Vera" and "pronouns" not in local
    a.customers.update(vera_id, {"notes": "edited by an older counter"})
    a.sync.run_once()
    on_server = server_rows(counters.url, "customers")[vera_id.hex]
    assert (on_server["notes"], on_server["pronouns"]) == ("edited by an older counter",
                                                           "she/her")

    with psycopg.connect(counters.url) as admin:
        admin.execute("UPDATE sync.meta SET min_protocol = 2")
    a.customers.update(ann.id, {"notes": "queued while too old"})
    with pytest.raises(ProtocolError, match="upgrade"):
        a.sync.run_once()
    assert a.sync.status().pending == 1 and "upgrade" in (a.sync.status().last_error or "")
    assert server_rows(counters.url, "customers")[ann.id.hex]["notes"] is None

    a.sync.engine.protocol = 2
    a.sync.run_once()
    assert a.sync.status().pending == 0 and a.sync.status().last_error is None
    assert server_rows(counters.url, "customers")[ann.id.hex]["notes"] == "queued while too old"


# -- 15: server down, back again, no new local write ------------------------------


def test_outage_is_retried_with_backoff_until_the_queue_drains(counters: Counters) -> None:
    """Fault: the central server is unreachable for several rounds after a local write,
    and comes back with no further local write.
    Must hold: the runner keeps retrying by itself (reports offline, a retry delay within
    the backoff cap, the error), then drains the queue and reports online, with no user
    action and no new write."""
    a = counters.new("a")
    down = threading.Event()
    down.set()
    a.sync.transport_factory = lambda state: Outage(default_transport(state), down)
    reports = Reports()
    runner = SyncRunner(a.sync, interval=0.2, backoff_base=0.05, backoff_cap=0.5,
                        on_status=reports)
    ann = register(a, "Ann", "07400 123456")
    runner.start()
    try:
        assert reports.wait(lambda items: len(items) >= 2)
        assert runner.wait_rounds(1)  # at least one more failed round
        down.clear()
        assert reports.wait(lambda items: items[-1].online is True
                            and items[-1].status.pending == 0)
    finally:
        runner.stop()

    failed = [r for r in reports.items if r.online is False]
    assert len(failed) >= 2 and reports.items[:len(failed)] == failed
    for report in failed:
        assert report.retrying_in is not None and 0.05 <= report.retrying_in <= 0.5
        assert "unreachable" in (report.error or "")
        assert report.status.pending > 0 and "unreachable" in (report.status.last_error or "")
    last = reports.items[-1]
    assert last.retrying_in is None and last.error is None and last.status.last_error is None
    assert a.sync.status().pending == 0
    assert ann.id.hex in server_rows(counters.url, "customers")
