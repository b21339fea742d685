"""The app killed mid-send (a child process `os._exit`s at a crash point of the sender):
the next run reconciles through the provider's lookup, so the message arrives once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET
from tests.messaging.conftest import configure, customer
from tests.messaging.fakes import Providers

pytestmark = pytest.mark.usefixtures("secrets_env")

CHILD = """
import sys
from shopdesk.shop import Shop
with Shop.open(sys.argv[1]) as shop:
    shop.act_as_system("crash test")
    shop.messaging.deliver()
print("not crashed")
"""


def _deliver_in_child(root: Path, crash_at: str) -> int:
    env = dict(os.environ, SHOPDESK_MESSAGING_CRASH_AT=crash_at)
    done = subprocess.run([sys.executable, "-c", CHILD, str(root)], env=env,
                          capture_output=True, text=True, timeout=120)
    return done.returncode


@pytest.mark.parametrize("crash_at", ["after_claim", "after_send"])
def test_killed_mid_send_delivers_exactly_once(data_dir: Path, providers: Providers,
                                               crash_at: str) -> None:
    shop = Shop.open(data_dir)  # the real clock: the child process uses it too
    try:
        shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        configure(shop, providers, channels="sms")
        code = customer(shop)
        assert _deliver_in_child(data_dir, crash_at) == 71
        before = len(providers.sent)
        assert before == (1 if crash_at == "after_send" else 0)
        assert [m.status for m in shop.messaging.outbox()] == ["sending"]
        report = shop.messaging.deliver()
        assert report.reconciled == 1
        assert len(providers.sent) == 1
        assert [m.status for m in shop.messaging.history(code).entries] == ["sent"]
        assert shop.messaging.deliver().sent == 0
    finally:
        shop.close()


def test_a_second_sender_on_the_same_data_directory_waits(data_dir: Path,
                                                          providers: Providers) -> None:
    shop = Shop.open(data_dir)
    try:
        shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        configure(shop, providers, channels="sms")
        customer(shop)
        lock = shop.messaging.sender._lock
        assert lock.acquire()
        try:
            assert shop.messaging.deliver().sent == 0
        finally:
            lock.release()
        assert shop.messaging.deliver().sent == 1
    finally:
        shop.close()


CONCURRENT = """
import sys
from shopdesk.shop import Shop
with Shop.open(sys.argv[1]) as shop:
    shop.act_as_system("concurrency test")
    print(shop.messaging.deliver().sent)
"""


def test_two_senders_at_once_send_each_message_once(data_dir: Path,
                                                    providers: Providers) -> None:
    """Two processes deliver at the same moment (the window's thread and a scheduled
    `messages deliver`): the lock lets one send; the other finds nothing to do."""
    shop = Shop.open(data_dir)
    try:
        shop.staff.create_owner("owner", "Olivia Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        configure(shop, providers, channels="sms")
        for i in range(4):
            customer(shop, phone=f"+44740012345{i}", first=f"C{i}", email=f"c{i}@example.com")
        providers.slow_seconds = 0.3
        children = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(data_dir)],
                                     stdout=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [child.communicate(timeout=120)[0].strip() for child in children]
        assert sum(int(o or 0) for o in outputs) <= 4  # one process sent, the other waited
        shop.messaging.deliver()
        assert sorted(s.to for s in providers.sent) == [f"+44740012345{i}" for i in range(4)]
    finally:
        shop.close()
