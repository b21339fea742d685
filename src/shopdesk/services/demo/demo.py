"""Realistic generated customers to try the app on (`shopdesk demo`).

Names, streets and cities come from Faker's locales (accents included); phone
numbers are valid mobiles of each country built with libphonenumber, so every
generated row passes the same validation as a typed registration.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers
from faker import Faker
from phonenumbers import PhoneNumberType

from shopdesk.domain.text import fold

# (Faker locale, phone region, weight): a UK shop with an international clientele.
LOCALES = [
    ("en_GB", "GB", 40), ("de_DE", "DE", 8), ("fr_FR", "FR", 8), ("es_ES", "ES", 8),
    ("pt_BR", "BR", 6), ("pl_PL", "PL", 6), ("tr_TR", "TR", 5), ("it_IT", "IT", 5),
    ("sv_SE", "SE", 4), ("nl_NL", "NL", 4), ("en_US", "US", 6),
]
POOL = 400
MAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de",
                "orange.fr", "hotmail.co.uk"]


@dataclass
class _Pool:
    region: str
    first: list[str]
    last: list[str]
    streets: list[str]
    cities: list[str]
    postcodes: list[str]
    regions: list[str]
    companies: list[str]
    jobs: list[str]
    mobile_prefix: str


def _names(fake: Faker, attribute: str) -> list[str]:
    """A locale's whole list of first or last names (Faker keeps them on its provider)."""
    for provider in fake.providers:
        names = getattr(provider, attribute, None)
        if names and len(names) >= 20:  # some locales keep only a stub list here
            return sorted({str(n) for n in names})
    return []


def _pool(locale: str, region: str, seed: int) -> _Pool:
    fake = Faker(locale)
    fake.seed_instance(seed)

    def many(fn: object, n: int = POOL) -> list[str]:
        return [str(fn()) for _ in range(n)]  # type: ignore[operator]

    state = getattr(fake, "state", None) or getattr(fake, "county", None)
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    assert example is not None, region
    national = str(example.national_number)
    return _Pool(
        region=region, first=_names(fake, "first_names") or many(fake.first_name),
        last=_names(fake, "last_names") or many(fake.last_name),
        streets=many(fake.street_address), cities=many(fake.city),
        postcodes=many(fake.postcode), regions=many(state) if state else [""],
        companies=many(fake.company, 100), jobs=many(fake.job, 100),
        mobile_prefix=national[:-6],
    )


def _mobile(pool: _Pool, rng: random.Random, used: set[str]) -> str:
    code = phonenumbers.country_code_for_region(pool.region)
    while True:
        candidate = f"+{code}{pool.mobile_prefix}{rng.randrange(10**6):06d}"
        if candidate in used:
            continue
        number = phonenumbers.parse(candidate, None)
        if phonenumbers.is_valid_number(number):
            used.add(candidate)
            return candidate


def generate(count: int, seed: int = 7) -> Iterator[dict[str, str]]:
    """`count` customer rows (CSV-style dicts), each unique by phone and e-mail."""
    rng = random.Random(seed)
    pools = [_pool(loc, region, seed + i) for i, (loc, region, _w) in enumerate(LOCALES)]
    weights = [w for _l, _r, w in LOCALES]
    used_phones: set[str] = set()
    used_emails: set[str] = set()
    # A city shop's clientele: surnames from every community, some double-barrelled.
    every_last = sorted({name for pool in pools for name in pool.last})
    for n in range(count):
        pool = rng.choices(pools, weights)[0]
        first = rng.choice(pool.first)
        last = rng.choice(pool.last if rng.random() < 0.7 else every_last)
        second = rng.choice(pool.last)
        if rng.random() < 0.12 and second != last:
            joiner = " " if pool.region in ("ES", "BR") else "-"
            last = f"{last}{joiner}{second}"
        business = rng.random() < 0.15
        local = ".".join(fold(part).replace(" ", "").replace(".", "") for part in (first, last))
        email = f"{local}{n}@{rng.choice(MAIL_DOMAINS)}" if rng.random() < 0.8 else ""
        if email in used_emails:
            email = ""
        used_emails.add(email)
        row = {
            "first_name": first, "last_name": last,
            "phone": _mobile(pool, rng, used_phones),
            "email": email,
            "address_line1": rng.choice(pool.streets).replace("\n", ", "),
            "city": rng.choice(pool.cities), "region": rng.choice(pool.regions),
            "postcode": rng.choice(pool.postcodes), "country": pool.region,
            "customer_type": "business" if business else "individual",
            "company": rng.choice(pool.companies) if business else "",
            "occupation": rng.choice(pool.jobs) if rng.random() < 0.3 else "",
            "preferred_contact": rng.choices(
                ["whatsapp", "sms", "phone", "email", "in_person"], [35, 30, 15, 15, 5])[0],
            "channel": rng.choices(
                ["walk_in", "repair_intake", "phone_call", "whatsapp", "online_form"],
                [40, 30, 10, 10, 10])[0],
            "marketing_opt_in": "true" if rng.random() < 0.4 else "false",
            "date_of_birth": (f"{rng.randint(1945, 2008)}-{rng.randint(1, 12):02d}-"
                              f"{rng.randint(1, 28):02d}") if rng.random() < 0.5 else "",
            "notes": rng.choice(["", "", "", "Prefers calls after 5pm", "Cracked screen twice",
                                 "Business account, invoices by e-mail", "Speaks little English"]),
        }
        if row["preferred_contact"] == "email" and not email:
            row["preferred_contact"] = "sms"
        yield row
