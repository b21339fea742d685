"""`shopdesk demo` looks like a real shop (issue 12): named accounts, registrations
spread over the years before the first repair, who registered each customer, last
visits, tickets after the device was bought, update times spread out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shopdesk.cli import main
from shopdesk.models import Customer, Device, RepairTicket, Staff, TicketDevice
from shopdesk.services.demo.demo_history import DEMO_PIN, DEMO_STAFF
from shopdesk.shop import Shop


def test_demo_names_its_accounts_and_spreads_the_shops_past(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "demo"
    assert main(["demo", "--customers", "300", "--data-dir", str(root)]) == 0
    out = capsys.readouterr().out
    for username, name, role in DEMO_STAFF:  # every account made is named with its PIN
        assert (f"created the {role.label.lower()} account: username '{username}' ({name}), "
                f"PIN {DEMO_PIN}") in out
    with Shop.open(root) as shop:
        for username, _name, role in DEMO_STAFF:
            assert shop.sign_in(username, DEMO_PIN).role == role
        now = shop.store.clock()
        with shop.store.read() as session:
            people = session.execute(select(
                Customer.id, Customer.created_at, Customer.updated_at, Customer.last_visit_at,
                Staff.role).join(Staff, Staff.id == Customer.registered_by)).all()
            first_ticket = dict(session.execute(
                select(RepairTicket.customer_id, func.min(RepairTicket.created_at))
                .group_by(RepairTicket.customer_id)).all())
            early = session.scalar(  # a ticket before a device on it was bought
                select(func.count()).select_from(RepairTicket)
                .join(TicketDevice, TicketDevice.ticket_id == RepairTicket.id)
                .join(Device, Device.id == TicketDevice.device_id)
                .where(func.substr(RepairTicket.created_at, 1, 10) < Device.purchase_date))
            updates = list(session.scalars(select(RepairTicket.updated_at)))
        assert len(people) == 300  # every customer was registered by a staff member
        assert {role for *_rest, role in people} <= {"front_desk", "manager", "owner"}
        assert sum(role == "front_desk" for *_rest, role in people) > 150
        created = sorted(c for _i, c, _u, _v, _r in people)
        assert created[-1] - created[0] > timedelta(days=2 * 365)  # over the years
        assert len({c.year for c in created}) >= 3
        for customer_id, registered, updated, visit, _role in people:
            assert visit is not None and registered <= visit <= now  # last visit set
            assert registered <= updated <= now
            if customer_id in first_ticket:  # registered before their first repair
                assert registered < datetime_of(first_ticket[customer_id])
        assert len({u.date() for _i, _c, u, _v, _r in people}) > 100  # spread out
        assert early == 0
        assert len({u.date() for u in updates}) > 200
        assert shop.audit.verify().ok


def datetime_of(value: object):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_a_second_demo_run_makes_no_accounts(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "demo"
    assert main(["demo", "--customers", "5", "--tickets-per-customer", "0",
                 "--data-dir", str(root)]) == 0
    capsys.readouterr()
    assert main(["demo", "--customers", "5", "--tickets-per-customer", "0", "--seed", "8",
                 "--data-dir", str(root)]) == 0
    assert "account" not in capsys.readouterr().out
    with Shop.open(root) as shop:
        assert shop.staff.count() == len(DEMO_STAFF)
        assert shop.customers.count() == 10
