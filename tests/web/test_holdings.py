"""Reading holdings files and writing results: delimiters, headers, weights, bad files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook

from esgscreen.web.holdings import (
    HoldingsError,
    decode,
    parse_holdings,
    parse_weight,
    results_csv,
)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_and_headers_in_any_case(delimiter: str) -> None:
    text = delimiter.join(["Name", " ISIN ", "Weight", "Sector"]) + "\n"
    text += delimiter.join(["Cellebrite DI Ltd.", "", "1.5", "Tech"]) + "\n"
    holdings = parse_holdings(text.encode())
    assert holdings.delimiter == delimiter
    assert holdings.columns == ("name", "isin", "weight")
    assert holdings.ignored == ("Sector",)
    assert holdings.items == [{"ref": 2, "name": "Cellebrite DI Ltd.", "weight": 1.5}]


def test_utf8_with_bom_blank_lines_and_quoted_fields() -> None:
    data = "\ufeffname,ticker,exchange,weight\n\n\"Sun Corporation, Japan\",6736,XTKS,\"0,4\"\n"
    holdings = parse_holdings(data.encode("utf-8"))
    assert holdings.items == [{"ref": 3, "name": "Sun Corporation, Japan", "ticker": "6736",
                               "exchange": "XTKS", "weight": 0.4}]


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1.5", 1.5), ("1,5", 1.5), ("2%", 2.0), ("1,234.5", 1234.5), ("", None), ("  ", None),
     ("abc", "abc"), ("nan", "nan"), ("inf", "inf")],
)
def test_weights(raw: str, value: float | str | None) -> None:
    assert parse_weight(raw) == value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "workbook could not be read"),
        (b"name\x00,isin\n", "neither a CSV text file nor an .xlsx workbook"),
        ("name,isin\nSoci\u00e9t\u00e9,\n".encode("latin-1"), "not UTF-8"),
        (b"company_id,sector\n1,tech\n", "No column to screen by"),
        (b"name,isin\n", "no holdings"),
    ],
)
def test_unusable_files_say_why(data: bytes, message: str) -> None:
    with pytest.raises(HoldingsError, match=message):
        parse_holdings(data)


def test_missing_columns_names_what_was_found() -> None:
    with pytest.raises(HoldingsError) as caught:
        parse_holdings(b"company_id;sector\n1;tech\n")
    assert "'company_id', 'sector'" in str(caught.value)


def test_row_limit() -> None:
    data = "name\n" + "".join(f"Company {i}\n" for i in range(11))
    with pytest.raises(HoldingsError, match="more than 10 holdings"):
        parse_holdings(data, max_rows=10)


def test_results_csv_neutralises_formulas() -> None:
    items = [{"ref": 2, "name": "=HYPERLINK(\"http://x\")", "weight": 1.0}]
    result = {"watchlist_version": 3, "policy": "default",
              "results": [{"ref": 2, "status": "no_match", "action": "clear", "rating": None,
                           "weight": 1.0, "reasons": ["not on the watchlist"]}]}
    when = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    rows = list(csv.DictReader(io.StringIO(
        results_csv(items, result, {"no_match": "Not"}, when))))
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["watchlist_version"] == "3"
    assert rows[0]["screened_at"] == "2026-03-02T09:30:00+00:00"
    assert rows[0]["verdict"] == "Not"
    assert rows[0]["action"] == "none (not on the watchlist)"
    assert rows[0]["rating"] == "no rating"


def test_results_csv_names_each_warning() -> None:
    items = [{"ref": 2, "name": "Cellebrite DI Ltd.", "isin": "IL0011794801"}]
    result = {"watchlist_version": 3, "policy": "default",
              "results": [{"ref": 2, "status": "match", "action": "exclude", "rating": "red",
                           "weight": None, "reasons": [],
                           "warnings": [{"field": "isin", "message": "bad check digit"}]}]}
    rows = list(csv.DictReader(io.StringIO(
        results_csv(items, result, {"match": "On"}, datetime.now(UTC)))))
    assert rows[0]["warnings"] == "isin: bad check digit"
    assert rows[0]["error"] == ""
    assert rows[0]["isin"] == "IL0011794801"


def test_figi_and_domain_columns() -> None:
    holdings = parse_holdings(b"Company,FIGI,Website\nNSO,BBG000BLNNH6,nsogroup.com\n")
    assert holdings.columns == ("name", "figi", "domain")
    assert holdings.items == [{"ref": 2, "name": "NSO", "figi": "BBG000BLNNH6",
                               "domain": "nsogroup.com"}]
    assert parse_holdings(b"figi\nBBG000BLNNH6\n").items[0]["figi"] == "BBG000BLNNH6"


def test_xlsx_workbooks_are_read_from_the_first_sheet() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "ISIN", "CIK", "Weight"])
    sheet.append(["Cellebrite DI Ltd.", None, 1854587, 1.25])
    sheet.append([None, None, None, None])
    sheet.append(["Sun Corporation", "JP3336450006", None, 0.4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    text = decode(buffer.getvalue(), "holdings.xlsx")
    holdings = parse_holdings(text)
    assert holdings.columns == ("name", "isin", "cik", "weight")
    assert holdings.items == [
        {"ref": 2, "name": "Cellebrite DI Ltd.", "cik": "1854587", "weight": 1.25},
        {"ref": 4, "name": "Sun Corporation", "isin": "JP3336450006", "weight": 0.4},
    ]
