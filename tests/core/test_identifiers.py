"""Identifier validation, canonical forms, exchanges and free-text detection."""

from __future__ import annotations

import pytest

from esgscreen.core.errors import InvalidIdentifier
from esgscreen.core.identifiers import (
    interpret_free_text,
    normalise_exchange,
    normalise_identifier,
    parse_ticker,
    venue_accepts,
)


@pytest.mark.parametrize(
    ("type_", "raw", "canonical"),
    [
        ("isin", "IL0011794802", "IL0011794802"),
        ("isin", "il 0011 7948 02", "IL0011794802"),
        ("isin", "IL-0011794802", "IL0011794802"),
        ("isin", "CNE100000PM8", "CNE100000PM8"),
        ("lei", "5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R12"),
        ("lei", "5493 001k jtii gc8y 1r12", "5493001KJTIIGC8Y1R12"),
        ("cusip", "M2197Q115", "M2197Q115"),
        ("cusip", "594918-10-4", "594918104"),
        ("figi", "bbg000b9xry4", "BBG000B9XRY4"),
        ("cik", "1854587", "1854587"),
        ("cik", "0001854587", "1854587"),
        ("cik", "CIK0001854587", "1854587"),
        ("cik", 202058, "202058"),
        ("domain", "cellebrite.com", "cellebrite.com"),
        ("domain", "https://www.Cellebrite.com/en/about?x=1", "cellebrite.com"),
        ("domain", "http://investors.cellebrite.com:8080/", "investors.cellebrite.com"),
        ("domain", "info@msab.com", "msab.com"),
        ("domain", "bücher.example", "xn--bcher-kva.example"),
        ("ticker", "CLBT", "CLBT"),
        ("ticker", "clbt", "CLBT"),
        ("ticker", "NASDAQ:CLBT", "CLBT"),
        ("ticker", "CLBT UW Equity", "CLBT"),
        ("ticker", "MSAB.B", "MSABB"),
        ("ticker", "MSAB-B.ST", "MSABB"),
        ("ticker", "0020.HK", "20"),
        ("registry", "  556244-3050 ", "5562443050"),
        ("registry", "hrb 12 345", "HRB12345"),
    ],
)
def test_canonical_forms(type_: str, raw: str, canonical: str) -> None:
    assert normalise_identifier(type_, raw) == canonical


