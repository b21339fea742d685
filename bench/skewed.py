"""Customers whose names follow a real shop's skew, written straight into a shop database.

A city shop's clientele: 40% from one country (so "John", "Sarah", "Smith" and
"Jones" are each shared by thousands), the rest from ten others; within each
country names are drawn with a Zipf skew (a handful of names are very common,
then a long tail), one surname in five comes from another community, and one
in ten is rare (made from two real ones, so it is spelt like a name but seen
once or twice). Addresses, companies and phones come from each country's pool,
phones as valid-looking E.164 mobiles built from libphonenumber's example.

Rows are inserted with sqlite3's executemany (no validation, no audit trail, no
sync capture: a fresh data directory has never joined a central server), so
100k customers take about 15 s and 1M a few minutes. `cached_shop` keeps each
generated directory under `bench/out/` for the next run.

    from bench.skewed import build_shop, cached_shop   # tests
    python bench/skewed.py 100000 bench/out/skewed-100000   # by hand
"""

from __future__ import annotations

import functools
import itertools
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
from faker import Faker
from phonenumbers import PhoneNumberType

# Without an OS keyring (a headless machine, a child process) the database key comes
# from a passphrase, as on a headless shop computer.
os.environ.setdefault("SHOPDESK_DB_PASSPHRASE", "bench passphrase, not a secret")

from shopdesk import paths
from shopdesk.domain import codes, search_text
from shopdesk.domain.search_text import customer_words, reversed_digits
from shopdesk.domain.text import fold
from shopdesk.services.demo import demo  # its locale name lists
from shopdesk.shop import Shop

OWNER, SECRET = "owner", "bench-pass-1"  # as bench/foundation.py, so --memory-of works
OUT = Path(__file__).resolve().parent / "out"
VERSION = 1  # bump when the generator changes: cached directories are named by it

