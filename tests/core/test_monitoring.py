"""Alerts for unusual access (issue 15), on synthetic histories written to a real trail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shopdesk.cli import main
from shopdesk.domain.permissions import Role
from shopdesk.domain.privacy import opening_hours
from shopdesk.errors import AuthenticationFailed, PermissionDenied
from shopdesk.services.store import Actor
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.core.repair_helpers import add_staff


def _views(shop: Shop, clock: Clock, who: Actor, day: datetime, count: int) -> None:
    clock.now = day.replace(hour=10)
    with shop.store.write() as session:
        shop.audit.append_many(session, who, [("view", "customer", uuid.uuid4(), {"code": "x"})
                                              for _ in range(count)])


def test_someone_opening_far_more_profiles_than_usual(shop: Shop, clock: Clock) -> None:
    tom = Actor(uuid.uuid4(), "Tom", Role.FRONT_DESK)
    pri = Actor(uuid.uuid4(), "Priya", Role.FRONT_DESK)
    new = Actor(uuid.uuid4(), "Newcomer", Role.FRONT_DESK)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    for n in range(28):
        day = start + timedelta(days=n)
        _views(shop, clock, tom, day, 10 + n % 6)  # 10-15 a day
        _views(shop, clock, pri, day, 50 + n % 3)  # busy, but always so
    last = start + timedelta(days=28)
    _views(shop, clock, tom, last, 80)
    _views(shop, clock, pri, last, 60)
    _views(shop, clock, new, last, 45)
    _views(shop, clock, new, last + timedelta(days=1), 12)
    alerts = shop.monitoring.alerts(days=3, now=last + timedelta(days=1, hours=12))
    flagged = {(a.kind, a.who) for a in alerts}
    assert flagged == {("many_profiles", "Tom"), ("many_profiles", "Newcomer")}
    tom_alert = next(a for a in alerts if a.who == "Tom")
    assert "80 customer profiles on 2026-10-29" in tom_alert.summary
    assert "usually about 12 a day" in tom_alert.summary


def test_exports_outside_opening_hours(shop: Shop, clock: Clock, tmp_path: Path) -> None:
    shop.settings.set("security.opening_hours", "mon-fri 09:00-18:00, sat 10:00-14:00")
    clock.now = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # a Tuesday, open
    shop.transfer.export(tmp_path / "day.csv")
    clock.now = datetime(2026, 11, 25, 2, 55, tzinfo=UTC)  # Wednesday night
    shop.transfer.export(tmp_path / "night.csv")
    clock.now = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)  # Sunday
    shop.transfer.export(tmp_path / "sunday.csv")
    alerts = shop.monitoring.alerts(now=clock.now + timedelta(hours=1), local=UTC)
    assert [(a.kind, f"{a.at:%a %H:%M}") for a in alerts] == [
        ("export_after_hours", "Sun 11:00"), ("export_after_hours", "Wed 02:55")]
    assert "exported the customer file (0 records)" in alerts[1].summary
    # Seen from a shop eight hours ahead, Wednesday 02:55 UTC was 10:55 there: open.
    east = [a.at for a in shop.monitoring.alerts(
        now=clock.now + timedelta(hours=1), local=timezone(timedelta(hours=8)))]
    assert datetime(2026, 11, 25, 2, 55, tzinfo=UTC) not in east


def test_repeated_failed_sign_ins(shop: Shop, clock: Clock) -> None:
    add_staff(shop, "sam", "front_desk")
    add_staff(shop, "kim", "front_desk")
    for minutes in (0, 4, 9):  # three in ten minutes
        clock.now = datetime(2026, 11, 24, 9, minutes, tzinfo=UTC)
        with pytest.raises(AuthenticationFailed):
            shop.staff.sign_in("sam", "wrong")
    for days in (0, 2):  # two, days apart: a typo, not an attack
        clock.now = datetime(2026, 11, 22 + days, 9, 0, tzinfo=UTC)
        with pytest.raises(AuthenticationFailed):
            shop.staff.sign_in("kim", "wrong")
    for minutes in range(4):  # somebody guessing names
        clock.now = datetime(2026, 11, 24, 23, minutes, tzinfo=UTC)
        with pytest.raises(AuthenticationFailed):
            shop.staff.sign_in(f"admin{minutes % 2}", "1234")
    alerts = [a for a in shop.monitoring.alerts(now=clock.now) if a.kind == "failed_sign_ins"]
    assert sorted(a.who for a in alerts) == ["Sam", "unknown usernames 'admin0', 'admin1'"]
    sam = next(a for a in alerts if a.who == "Sam")
    assert sam.summary.startswith("3 failed sign-ins for Sam between 09:00 and 09:09")


def test_a_reviewed_alert_leaves_the_list(shop: Shop, clock: Clock,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    add_staff(shop, "sam", "front_desk")
    for minutes in (0, 1, 2):
        clock.now = datetime(2026, 11, 24, 9, minutes, tzinfo=UTC)
        with pytest.raises(AuthenticationFailed):
            shop.staff.sign_in("sam", "wrong")
    shop.sign_in("owner", "owner-pass-1")
    (alert,) = shop.monitoring.alerts(now=clock.now)
    shop.monitoring.review(alert.key, "Sam forgot the new PIN")
    assert shop.monitoring.alerts(now=clock.now) == []
    assert [a.key for a in shop.monitoring.alerts(now=clock.now,
                                                  include_reviewed=True)] == [alert.key]
    shop.sign_in("sam", "tech-pass-1")
    with pytest.raises(PermissionDenied):
        shop.monitoring.alerts()


def test_opening_hours_setting_is_checked() -> None:
    hours = opening_hours.parse("mon-fri 09:00-18:00, sat 10:00-16:00")
    assert hours.is_open(datetime(2026, 11, 24, 9, 0))  # Tuesday
    assert not hours.is_open(datetime(2026, 11, 24, 18, 0))
    assert not hours.is_open(datetime(2026, 11, 29, 12, 0))  # Sunday
    assert opening_hours.parse("fri-mon 20:00-24:00").is_open(datetime(2026, 11, 30, 23, 30))
    for bad in ("", "monday 9-5", "mon-fri 18:00-09:00", "xyz 09:00-10:00"):
        with pytest.raises(ValueError):
            opening_hours.parse(bad)


def test_cli_lists_alerts(shop: Shop, clock: Clock, capsys: pytest.CaptureFixture[str]) -> None:
    add_staff(shop, "sam", "front_desk")
    clock.now = datetime.now(UTC)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            shop.staff.sign_in("sam", "wrong")
    root = str(shop.root)
    shop.close()
    assert main(["alerts", "--json", "--data-dir", root]) == 0
    out = capsys.readouterr().out
    assert '"kind": "failed_sign_ins"' in out and "Sam" in out
    assert main(["alerts", "review", "--data-dir", root]) == 1
    assert capsys.readouterr().err.startswith("shopdesk: error: alerts review needs")
