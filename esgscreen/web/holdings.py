"""Holdings files: reading an uploaded CSV (or an .xlsx workbook's first sheet) into batch
items, writing results as CSV.

Pure functions, no Flask. Columns are recognised by their header, in any case and order:
name, isin, ticker, exchange, lei, cik, cusip, weight (a few common spellings too). The
delimiter is a comma, a semicolon or a tab; UTF-8 with or without a byte-order mark.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

IDENTIFYING = ("name", "isin", "ticker", "lei", "cik", "cusip")
COLUMNS = (*IDENTIFYING, "exchange", "weight")
# Header spellings seen in portfolio exports, folded (lower case, letters and digits only).
HEADER_ALIASES = {
    "name": "name", "company": "name", "companyname": "name", "securityname": "name",
    "issuer": "name", "issuername": "name", "holding": "name",
    "isin": "isin", "ticker": "ticker", "symbol": "ticker", "exchange": "exchange",
    "mic": "exchange", "lei": "lei", "cik": "cik", "cusip": "cusip",
    "weight": "weight", "weightpct": "weight", "weightpercent": "weight",
    "portfolioweight": "weight",
}
DELIMITERS = (",", ";", "\t")


class HoldingsError(ValueError):
    """A file that cannot be read as holdings; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Holdings:
    columns: tuple[str, ...]  # recognised columns, in file order
    ignored: tuple[str, ...]  # headers that were not recognised
    items: list[dict[str, Any]]  # batch items; ref is the line number in the file
    delimiter: str


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.strip().lower())


def decode(data: bytes) -> str:
    """The file as text, or a HoldingsError saying why it is not a CSV text file."""
    if not data.strip():
        raise HoldingsError("The file is empty.")
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise HoldingsError(
            "This is not a CSV text file (it looks like a spreadsheet or another binary file). "
            "Save the holdings as 'CSV UTF-8' and upload that file."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise HoldingsError(
            f"The file is not UTF-8 text (unreadable byte at position {error.start}). "
            "Save it as 'CSV UTF-8' and upload it again."
        ) from None


def spreadsheet_text(data: bytes) -> str:
    """The first worksheet of an .xlsx workbook as CSV text (read with openpyxl)."""
    import zipfile

    import openpyxl  # only for workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise HoldingsError(f"The workbook cannot be read ({error}); save it as .xlsx or "
                            "as 'CSV UTF-8'.") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise HoldingsError("The workbook has no worksheet.")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in sheet.iter_rows(values_only=True):
            writer.writerow(["" if v is None else (f"{v:g}" if isinstance(v, float) else v)
                             for v in row])
        return out.getvalue()
    finally:
        book.close()


def holdings_text(data: bytes) -> str:
    """A holdings file as CSV text: a CSV as it is, an .xlsx workbook converted."""
    if data.startswith(b"PK\x03\x04"):
        return spreadsheet_text(data)
    return decode(data)


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_weight(raw: str) -> float | str | None:
    """A number from ``1.5``, ``1,5``, ``1.5%`` or ``1,234.5``; the raw text when it is not one
    (the screening then reports that row's weight as invalid); None when empty."""
    text = raw.strip().rstrip("%").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    elif "," in text and "." in text:
        text = text.replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return raw.strip()
    return value if value == value and value not in (float("inf"), float("-inf")) else raw.strip()


def parse_holdings(data: bytes | str, max_rows: int = 10_000) -> Holdings:
    """Batch items from a holdings CSV; raises HoldingsError for a file that cannot be used."""
    text = decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = sniff_delimiter(first)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise HoldingsError(f"The file is not valid CSV: {error}.") from None
    # The header is the first non-empty row.
    start = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if start is None:
        raise HoldingsError("The file is empty.")
    header = rows[start]
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        column = HEADER_ALIASES.get(_header_key(cell))
        if column and column not in positions:
            positions[column] = index
        elif cell.strip():
            ignored.append(cell.strip())
    if not any(c in positions for c in IDENTIFYING):
        found = ", ".join(repr(c.strip()) for c in header if c.strip()) or "nothing"
        raise HoldingsError(
            "No column to screen by: the first line must name at least one of "
            f"{', '.join(IDENTIFYING)} (optionally exchange and weight). Found: {found}."
        )
    items: list[dict[str, Any]] = []
    for offset, row in enumerate(rows[start + 1:], start=start + 2):
        if not any(c.strip() for c in row):
            continue
        item: dict[str, Any] = {"ref": offset}
        for column, index in positions.items():
            value = row[index].strip() if index < len(row) else ""
            if column == "weight":
                weight = parse_weight(value)
                if weight is not None:
                    item["weight"] = weight
            elif value:
                item[column] = value[:500]
        items.append(item)
        if len(items) > max_rows:
            raise HoldingsError(
                f"The file holds more than {max_rows} holdings; split it into smaller files."
            )
    if not items:
        raise HoldingsError("The file has a header line but no holdings under it.")
    order = sorted(positions, key=positions.__getitem__)
    return Holdings(tuple(order), tuple(ignored), items, delimiter)


def subject(item: Mapping[str, Any]) -> str:
    """How a holding was given, for display: its name, else its identifiers."""
    if item.get("name"):
        return str(item["name"])
    parts = [f"{key.upper()} {item[key]}" for key in IDENTIFYING[1:] if item.get(key)]
    return ", ".join(parts) or "(no identifier)"


RESULT_COLUMNS = (
    "line", "name", "isin", "ticker", "exchange", "lei", "cik", "cusip", "weight",
    "verdict", "status", "rating", "action", "entity_id", "entity_name", "score",
    "explanation", "flags", "reasons", "error", "watchlist_version", "policy",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def results_csv(items: Iterable[Mapping[str, Any]], result: Mapping[str, Any],
                verdicts: Mapping[str, str]) -> str:
    """The screening results, one row per holding, in the upload's order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for item, row in zip(items, result["results"], strict=True):
        match = row.get("match") or {}
        entity = match.get("entity") or {}
        error = row.get("error") or {}
        weight = item.get("weight")
        writer.writerow([_cell(v) for v in (
            item["ref"],
            item.get("name", ""), item.get("isin", ""), item.get("ticker", ""),
            item.get("exchange", ""), item.get("lei", ""), item.get("cik", ""),
            item.get("cusip", ""),
            "" if weight is None else (f"{weight:g}" if isinstance(weight, float) else weight),
            verdicts.get(row["status"], "Error"),
            row["status"],
            row.get("rating") or "",
            row.get("action", ""),
            entity.get("id", ""),
            entity.get("name", ""),
            match.get("score", ""),
            match.get("explanation", ""),
            "; ".join(f"{f['code']} ({f['severity']}, {f['status']})"
                      for f in match.get("flags", [])),
            "; ".join(row.get("reasons", [])),
            "; ".join(f"{p['field']}: {p['message']}"
                      for p in ([error] if error else []) + row.get("warnings", [])),
            result["watchlist_version"],
            result["policy"],
        )])
    return out.getvalue()
