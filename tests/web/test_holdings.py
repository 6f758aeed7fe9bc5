"""Reading holdings files and writing results: delimiters, headers, weights, bad files."""

from __future__ import annotations

import csv
import io

import pytest

from esgscreen.web.holdings import HoldingsError, parse_holdings, parse_weight, results_csv


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
        (b"PK\x03\x04\x14\x00\x06\x00", "not a CSV text file"),
        (b"name\x00,isin\n", "not a CSV text file"),
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
    rows = list(csv.DictReader(io.StringIO(results_csv(items, result, {"no_match": "Not"}))))
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["watchlist_version"] == "3"
    assert rows[0]["verdict"] == "Not"


def test_an_xlsx_workbook_reads_as_its_first_sheet() -> None:
    import openpyxl

    from esgscreen.web.holdings import holdings_text

    book = openpyxl.Workbook()
    for row in (("ISIN", "Company", "Weight"), ("IL0011794802", "Cellebrite", 1.5),
                (None, "Microsoft Corporation", 3)):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    holdings = parse_holdings(holdings_text(data.getvalue()))
    assert holdings.columns == ("isin", "name", "weight")
    assert holdings.items == [
        {"ref": 2, "isin": "IL0011794802", "name": "Cellebrite", "weight": 1.5},
        {"ref": 3, "name": "Microsoft Corporation", "weight": 3.0},
    ]
