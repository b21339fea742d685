"""One-box search figures: recall@5 per query kind, latency, memory, and baselines.

    python bench/search.py bench/out/shop-100000 [bench/out/shop-1000000 ...]
        [--per-kind 200] [--baseline-per-kind 40] [--out bench/out/queries.jsonl]

For each data directory, a labelled query set is drawn from its own customers
(seeded): typo'd names (one typo a word, or two in a long surname), reversed
names, unaccented names, national-format phones (spaces, dashes, none), the
last six digits, e-mail starts, and names as typed (first name + start of the
surname). A query whose literal meaning matches more than five customers (e.g.
eight real "John Smith"s) cannot have a single intended answer in a top five;
such queries are counted and left out, for every engine alike.

Engines compared on the same queries in one run:
- shopdesk: `Shop.search` in-process (index built first, build time reported);
- substring: the ERP default, SQL LIKE '%text%' on name, phone and e-mail;
- naive fuzzy: rapidfuzz WRatio over every customer's full name, top five.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import phonenumbers
from rapidfuzz import fuzz, process
from sqlalchemy import text

from shopdesk.domain.text import fold
from shopdesk.shop import Shop

KINDS = ["typo_name", "typo2_name", "reversed_name", "unaccented_name", "national_phone",
         "phone_suffix", "email_prefix", "typed_prefix"]


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def typo(word: str, rng: random.Random) -> str:
    """One realistic typo: a swap, a dropped, doubled or wrong letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(["swap", "drop", "double", "replace"])
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "drop":
        return word[:i] + word[i + 1:]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    near = "qwertyuiopasdfghjklzxcvbnm"
    return word[:i] + rng.choice(near.replace(word[i], "")) + word[i + 1:]


def load(shop: Shop) -> list[dict[str, Any]]:
    with shop.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, first_name, last_name, phone, email, country FROM customers")).mappings()
        return [dict(r, id=canon(r["id"])) for r in rows]


def canon(raw: object) -> str:
    """SQLite keeps UUIDs as 32 hex digits; compare them in their usual form."""
    return str(uuid.UUID(str(raw)))


def make_queries(rows: list[dict[str, Any]], per_kind: int, region: str,
                 seed: int = 3) -> tuple[list[dict[str, Any]], Counter[str]]:
    rng = random.Random(seed)
    by_name: Counter[tuple[str, str]] = Counter((fold(r["first_name"]), fold(r["last_name"]))
                                                for r in rows)
    suffixes: Counter[str] = Counter(r["phone"][-6:] for r in rows)
    first_words: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        first_words[fold(r["first_name"])].append((fold(r["last_name"]), r["id"]))
    queries: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()

    def ambiguous(r: dict[str, Any]) -> bool:
        return by_name[(fold(r["first_name"]), fold(r["last_name"]))] > 5

    sample = rng.sample(rows, min(len(rows), per_kind * 40))
    made: Counter[str] = Counter()

    def add(kind: str, query: str, r: dict[str, Any], is_ambiguous: bool) -> None:
        if made[kind] >= per_kind:
            return
        if is_ambiguous:
            skipped[kind] += 1
            return
        made[kind] += 1
        queries.append({"kind": kind, "query": query, "id": str(r["id"])})

    for r in sample:
        first, last = r["first_name"], r["last_name"]
        f_words, l_words = fold(first).split(), fold(last).split()
        amb = ambiguous(r)
        add("typo_name", " ".join([typo(w, rng) for w in f_words + l_words]), r, amb)
        longest = max(l_words, key=len)
        if len(longest) >= 7:
            twice = typo(typo(longest, rng), rng)
            add("typo2_name", " ".join(f_words + [twice if w == longest else w
                                                    for w in l_words]), r, amb)
        add("reversed_name", f"{last} {first}", r, amb)
        if not (first + last).isascii():
            add("unaccented_name", " ".join(f_words + l_words), r, amb)
        number = phonenumbers.parse(r["phone"], None)
        if phonenumbers.region_code_for_number(number) == region:
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            style = rng.choice(["spaces", "dashes", "none"])
            shown = {"spaces": national, "dashes": national.replace(" ", "-"),
                     "none": re.sub(r"\D", "", national)}[style]
            add("national_phone", shown, r, False)
        add("phone_suffix", r["phone"][-6:], r, suffixes[r["phone"][-6:]] > 5)
        if r["email"]:
            local = r["email"].split("@")[0]
            add("email_prefix", local, r, False)
        # As typed: the first name and the start of the surname, long enough
        # that at most five customers literally match it.
        surname = "".join(l_words)
        for cut in range(3, len(surname) + 1):
            stem = surname[:cut]
            literal = sum(1 for s, _ in first_words[fold(first)] if s.replace(" ", "")
                          .startswith(stem))
            if literal <= 5:
                add("typed_prefix", f"{first} {last[:cut]}", r, False)
                break
        if all(made[k] >= per_kind for k in KINDS if k != "unaccented_name") and \
                made["unaccented_name"] >= per_kind:
            break
    return queries, skipped


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def run_engine(name: str, fn: Any, queries: list[dict[str, Any]]) -> dict[str, Any]:
    per_kind: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"hit": [], "ms": []})
    for q in queries:
        started = time.perf_counter()
        ids = fn(q["query"])
        ms = (time.perf_counter() - started) * 1000
        per_kind[q["kind"]]["hit"].append(1.0 if q["id"] in ids[:5] else 0.0)
        per_kind[q["kind"]]["ms"].append(ms)
    out = {}
    for kind in KINDS:
        if kind in per_kind:
            data = per_kind[kind]
            out[kind] = {"n": len(data["hit"]), "recall5": statistics.mean(data["hit"]),
                         "p50": percentile(data["ms"], 0.5), "p95": percentile(data["ms"], 0.95)}
    all_ms = [m for d in per_kind.values() for m in d["ms"]]
    out["all"] = {"n": len(all_ms), "p50": percentile(all_ms, 0.5),
                  "p95": percentile(all_ms, 0.95)}
    return out