@pytest.mark.parametrize(
    ("type_", "raw", "reason"),
    [
        ("isin", "IL0011794801", "check digit"),
        ("isin", "XX0011794802", "country"),
        ("isin", "IL001179480", "12 characters"),
        ("lei", "5493001KJTIIGC8Y1R13", "check digit"),
        ("cusip", "594918105", "check digit"),
        ("figi", "BBG000B9XRY5", "check digit"),
        ("cik", "12345678901", "1 to 10 digits"),
        ("cik", "0000000000", "zero"),
        ("cik", "12a45", "1 to 10 digits"),
        ("domain", "localhost", "domain"),
        ("domain", "1.2.3.4", "domain"),
        ("domain", "http://", "domain"),
        ("ticker", "Cellebrite DI Ltd", "ticker symbol"),
        ("ticker", "^GSPC", "ticker symbol"),
        ("registry", "   ", "empty"),
        ("passport", "X123", "unknown identifier type"),
    ],
)
def test_invalid_values_name_the_field(type_: str, raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalise_identifier(type_, raw, field="holdings[3].id")
    assert caught.value.field == "holdings[3].id"
    assert caught.value.value == raw
    assert reason in caught.value.message


def test_field_defaults_to_the_type() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalise_identifier("isin", "IL0011794801")
    assert caught.value.field == "isin"


@pytest.mark.parametrize(
    ("raw", "exchange", "expected"),
    [
        ("CLBT", None, ("CLBT", None)),
        ("CLBT", "XNAS", ("CLBT", "XNAS")),
        ("CLBT", "nasdaq", ("CLBT", "XNAS")),
        ("CLBT", "XNGS", ("CLBT", "XNAS")),  # a segment MIC is its operating MIC
        ("NASDAQ:CLBT", None, ("CLBT", "XNAS")),
        ("CLBT US", None, ("CLBT", "US")),
        ("CLBT US", "XNAS", ("CLBT", "XNAS")),  # a venue narrows its country
        ("CLBT.O", None, ("CLBT", "XNAS")),
        ("CLBT UW Equity", None, ("CLBT", "XNAS")),
        ("6736.T", None, ("6736", "XTKS")),
        ("6736 JP", None, ("6736", "JP")),
        ("6736", "TSE", ("6736", "XTKS")),
        ("002415.SZ", None, ("002415", "XSHE")),
        ("002415 CH", None, ("002415", "CN")),
        ("002415 C2 Equity", None, ("002415", "XSHE")),
        ("002415.CN", None, ("002415", "CN")),  # the Reuters spelling of an A-share
        ("688327.SS", None, ("688327", "XSHG")),
        ("POSI RM", None, ("POSI", "MISX")),
        ("POSI.ME", None, ("POSI", "MISX")),
        ("POSI", "MOEX", ("POSI", "MISX")),
        ("MAGT.TO", None, ("MAGT", "XTSE")),
        ("MAGT CN", None, ("MAGT", "CA")),
        ("MSABB SS", None, ("MSABB", "XSTO")),
        ("CY4.MI", None, ("CY4", "XMIL")),
        ("CY4 IM", None, ("CY4", "XMIL")),
        ("VOD LN", None, ("VOD", "XLON")),
        ("VOD.L", None, ("VOD", "XLON")),
        ("0020.HK", None, ("20", "XHKG")),
        ("00020", "HKEX", ("20", "XHKG")),
    ],
)
def test_ticker_forms(raw: str, exchange: str | None, expected: tuple[str, str | None]) -> None:
    assert parse_ticker(raw, exchange) == expected


def test_a_ticker_and_a_contradicting_exchange_are_rejected() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_ticker("CLBT.T", "XNAS")
    assert caught.value.field == "exchange"


@pytest.mark.parametrize("raw", ["FOO", "", "NOT AN EXCHANGE"])
def test_unknown_exchanges_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalise_exchange(raw)
    assert caught.value.field == "exchange"


def test_an_unlisted_mic_is_kept_as_itself() -> None:
    assert normalise_exchange("XWXY") == "XWXY"


@pytest.mark.parametrize(
    ("query", "listing", "accepted"),
    [
        ("XNAS", "XNAS", True),
        ("XNAS", "XNGS", True),
        ("XNAS", "XNYS", False),
        ("US", "XNYS", True),
        ("US", "XTKS", False),
        ("CN", "XSHE", True),
        ("CN", "XSHG", True),
        ("XSHG", "XSHE", False),
        ("JP", "XTKS", True),
    ],
)
def test_venues(query: str, listing: str, accepted: bool) -> None:
    assert venue_accepts(query, listing) is accepted


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("IL0011794802", [("isin", "IL0011794802", None)]),
        ("il0011794802", [("isin", "IL0011794802", None)]),
        ("isin: IL0011794802", [("isin", "IL0011794802", None)]),
        ("5493001KJTIIGC8Y1R12", [("lei", "5493001KJTIIGC8Y1R12", None)]),
        ("BBG000B9XRY4", [("figi", "BBG000B9XRY4", None)]),
        ("M2197Q115", [("cusip", "M2197Q115", None)]),
        ("0001854587", [("cik", "1854587", None)]),
        ("CIK0001854587", [("cik", "1854587", None)]),
        ("CIK 1854587", [("cik", "1854587", None)]),
        ("1854587", [("cik", "1854587", None)]),
        ("6736", [("ticker", "6736", None), ("cik", "6736", None)]),
        ("594918104", [("cusip", "594918104", None), ("cik", "594918104", None)]),
        ("cellebrite.com", [("domain", "cellebrite.com", None)]),
        ("https://www.cellebrite.com/en", [("domain", "cellebrite.com", None)]),
        ("sap.de", [("domain", "sap.de", None)]),
        ("SAP.DE", [("ticker", "SAP", "XETR")]),
        ("NASDAQ:CLBT", [("ticker", "CLBT", "XNAS")]),
        ("CLBT UW Equity", [("ticker", "CLBT", "XNAS")]),
        ("CLBT.O", [("ticker", "CLBT", "XNAS")]),
        ("6736 JP", [("ticker", "6736", "JP")]),
        ("002415.SZ", [("ticker", "002415", "XSHE")]),
        ("CLBT", [("ticker", "CLBT", None)]),
        ("Cellebrite", []),
        ("Sun AG", []),
        ("NSO Group Technologies Ltd.", []),
    ],
)
def test_free_text_detection(text: str, readings: list) -> None:
    assert interpret_free_text(text) == readings


@pytest.mark.parametrize("text", ["IL0011794801", "5493001KJTIIGC8Y1R13", "http://"])
def test_free_text_with_an_identifier_shape_but_invalid_is_rejected(text: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        interpret_free_text(text)
    assert caught.value.field == "q"
