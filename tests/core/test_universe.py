"""Precision over a large universe of real listed companies that are not on the watchlist.

The universe is what two packages of the `test` extra ship as data:

- edgartools 5.62.1, ``edgar/reference/data/company_tickers.parquet``: the SEC's company
  tickers list (10,365 listings of 7,992 registrants: CIK, ticker, exchange, name as EDGAR
  writes it, with its /DE/ and /ADR decorations);
- pytickersymbols 1.17.10, ``pytickersymbols/indices_data.py``: 1,837 members of stock indices
  in 40-odd countries, with their ISINs.

Each company is screened by name alone and by name with its own identifier (CIK or ISIN). The
watchlist's own companies are left out by identifier: a registrant whose CIK, or a listing
whose ticker on a US venue, or an index member whose ISIN the watchlist records, and the
registrant of that index member's US ticker (and the other way round). Every other
company must come out ``no_match``, or rarely ``possible_match``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from esgscreen.core.identifiers import exchange_country, normalise_exchange
from esgscreen.core.matching import Matcher, parse_query
from esgscreen.watchlist.files import read_watchlist

pq = pytest.importorskip("pyarrow.parquet", reason="the test extra (edgartools) is not installed")
pytickersymbols = pytest.importorskip("pytickersymbols")

ROOT = Path(__file__).resolve().parents[2]
POSSIBLE_SHARE = 0.005  # at most one company in two hundred goes to review
# Registrants that are watchlist entities whose file does not record the CIK yet (the SEC list
# gives it); each goes when the watchlist records it, which a test below holds.
UNRECORDED = {"1577552": "alibaba-group"}


def _sec_rows() -> list[dict[str, str]]:
    spec = importlib.util.find_spec("edgar")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "reference" / "data" / "company_tickers.parquet"
    return pq.read_table(path).to_pylist()


def _symbols(stock: dict) -> set[str]:
    symbols = {s.get("yahoo") for s in stock.get("symbols") or ()} | {stock.get("symbol")}
    return {s for s in symbols if s}


@pytest.fixture(scope="module")
def universe() -> tuple[Matcher, list[dict[str, str]]]:
    entities = list(read_watchlist(ROOT / "watchlist").entities.values())
    ciks, isins, us_tickers = set(), set(), set()
    for entity in entities:
        for identifier in entity.identifiers:
            if identifier.type == "cik":
                ciks.add(identifier.value.lstrip("0"))
            elif identifier.type == "isin":
                isins.add(identifier.value)
            elif identifier.type == "ticker" and identifier.exchange and exchange_country(
                normalise_exchange(identifier.exchange)
            ) == "US":
                us_tickers.add(identifier.value)
    ciks |= set(UNRECORDED)
    rows = _sec_rows()
    cik_of_ticker = {row["ticker"]: row["cik"].lstrip("0") for row in rows}
    stocks = pytickersymbols.PyTickerSymbols().get_all_stocks()
    for stock in stocks:  # an index member whose ISIN is the watchlist's: its US listing's CIK
        if set(stock.get("isins") or ()) & isins:
            ciks |= {cik_of_ticker[s] for s in _symbols(stock) if s in cik_of_ticker}
    queries: list[dict[str, str]] = []
    for row in rows:
        cik = row["cik"].lstrip("0")
        if cik in ciks or row["ticker"] in us_tickers:
            continue
        queries += [{"name": row["name"]}, {"name": row["name"], "cik": cik}]
    for stock in stocks:
        own = [isin for isin in stock.get("isins") or () if isin]
        if set(own) & isins or any(cik_of_ticker.get(s) in ciks for s in _symbols(stock)):
            continue  # its ISIN, or its US ticker's CIK, is the watchlist's
        queries.append({"name": stock["name"]})
        if own:
            queries.append({"name": stock["name"], "isin": own[0]})
    return Matcher(entities), queries


def test_the_universe_is_large(universe: tuple[Matcher, list[dict[str, str]]]) -> None:
    _, queries = universe
    assert len({q["name"] for q in queries}) >= 5_000


def test_no_real_company_off_the_watchlist_is_a_match(
    universe: tuple[Matcher, list[dict[str, str]]],
) -> None:
    matcher, queries = universe
    matches, review = [], []
    for params in queries:
        try:
            outcome = matcher.match(parse_query(params))
        except ValueError:  # an identifier the package ships malformed answers 422, not a match
            continue
        if outcome.status == "match":
            matches.append(f"{params} -> {outcome.candidates[0].explanation}")
        elif outcome.status == "possible_match":
            review.append(params)
    assert not matches, "\n".join(matches)
    assert len(review) <= POSSIBLE_SHARE * len(queries), review


def test_unrecorded_ciks_are_still_unrecorded() -> None:
    entities = read_watchlist(ROOT / "watchlist").entities
    for cik, entity_id in UNRECORDED.items():
        recorded = {i.value for i in entities[entity_id].identifiers if i.type == "cik"}
        assert cik not in recorded, f"{entity_id} records CIK {cik} now: drop it from UNRECORDED"