def report(name: str, results: dict[str, Any]) -> None:
    print(f"  {name}:")
    for kind in KINDS:
        if kind in results:
            r = results[kind]
            print(f"    {kind:<16} n={r['n']:<4} recall@5={r['recall5']:.3f}  "
                  f"p50={r['p50']:7.2f} ms  p95={r['p95']:7.2f} ms")
    a = results["all"]
    print(f"    {'all':<16} n={a['n']:<4} p50={a['p50']:7.2f} ms  p95={a['p95']:7.2f} ms")


def bench_dir(root: Path, per_kind: int, baseline_per_kind: int, out: Path | None) -> None:
    shop = Shop.open(root)
    before = rss_mb()
    rows = load(shop)
    region = shop.settings.get("phone.default_region")
    queries, skipped = make_queries(rows, per_kind, region)
    names = [f"{r['first_name']} {r['last_name']}" for r in rows]
    ids = [str(r["id"]) for r in rows]
    del rows
    print(f"\n{root.name}: {len(ids):,} customers, {len(queries)} queries "
          f"(left out as ambiguous: {dict(skipped) or 'none'})")
    if out:
        with out.open("a", encoding="utf-8") as handle:
            for q in queries:
                handle.write(json.dumps({"data": root.name, **q}, ensure_ascii=False) + "\n")
    rss_before_index = rss_mb()
    started = time.perf_counter()
    shop.search_engine.warm()
    build = time.perf_counter() - started
    print(f"  index: built in {build:.2f} s; process RSS {rss_before_index:.0f} MB -> "
          f"{rss_mb():.0f} MB (at open: {before:.0f} MB; the bench also holds the "
          "baseline name list)")

    def ours(query: str) -> list[str]:
        return [str(h.id) for h in shop.search(query, 5)]

    ours(queries[0]["query"])  # first-query costs (statement compile) out of the timing
    report("shopdesk", run_engine("shopdesk", ours, queries))

    rng = random.Random(9)
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in queries:
        by_kind[q["kind"]].append(q)
    small = [q for kind in KINDS for q in rng.sample(by_kind[kind], min(
        baseline_per_kind, len(by_kind[kind])))]

    def substring(query: str) -> list[str]:
        like = f"%{query}%"
        with shop.engine.connect() as conn:
            return [canon(r[0]) for r in conn.execute(text(
                "SELECT id FROM customers WHERE (first_name || ' ' || last_name) LIKE :q "
                "OR phone LIKE :q OR email LIKE :q ORDER BY updated_at DESC LIMIT 5"),
                {"q": like})]

    report(f"substring (ERP default), {len(small)} queries", run_engine("substring",
                                                                       substring, small))

    def naive(query: str) -> list[str]:
        return [ids[i] for _, _, i in process.extract(query, names, scorer=fuzz.WRatio,
                                                      limit=5)]

    report(f"naive rapidfuzz scan, {len(small)} queries", run_engine("naive", naive, small))
    shop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dirs", nargs="+", type=Path)
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--baseline-per-kind", type=int, default=40)
    parser.add_argument("--out", type=Path, help="also write the labelled queries (JSONL)")
    args = parser.parse_args()
    if args.out and args.out.exists():
        args.out.unlink()
    for root in args.data_dirs:
        if not (root / "shopdesk.sqlite").exists():
            sys.exit(f"{root}: no shopdesk database (run bench/foundation.py or shopdesk demo)")
        bench_dir(root, args.per_kind, args.baseline_per_kind, args.out)


if __name__ == "__main__":
    main()