# (Faker locale, phone region, weight, the names people there most often have, in order)
COUNTRIES = [
    ("en_GB", "GB", 40, ["John", "David", "Sarah", "James", "Michael", "Paul", "Emma", "Mark",
                         "Claire", "Andrew"],
     ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
      "Johnson", "Roberts", "Walker"]),
    ("de_DE", "DE", 9, ["Thomas", "Michael", "Andreas", "Stefan", "Sabine", "Julia"],
     ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer"]),
    ("fr_FR", "FR", 8, ["Marie", "Jean", "Pierre", "Nathalie", "Philippe"],
     ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit"]),
    ("es_ES", "ES", 8, ["María", "José", "Antonio", "Carmen", "Manuel", "Ana"],
     ["García", "Rodríguez", "González", "Fernández", "López", "Martínez"]),
    ("pl_PL", "PL", 6, ["Anna", "Piotr", "Krzysztof", "Katarzyna", "Tomasz"],
     ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk"]),
    ("it_IT", "IT", 5, ["Giuseppe", "Maria", "Marco", "Giovanni", "Francesca"],
     ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi"]),
    ("pt_BR", "BR", 6, ["Maria", "Ana", "João", "Gabriel", "Lucas"],
     ["Silva", "Santos", "Oliveira", "Souza", "Pereira"]),
    ("tr_TR", "TR", 5, ["Mehmet", "Ayşe", "Mustafa", "Fatma", "Ahmet"],
     ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik"]),
    ("nl_NL", "NL", 4, ["Jan", "Johannes", "Maria", "Daan", "Sophie"],
     ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker"]),
    ("sv_SE", "SE", 4, ["Lars", "Anna", "Erik", "Karin", "Johan"],
     ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson"]),
    ("en_US", "US", 5, ["Michael", "Jennifer", "Robert", "Jessica", "Chris"],
     ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia"]),
]
FIRST_SKEW, LAST_SKEW = 1.0, 0.9  # Zipf exponents: the top name is ~1/7 of a country's draws
OTHER_COMMUNITY, RARE, DOUBLE = 0.2, 0.1, 0.1
POOL = 400
DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de",
           "orange.fr", "hotmail.co.uk"]
EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_DAYS = 8 * 365


@dataclass
class Country:
    region: str
    weight: int
    first: list[str]
    first_cum: list[float]
    last: list[str]
    last_cum: list[float]
    streets: list[str]
    cities: list[str]
    postcodes: list[str]
    companies: list[str]
    phone_prefix: str
    phone_code: int


def _ranked(head: list[str], every: list[str], rng: random.Random) -> list[str]:
    """`head` first (the common names, in order), then the rest in a seeded order."""
    rest = [n for n in every if n not in set(head)]
    rng.shuffle(rest)
    return head + rest


def _zipf(count: int, skew: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 1) ** skew for rank in range(count)))


def countries(seed: int) -> list[Country]:
    out = []
    for i, (locale, region, weight, first_head, last_head) in enumerate(COUNTRIES):
        fake = Faker(locale)
        fake.seed_instance(seed + i)
        rng = random.Random(seed * 31 + i)

        def many(fn: Any, n: int = POOL) -> list[str]:
            return sorted({str(fn()).replace("\n", ", ") for _ in range(n)})

        first = _ranked(first_head, demo._names(fake, "first_names")
                        or many(fake.first_name), rng)
        last = _ranked(last_head, demo._names(fake, "last_names")
                       or many(fake.last_name, 2000), rng)
        example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
        assert example is not None, region
        out.append(Country(
            region=region, weight=weight, first=first, first_cum=_zipf(len(first), FIRST_SKEW),
            last=last, last_cum=_zipf(len(last), LAST_SKEW), streets=many(fake.street_name),
            cities=many(fake.city, 150), postcodes=many(fake.postcode, 3000),
            companies=many(fake.company, 150),
            phone_prefix=str(example.national_number)[:-6],
            phone_code=phonenumbers.country_code_for_region(region)))
    return out


def _rare_surname(rng: random.Random, every_last: list[str]) -> str:
    """A plausible surname seen once or twice: the start of one and the end of another."""
    a, b = rng.choice(every_last), rng.choice(every_last)
    a, b = a.split()[-1], b.split()[-1]
    cut_a, cut_b = max(2, len(a) // 2), max(1, len(b) // 2)
    return (a[:cut_a] + b[cut_b:].lower()).capitalize()


def generate(count: int, seed: int = 13) -> Iterator[dict[str, Any]]:
    """`count` rows of the customers table's typed columns (no ids or codes yet)."""
    rng = random.Random(seed)
    pools = countries(seed)
    cum = list(itertools.accumulate(c.weight for c in pools))
    every_first = sorted({n for c in pools for n in c.first})
    every_last = sorted({n for c in pools for n in c.last})
    # Each country's phones: a fixed prefix and a permutation of the last six digits.
    next_phone = dict.fromkeys((c.region for c in pools), 0)
    for n in range(count):
        c = rng.choices(pools, cum_weights=cum)[0]
        first = (rng.choices(c.first, cum_weights=c.first_cum)[0] if rng.random() > 0.1
                 else rng.choice(every_first))
        roll = rng.random()
        if roll < RARE:
            last = _rare_surname(rng, every_last)
        elif roll < RARE + OTHER_COMMUNITY:
            last = rng.choice(every_last)
        else:
            last = rng.choices(c.last, cum_weights=c.last_cum)[0]
        if rng.random() < DOUBLE:
            second = rng.choices(c.last, cum_weights=c.last_cum)[0]
            if second != last:
                last = f"{last}{' ' if c.region in ('ES', 'BR') else '-'}{second}"
        k = next_phone[c.region]
        next_phone[c.region] = k + 1
        phone = f"+{c.phone_code}{c.phone_prefix}{(k * 7919 + 104729) % 1_000_000:06d}"
        local = ".".join(fold(p).replace(" ", "") for p in (first, last))
        business = rng.random() < 0.12
        created = EPOCH + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
        updated = created + timedelta(seconds=rng.randrange(
            max(1, int((EPOCH + timedelta(days=SPAN_DAYS) - created).total_seconds()))))
        yield {
            "first_name": first, "last_name": last, "phone": phone,
            "email": f"{local}{n}@{rng.choice(DOMAINS)}" if rng.random() < 0.75 else None,
            "address_line1": f"{rng.randrange(1, 300)} {rng.choice(c.streets)}",
            "city": rng.choice(c.cities), "postcode": rng.choice(c.postcodes),
            "country": c.region, "customer_type": "business" if business else "individual",
            "company": rng.choice(c.companies) if business else None,
            "created_at": created, "updated_at": updated,
            "last_visit_at": updated if rng.random() < 0.5 else None,
            "preferred_contact": rng.choice(["whatsapp", "sms", "phone", "in_person"]),
        }


def build_shop(root: Path, count: int, seed: int = 13, batch: int = 20_000,
               log: bool = False) -> Path:
    """A new data directory at `root` with an owner and `count` skewed customers."""
    started = time.perf_counter()
    # Names, cities and postcodes repeat (that is the point), so fold each once.
    cached_fold = functools.lru_cache(maxsize=1 << 18)(fold)
    plain_fold, search_text.fold = search_text.fold, cached_fold  # type: ignore[assignment]
    try:
        _insert(root, count, seed, batch, log, started, cached_fold)
    finally:
        search_text.fold = plain_fold  # type: ignore[assignment]
    return root


_CUSTOMER = ("id", "code", "first_name", "last_name", "name_key", "last_key", "words",
             "phone_rev", "phone", "email", "address_line1", "city", "postcode", "country",
             "customer_type", "company", "is_active", "channel", "created_at", "updated_at",
             "last_visit_at")


def _instant(value: datetime | None) -> str | None:
    """As the UTCDateTime column type stores it."""
    return value.isoformat(timespec="microseconds") if value else None


def _insert(root: Path, count: int, seed: int, batch: int, log: bool, started: float,
            fold: Any) -> None:
    """Plain sqlite3 executemany, in the formats the models store (uuid hex, ISO-8601
    UTC instants): the ORM's per-row processing would double the time."""
    customers_sql = (f"INSERT INTO customers ({', '.join(_CUSTOMER)}) "
                     f"VALUES ({', '.join('?' * len(_CUSTOMER))})")
    with Shop.open(root) as shop:
        if shop.needs_owner():
            shop.staff.create_owner(OWNER, "Bench Owner", SECRET)
        rows = generate(count, seed)
        done = 0
        while done < count:
            chunk = list(itertools.islice(rows, batch))
            if not chunk:
                break
            with shop.store.write() as session:
                first = shop.store.next_sequence(session, "customer", len(chunk))
                customers, prefs, loyalty = [], [], []
                for offset, row in enumerate(chunk):
                    customer_id = uuid.uuid4().hex
                    created = _instant(row["created_at"])
                    customers.append((
                        customer_id, codes.customer_code(shop.store.node_tag, first + offset),
                        row["first_name"], row["last_name"],
                        fold(f"{row['first_name']} {row['last_name']}"), fold(row["last_name"]),
                        customer_words(row["first_name"], row["last_name"], row["company"],
                                       row["address_line1"], row["city"], row["postcode"]),
                        reversed_digits(row["phone"]) or "", row["phone"], row["email"],
                        row["address_line1"], row["city"], row["postcode"], row["country"],
                        row["customer_type"], row["company"], 1, "walk_in", created,
                        _instant(row["updated_at"]), _instant(row["last_visit_at"])))
                    prefs.append((customer_id, row["preferred_contact"]))
                    loyalty.append((customer_id, created))
                dbapi = session.connection().connection.driver_connection
                assert dbapi is not None
                # Random UUID keys touch pages all over the indexes: keep them cached.
                dbapi.execute("PRAGMA cache_size=-262144")
                dbapi.executemany(customers_sql, customers)
                dbapi.executemany(
                    "INSERT INTO customer_preferences (customer_id, preferred_contact, best_time, "
                    "language, marketing_opt_in, service_notifications) "
                    "VALUES (?, ?, 'any', 'en', 0, 1)", prefs)
                dbapi.executemany(
                    "INSERT INTO customer_loyalty (customer_id, tier, opened_at) "
                    "VALUES (?, 'bronze', ?)", loyalty)
            done += len(chunk)
            if log:
                print(f"  {done:,} customers ({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr, flush=True)


def cached_shop(count: int, seed: int = 13, out: Path = OUT) -> Path:
    """The generated directory for (`count`, `seed`), made once and kept under `out`."""
    root = out / f"skewed-v{VERSION}-{count}-{seed}"
    done = root / "complete"
    if not done.exists():
        if root.exists():
            import shutil
            shutil.rmtree(root)  # a run killed half-way
        print(f"generating {count:,} skewed customers into {root} ...", file=sys.stderr)
        build_shop(root, count, seed, log=True)
        done.write_text("ok\n", encoding="utf-8")
    assert paths.database_path(root).exists()
    return root


if __name__ == "__main__":
    build_shop(Path(sys.argv[2]), int(sys.argv[1]), log=True)
