"""Customer codes stay unique: across counters offline, and across threads on one counter."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET, fresh_root


def _input(n: int, prefix: str) -> CustomerInput:
    return CustomerInput(first_name=f"C{n}", last_name=prefix,
                         phone=f"+4474{prefix}{n:05d}")


def test_two_offline_counters_never_share_a_code(template_db: Path, tmp_path: Path) -> None:
    counters = []
    for name in ("counter-a", "counter-b"):
        shop = Shop.open(fresh_root(template_db, tmp_path / name))
        shop.staff.create_owner("owner", "Owner", OWNER_SECRET)
        shop.sign_in("owner", OWNER_SECRET)
        counters.append(shop)
    a, b = counters
    assert a.store.node_tag != b.store.node_tag

    def register(shop: Shop, prefix: str) -> list[str]:
        return [shop.customers.register(_input(n, prefix)).customer.code for n in range(30)]

    with ThreadPoolExecutor(2) as pool:
        codes_a, codes_b = pool.map(register, [a, b], ["111", "222"])
    assert len(set(codes_a) | set(codes_b)) == 60
    for shop in counters:
        shop.close()


def test_node_tag_is_kept_in_the_database(template_db: Path, tmp_path: Path) -> None:
    # Each new database draws its own tag; the tag lives in the database.
    first = Shop.open(fresh_root(template_db, tmp_path / "x"))
    tag = first.store.node_tag
    first.close()
    reopened = Shop.open(tmp_path / "x")
    assert reopened.store.node_tag == tag
    reopened.close()


def test_parallel_writers_on_one_counter_serialize(shop: Shop) -> None:
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda n: shop.customers.register(_input(n, "333")).customer.code,
                              range(40)))
    assert len(set(codes)) == 40
    assert sorted(int(c.split("-")[1]) for c in codes) == list(range(1, 41))
    assert shop.audit.verify().ok


def test_second_process_style_engine_waits_instead_of_failing(shop: Shop) -> None:
    # A CLI import and the app write to the same file: both engines queue.
    other = Shop.open(shop.root)
    other.act_as_system("test")
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(s.customers.register, _input(n, p))
                for n in range(10) for s, p in ((shop, "444"), (other, "555"))]
        codes = [j.result().customer.code for j in jobs]
    assert len(set(codes)) == 20
    assert other.audit.verify().ok
    other.close()
