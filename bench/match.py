"""Matching micro-benchmark: index build time and per-query latency at 10,000 entities.

Usage: python bench/match.py [--entities N] [--queries N] [--seed N]

Builds a synthetic watchlist of plausible company names (with legal forms, generic words,
aliases, valid ISINs and LEIs, tickers on several exchanges) beside the real one in
``watchlist/`` when it can be read, then times ``parse_query`` + ``Matcher.match`` in process,
one query at a time. Name queries mix exact names, legal-form and word-order variants, typos and
names that are not on the list; identifier queries mix hits and misses. Identifier checksums
are cached (a nightly portfolio repeats its holdings), so identifiers are timed both on first
sight (cold) and repeated (warm). Targets: <= 50 us median per name query and <= 5 us median
per identifier query. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from stdnum import isin as stdnum_isin
from stdnum.iso7064 import mod_97_10

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from esgscreen.core.matching import Matcher, parse_query  # noqa: E402
from esgscreen.core.model import Alias, Entity, Identifier  # noqa: E402

SYLLABLES = [
    "ar", "bel", "cor", "dan", "el", "fin", "gar", "hex", "in", "jor", "kal", "lum", "mar", "nov",
    "or", "pax", "quin", "ros", "sil", "tor", "ul", "ver", "wex", "xan", "yor", "zel", "tek",
    "vis", "tra", "lex", "mon", "sa", "ri", "do", "ka", "len", "ta", "vo", "ne", "gen",
]
COMMON_WORDS = [
    "pacific", "summit", "river", "blue", "star", "north", "atlantic", "eagle", "first", "united",
    "alpha", "delta", "green", "silver", "golden", "royal", "central", "metro", "pioneer",
    "horizon", "apex", "liberty", "harbor", "crown", "phoenix", "orion", "falcon", "vertex",
]
GENERIC = [
    "Group", "Technologies", "Holdings", "Capital", "Systems", "Solutions", "International",
    "Partners", "Software", "Networks", "Labs", "Industries", "Services", "Digital", "Global",
]
LEGAL = [
    "Ltd", "Limited", "Inc.", "Corp.", "Corporation", "LLC", "PLC", "GmbH", "AG", "S.A.",
    "S.p.A.", "S.r.l.", "SAS", "B.V.", "N.V.", "AB", "Oy", "Zrt", "AD", "Pte. Ltd.", "Co., Ltd.",
]
MICS = ["XNAS", "XNYS", "XTKS", "XSHE", "XSHG", "XHKG", "XLON", "XSTO", "XMIL", "MISX", "XTSE"]


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def company_name(rng: random.Random) -> str:
    parts = [word(rng)]
    if rng.random() < 0.35:
        parts.append(rng.choice(COMMON_WORDS).capitalize())
    if rng.random() < 0.25:
        parts.append(word(rng))
    if rng.random() < 0.6:
        parts.append(rng.choice(GENERIC))
    if rng.random() < 0.8:
        parts.append(rng.choice(LEGAL))
    return " ".join(parts)


def make_isin(rng: random.Random) -> str:
    country = rng.choice(["US", "GB", "DE", "FR", "JP", "CN", "IL", "SE", "IT", "CA"])
    body = country + "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(9))
    return body + stdnum_isin.calc_check_digit(body)


def make_lei(rng: random.Random) -> str:
    body = "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(18))
    return body + mod_97_10.calc_check_digits(body)


def synthetic_entities(count: int, rng: random.Random) -> list[Entity]:
    entities = []
    tickers_seen: set[tuple[str, str]] = set()
    for number in range(count):
        identifiers = [
            Identifier("isin", make_isin(rng)),
            Identifier("lei", make_lei(rng)),
        ]
        mic = rng.choice(MICS)
        symbol = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 4)))
        if (symbol, mic) not in tickers_seen:
            tickers_seen.add((symbol, mic))
            identifiers.append(Identifier("ticker", symbol, exchange=mic))
        aliases = (Alias(word(rng), "former"),) if rng.random() < 0.3 else ()
        entities.append(
            Entity(
                id=f"synthetic-{number}",
                name=company_name(rng),
                kind="vendor",
                aliases=aliases,
                identifiers=tuple(identifiers),
            )
        )
    return entities


def real_entities() -> list[Entity]:
    try:
        from esgscreen.watchlist.files import read_watchlist

        return list(read_watchlist(ROOT / "watchlist").entities.values())
    except Exception as error:  # the benchmark runs without the real list too
        print(f"real watchlist not read ({type(error).__name__}); synthetic entities only")
        return []


def typo(text: str, rng: random.Random) -> str:
    position = rng.randrange(1, max(2, len(text) - 1))
    return text[:position] + text[position + 1:]


def name_queries(entities: Sequence[Entity], count: int, rng: random.Random) -> list[dict]:
    queries = []
    for _ in range(count):
        entity = rng.choice(entities)
        roll = rng.random()
        if roll < 0.3:
            name = entity.name
        elif roll < 0.5:
            name = entity.name.rsplit(" ", 1)[0] + " " + rng.choice(LEGAL)
        elif roll < 0.7:
            name = typo(entity.name, rng)
        else:
            name = company_name(rng)
        queries.append({"name": name})
    return queries


def identifier_queries(entities: Sequence[Entity], count: int, rng: random.Random) -> list[dict]:
    queries = []
    for _ in range(count):
        entity = rng.choice(entities)
        roll = rng.random()
        by_type = {i.type: i for i in entity.identifiers}
        if roll < 0.35:
            queries.append({"isin": by_type["isin"].value})
        elif roll < 0.55:
            queries.append({"lei": by_type["lei"].value})
        elif roll < 0.75 and "ticker" in by_type:
            queries.append({"ticker": by_type["ticker"].value,
                            "exchange": by_type["ticker"].exchange})
        else:
            queries.append({"isin": make_isin(rng)})
    return queries


def time_queries(matcher: Matcher, queries: Sequence[dict]) -> list[float]:
    timings = []
    clock: Callable[[], int] = time.perf_counter_ns
    match = matcher.match
    for params in queries:
        started = clock()
        match(parse_query(params))
        timings.append((clock() - started) / 1000)
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{label:<28} n={len(ordered):>6}  median={statistics.median(ordered):7.1f} us  "
          f"p99={p99:7.1f} us")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    entities = synthetic_entities(args.entities, rng)
    real = real_entities()
    started = time.perf_counter()
    matcher = Matcher(entities + real)
    build = time.perf_counter() - started
    print(f"entities={len(entities)} synthetic + {len(real)} real; "
          f"index build {build * 1000:.0f} ms")

    names = name_queries(entities, args.queries, rng)
    time_queries(matcher, names[:500])  # warm up the interpreter's caches
    report("name (parse+match)", time_queries(matcher, names))

    identifiers = identifier_queries(entities, args.queries, rng)
    report("identifier, cold checksum", time_queries(matcher, identifiers))
    report("identifier, warm", time_queries(matcher, identifiers))
    outcomes = [matcher.match(parse_query(p)).status for p in names[:2000]]
    print("name statuses (first 2000): "
          + ", ".join(f"{s}={outcomes.count(s)}" for s in ("match", "possible_match", "no_match")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
