"""Security and company identifiers: validation, canonical forms, exchanges, free-text detection.

Canonical forms (what the watchlist stores and what the matcher compares):

- isin, lei, cusip, figi: upper case without spaces, dashes or dots; check digits verified with
  python-stdnum.
- cik: digits without leading zeros (``0001854587`` -> ``1854587``); an optional ``CIK`` prefix
  is accepted.
- ticker: upper-case letters and digits, separators removed (``MSAB.B`` -> ``MSABB``); Hong Kong
  numeric codes lose their leading zeros when the exchange is known (``0020.HK`` -> ``20``).
- domain: lower-case host name without scheme, ``www.``, path, port or user; international names
  in their ``xn--`` form.
- registry: any non-empty text, upper case, without spaces or dashes.

Exchanges are written canonically as a MIC (``XNAS``) when the input names one venue, or as an ISO
3166 country code (``US``, ``CN``) when it names a country's market as a whole (Bloomberg's ``US``
or ``CH`` codes): a country code accepts a listing on any venue of that country.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from stdnum import cusip as _cusip
from stdnum import figi as _figi
from stdnum import isin as _isin
from stdnum import lei as _lei
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

from esgscreen.core.errors import InvalidIdentifier
from esgscreen.core.model import IDENTIFIER_TYPES

__all__ = [
    "IDENTIFIER_TYPES",
    "Interpretation",
    "exchange_country",
    "interpret_free_text",
    "normalise_exchange",
    "normalise_identifier",
    "operating_mic",
    "parse_ticker",
    "ticker_key",
    "venue_accepts",
]

Interpretation = tuple[str, str, "str | None"]  # (identifier type, canonical value, exchange)

# --- exchanges -------------------------------------------------------------------------------

# Operating MIC -> ISO country code of the venues we name; any other four-letter code is
# accepted as a MIC but only ever equals itself.
_MIC_COUNTRY: dict[str, str] = {
    "XNAS": "US", "XNYS": "US", "ARCX": "US", "XASE": "US", "BATS": "US", "IEXG": "US",
    "OTCM": "US", "XOTC": "US", "OOTC": "US",
    "XTKS": "JP", "XOSE": "JP", "XNGO": "JP",
    "XSHE": "CN", "XSHG": "CN",
    "XHKG": "HK", "MISX": "RU", "XTSE": "CA", "XTSX": "CA", "XCNQ": "CA",
    "XSTO": "SE", "XNGM": "SE", "XMIL": "IT", "XLON": "GB", "XETR": "DE", "XFRA": "DE",
    "XPAR": "FR", "XAMS": "NL", "XBRU": "BE", "XSWX": "CH", "XTAE": "IL", "XASX": "AU",
    "XKRX": "KR", "XKOS": "KR", "XTAI": "TW", "XBOM": "IN", "XNSE": "IN", "XSES": "SG",
    "XCSE": "DK", "XOSL": "NO", "XHEL": "FI", "XMAD": "ES", "XLIS": "PT", "XDUB": "IE",
    "XWBO": "AT", "XWAR": "PL", "XBUD": "HU", "XBUL": "BG", "XATH": "GR", "XIST": "TR",
    "XJSE": "ZA", "BVMF": "BR", "XMEX": "MX", "XSAU": "SA", "XBKK": "TH", "XIDX": "ID",
    "XKLS": "MY", "XNZE": "NZ", "XCYS": "CY", "XLUX": "LU", "XPRA": "CZ",
}

# Segment MICs -> their operating MIC.
_SEGMENT_MIC: dict[str, str] = {
    "XNGS": "XNAS", "XNMS": "XNAS", "XNCM": "XNAS", "XNYQ": "XNYS", "XCHI": "XNYS",
    "XTAM": "XTKS", "XSSC": "XSHG", "XSEC": "XSHE", "XSGO": "XSHG", "XSZO": "XSHE",
    "XSTA": "XSHG", "XCHN": "XSHE", "XHKF": "XHKG", "MOEX": "MISX", "XLOM": "XLON",
    "AIMX": "XLON", "XAIM": "XMIL", "MTAA": "XMIL", "EXGM": "XMIL", "ETLX": "XMIL",
    "SSME": "XSTO", "FNSE": "XSTO", "XTSE": "XTSE", "XEQT": "XETR",
}

# Exchange names and short codes as portfolio systems write them.
_EXCHANGE_NAMES: dict[str, str] = {
    "NASDAQ": "XNAS", "NASDAQGS": "XNAS", "NASDAQGM": "XNAS", "NASDAQCM": "XNAS", "NMS": "XNAS",
    "NGS": "XNAS", "NGM": "XNAS", "NCM": "XNAS", "NAS": "XNAS",
    "NYSE": "XNYS", "NYQ": "XNYS", "NYS": "XNYS", "NYSEARCA": "ARCX", "ARCA": "ARCX",
    "AMEX": "XASE", "NYSEAMERICAN": "XASE", "NYSEMKT": "XASE", "OTC": "US", "OTCMKTS": "US",
    "TYO": "XTKS", "TSE": "XTKS", "JPX": "XTKS", "TOKYO": "XTKS",
    "SZSE": "XSHE", "SHE": "XSHE", "SHENZHEN": "XSHE",
    "SHSE": "XSHG", "SSE": "XSHG", "SHA": "XSHG", "SHANGHAI": "XSHG",
    "HKEX": "XHKG", "SEHK": "XHKG", "HKG": "XHKG", "HKSE": "XHKG",
    "MOEX": "MISX", "MCX": "MISX", "MICEX": "MISX",
    "TSX": "XTSE", "TOR": "XTSE", "TSXV": "XTSX", "CSE": "XCNQ",
    "LSE": "XLON", "LON": "XLON", "STO": "XSTO", "OMX": "XSTO", "OMXS": "XSTO",
    "BIT": "XMIL", "MIL": "XMIL", "BIT:": "XMIL", "EURONEXTMILAN": "XMIL", "BORSAITALIANA": "XMIL",
    "ETR": "XETR", "XETRA": "XETR", "FRA": "XFRA", "EPA": "XPAR", "AMS": "XAMS",
    "EBR": "XBRU", "SIX": "XSWX", "SWX": "XSWX", "TASE": "XTAE", "TLV": "XTAE", "ASX": "XASX",
    "KRX": "XKRX", "KOSDAQ": "XKOS", "TWSE": "XTAI", "TPE": "XTAI", "BSE": "XBOM",
    "NSE": "XNSE", "SGX": "XSES", "CPH": "XCSE", "OSL": "XOSL", "HEL": "XHEL", "BME": "XMAD",
    "ELI": "XLIS", "ISE": "XDUB", "VIE": "XWBO", "WSE": "XWAR", "GPW": "XWAR", "BET": "XBUD",
    "ATHEX": "XATH", "BIST": "XIST", "JSE": "XJSE", "B3": "BVMF", "BOVESPA": "BVMF",
    "BMV": "XMEX", "TADAWUL": "XSAU", "SET": "XBKK", "IDX": "XIDX", "BURSA": "XKLS",
    "NZX": "XNZE",
}

# Bloomberg exchange codes ("CLBT UW Equity"). Composite codes name a country's market.
_BLOOMBERG_CODES: dict[str, str] = {
    "US": "US", "UW": "XNAS", "UQ": "XNAS", "UR": "XNAS", "UN": "XNYS", "UA": "XASE",
    "UP": "ARCX", "UF": "BATS", "UV": "US", "PQ": "US",
    "JP": "JP", "JT": "XTKS", "JO": "XOSE",
    "CH": "CN", "C2": "XSHE", "CS": "XSHE", "C1": "XSHG", "CG": "XSHG",
    "HK": "XHKG", "RM": "MISX", "RX": "MISX", "RU": "RU",
    "CN": "CA", "CT": "XTSE", "CV": "XTSX", "CF": "XCNQ",
    "SS": "XSTO", "IM": "XMIL", "LN": "XLON", "GR": "DE", "GY": "XETR", "GF": "XFRA",
    "FP": "XPAR", "NA": "XAMS", "BB": "XBRU", "SW": "XSWX", "SE": "XSWX", "IT": "XTAE",
    "AU": "XASX", "AT": "XASX", "KS": "XKRX", "KQ": "XKOS", "TT": "XTAI", "IN": "IN",
    "IB": "XBOM", "IS": "XNSE", "SP": "XSES", "DC": "XCSE", "NO": "XOSL", "FH": "XHEL",
    "SM": "XMAD", "PL": "XLIS", "ID": "XDUB", "AV": "XWBO", "PW": "XWAR", "HB": "XBUD",
    "BU": "XBUL", "GA": "XATH", "TI": "XIST", "SJ": "XJSE", "BZ": "BVMF", "MM": "XMEX",
    "AB": "XSAU", "TB": "XBKK", "IJ": "XIDX", "MK": "XKLS", "NZ": "XNZE",
}

# Yahoo / Reuters suffixes ("CLBT.O", "6736.T", "002415.SZ").
_SUFFIXES: dict[str, str] = {
    "O": "XNAS", "OQ": "XNAS", "N": "XNYS", "T": "XTKS", "SZ": "XSHE", "SS": "XSHG",
    "SH": "XSHG", "HK": "XHKG", "ME": "MISX", "MM": "MISX", "TO": "XTSE", "V": "XTSX",
    "CN": "XCNQ", "ST": "XSTO", "MI": "XMIL", "L": "XLON", "DE": "XETR", "F": "XFRA",
    "PA": "XPAR", "AS": "XAMS", "BR": "XBRU", "SW": "XSWX", "TA": "XTAE", "AX": "XASX",
    "KS": "XKRX", "KQ": "XKOS", "TW": "XTAI", "BO": "XBOM", "NS": "XNSE", "SI": "XSES",
    "CO": "XCSE", "OL": "XOSL", "HE": "XHEL", "MC": "XMAD", "LS": "XLIS", "IR": "XDUB",
    "VI": "XWBO", "WA": "XWAR", "BD": "XBUD", "AT": "XATH", "IS": "XIST", "JO": "XJSE",
    "SA": "BVMF", "MX": "XMEX", "SR": "XSAU", "BK": "XBKK", "JK": "XIDX", "KL": "XKLS",
    "NZ": "XNZE",
}

_COUNTRIES = frozenset(_MIC_COUNTRY.values())
_MIC_RE = re.compile(r"[A-Z0-9]{4}")


def operating_mic(mic: str) -> str:
    """The operating MIC of a venue (segment MICs such as XNGS map to XNAS)."""
    return _SEGMENT_MIC.get(mic, mic)


def exchange_country(code: str) -> str | None:
    """The country of a canonical exchange code (MIC or country code), when known."""
    if code in _COUNTRIES and len(code) == 2:
        return code
    return _MIC_COUNTRY.get(operating_mic(code))


def normalise_exchange(raw: str, *, field: str = "exchange") -> str:
    """Canonical exchange code for a MIC, an exchange name, a Bloomberg code or a ``.suffix``.

    Returns an operating MIC, or a country code for a whole national market.
    """
    found = _exchange_code(raw)
    if found is None:
        raise InvalidIdentifier(
            field, raw, "unknown exchange: give a MIC (XNAS), a name (NASDAQ) or a code (UW)"
        )
    return found


@lru_cache(maxsize=4096)
def _exchange_code(raw: str) -> str | None:
    text = raw.strip().upper()
    compact = re.sub(r"[\s.\-_/:]", "", text)
    if not compact:
        return None
    if text.startswith("."):
        found = _SUFFIXES.get(compact)
    else:
        found = (
            _EXCHANGE_NAMES.get(compact)
            or _BLOOMBERG_CODES.get(compact)
            or (operating_mic(compact) if compact in _MIC_COUNTRY or compact in _SEGMENT_MIC
                else None)
        )
    if found is None and _MIC_RE.fullmatch(compact) and compact[0] in "XABCDEFGHIJKLMNOPQRSTUVWYZ":
        found = compact  # an unlisted four-character MIC: it can only equal itself
    return found


def venue_accepts(query_exchange: str, listing_mic: str) -> bool:
    """Whether a listing on ``listing_mic`` is on the venue (or in the country) a query named."""
    listing = operating_mic(listing_mic)
    if len(query_exchange) == 2:
        return _MIC_COUNTRY.get(listing, listing if len(listing) == 2 else None) == query_exchange
    return operating_mic(query_exchange) == listing


def ticker_key(symbol: str, exchange: str | None) -> str:
    """The symbol as compared on an exchange: Hong Kong numeric codes without leading zeros."""
    if exchange is not None and symbol.isdigit() and exchange_country(exchange) == "HK":
        return symbol.lstrip("0") or "0"
    return symbol


# --- tickers ---------------------------------------------------------------------------------

_TICKER_SYMBOL_RE = re.compile(r"[A-Z0-9]{1,10}")
_TICKER_SEPARATORS_RE = re.compile(r"[\s.\-/]")
_BLOOMBERG_RE = re.compile(r"^(?P<sym>[A-Z0-9][A-Z0-9./\-]{0,11})\s+(?P<code>[A-Z][A-Z0-9])$")
_SUFFIX_RE = re.compile(r"^(?P<sym>[A-Z0-9][A-Z0-9\-/]{0,11}(?:\.[A-Z])?)\.(?P<sfx>[A-Z]{1,2})$")
_PREFIX_RE = re.compile(r"^(?P<exch>[A-Z][A-Z0-9 ]{1,19}):\s*(?P<sym>\S+)$")
_EQUITY_RE = re.compile(r"\s+EQUITY$")


def _split_ticker(text: str) -> tuple[str, str | None]:
    """Split the forms NASDAQ:CLBT, CLBT US, CLBT UW Equity, CLBT.O into (symbol, exchange)."""
    text = _EQUITY_RE.sub("", " ".join(text.split()))
    if m := _PREFIX_RE.match(text):
        exch = re.sub(r"\s", "", m["exch"])
        code = _EXCHANGE_NAMES.get(exch) or _BLOOMBERG_CODES.get(exch)
        if code is None and (exch in _MIC_COUNTRY or exch in _SEGMENT_MIC):
            code = operating_mic(exch)
        if code is not None:
            return m["sym"], code
    if (m := _BLOOMBERG_RE.match(text)) and m["code"] in _BLOOMBERG_CODES:
        return m["sym"], _BLOOMBERG_CODES[m["code"]]
    if (m := _SUFFIX_RE.match(text)) and m["sfx"] in _SUFFIXES:
        sym, sfx = m["sym"], m["sfx"]
        if sfx == "CN" and sym.isdigit() and len(sym) == 6:
            return sym, "CN"  # Reuters writes mainland A-shares as 002415.CN
        return sym, _SUFFIXES[sfx]
    return text, None


def parse_ticker(
    raw: str, exchange: str | None = None, *, field: str = "ticker"
) -> tuple[str, str | None]:
    """Canonical (symbol, exchange) of a ticker in any of the forms portfolio systems send.

    ``exchange`` is a separately given exchange (MIC, name or code). When the ticker carries its
    own exchange too, the two must agree (one may be a country, the other a venue in it).
    """
    text = str(raw).strip().upper()
    if not text:
        raise InvalidIdentifier(field, str(raw), "the ticker is empty")
    if text.isalnum() and text.isascii():
        symbol, embedded = text, None  # the common case: a bare symbol
    else:
        symbol_text, embedded = _split_ticker(text)
        symbol = _TICKER_SEPARATORS_RE.sub("", symbol_text)
    if not _TICKER_SYMBOL_RE.fullmatch(symbol):
        raise InvalidIdentifier(
            field, str(raw), "not a ticker symbol: expected 1 to 10 letters or digits"
        )
    given = normalise_exchange(exchange) if exchange else None
    venue = _narrowest(given, embedded, raw=str(raw))
    return ticker_key(symbol, venue), venue


def _narrowest(given: str | None, embedded: str | None, *, raw: str) -> str | None:
    if given is None or embedded is None or given == embedded:
        return given or embedded
    if len(given) == 2 and exchange_country(embedded) == given:
        return embedded
    if len(embedded) == 2 and exchange_country(given) == embedded:
        return given
    raise InvalidIdentifier(
        "exchange", raw, f"the exchange {given} contradicts the ticker's own exchange {embedded}"
    )


# --- checksummed codes -----------------------------------------------------------------------

_SEPARATORS_RE = re.compile(r"[\s\-.]")
_REGISTRY_SEPARATORS_RE = re.compile(r"[\s\-]")
_STDNUM = {"isin": _isin, "lei": _lei, "cusip": _cusip, "figi": _figi}
_LABELS = {"isin": "an ISIN", "lei": "an LEI", "cusip": "a CUSIP", "figi": "a FIGI"}
_LENGTHS = {"isin": 12, "lei": 20, "cusip": 9, "figi": 12}


@lru_cache(maxsize=65536)
def _checked(type_: str, compact: str) -> str | None:
    """None when valid, else the reason. Cached: checksum arithmetic dominates lookups."""
    label = _LABELS[type_]
    bare = label.split()[1]
    try:
        _STDNUM[type_].validate(compact)
    except InvalidLength:
        return f"{label} has {_LENGTHS[type_]} characters"
    except InvalidChecksum:
        return f"the {bare} check digit does not match"
    except InvalidComponent:
        return f"the {bare} has an unknown country or issuer prefix"
    except ValidationError:
        return f"not {label}"
    return None


def _checked_code(type_: str, raw: str, field: str) -> str:
    compact = raw.upper() if raw.isalnum() else _SEPARATORS_RE.sub("", raw).upper()
    reason = _checked(type_, compact)
    if reason is not None:
        raise InvalidIdentifier(field, raw, reason)
    return compact


def _cik(raw: str, field: str) -> str:
    compact = _SEPARATORS_RE.sub("", raw).upper()
    compact = compact.removeprefix("CIK").removeprefix(":")
    if not compact.isascii() or not compact.isdigit() or len(compact) > 10:
        raise InvalidIdentifier(field, raw, "a CIK is 1 to 10 digits")
    value = compact.lstrip("0")
    if not value:
        raise InvalidIdentifier(field, raw, "a CIK cannot be zero")
    return value


# --- domains ---------------------------------------------------------------------------------

_LABEL_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TLD_RE = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


def _domain(raw: str, field: str) -> str:
    text = raw.strip()
    if not text:
        raise InvalidIdentifier(field, raw, "the domain is empty")
    try:
        host = urlsplit(text if "//" in text else "//" + text).hostname
    except ValueError:
        host = None
    if not host:
        raise InvalidIdentifier(field, raw, "not a web domain or URL")
    host = host.rstrip(".").lower()
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidIdentifier(field, raw, "not a valid international domain name") from None
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    labels = host.split(".")
    if (
        len(host) > 253
        or len(labels) < 2
        or not all(_LABEL_RE.fullmatch(label) for label in labels)
        or not _TLD_RE.fullmatch(labels[-1])
    ):
        raise InvalidIdentifier(field, raw, "not a web domain or URL")
    return host


# --- entry point -----------------------------------------------------------------------------


def normalise_identifier(type_: str, raw: str, *, field: str | None = None) -> str:
    """The canonical value of an identifier of type ``type_`` (one of ``IDENTIFIER_TYPES``).

    Raises InvalidIdentifier(field or type_, raw, reason) for a malformed value or a bad
    checksum. Integers (as YAML reads an unquoted CIK) are accepted as their decimal text.
    """
    name = field or type_
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if not isinstance(text, str):
        raise InvalidIdentifier(name, str(raw), "the value must be text")
    if not text.strip():
        raise InvalidIdentifier(name, text, f"the {type_} is empty")
    if type_ in _STDNUM:
        return _checked_code(type_, text, name)
    if type_ == "cik":
        return _cik(text, name)
    if type_ == "ticker":
        return parse_ticker(text, field=name)[0]
    if type_ == "domain":
        return _domain(text, name)
    if type_ == "registry":
        return _REGISTRY_SEPARATORS_RE.sub("", text).upper()
    expected = ", ".join(IDENTIFIER_TYPES)
    raise InvalidIdentifier(name, text, f"unknown identifier type {type_!r}; expected {expected}")


# --- free text -------------------------------------------------------------------------------

_PREFIXED_RE = re.compile(r"^(isin|lei|cik|cusip|figi|ticker|domain|url)\s*[:=#]?\s+|^"
                          r"(isin|lei|cik|cusip|figi|ticker|domain|url)\s*[:=#]\s*", re.I)
_URLISH_RE = re.compile(r"^(?:[a-z][a-z0-9+.\-]*://|www\.)", re.I)
_DOMAINISH_RE = re.compile(r"^[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,63}\.?(?:[:/?#]\S*)?$")
_ISINISH_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")
_LEIISH_RE = re.compile(r"[A-Z0-9]{18}[0-9]{2}")
_FIGIISH_RE = re.compile(r"[B-DF-HJ-NP-TV-Z]{2}G[B-DF-HJ-NP-TV-Z0-9]{8}[0-9]")
_CUSIPISH_RE = re.compile(r"[0-9A-Z]{8}[0-9]")
_TICKERISH_RE = re.compile(
    r"^(?:[A-Z][A-Z0-9 ]{1,19}:\s*\S+|\S{1,12}\s+[A-Z][A-Z0-9](?:\s+EQUITY)?|"
    r"[A-Z0-9][A-Z0-9\-/]{0,11}(?:\.[A-Z])?\.[A-Z]{1,2})$",
    re.I,
)


def interpret_free_text(text: str, *, field: str = "q") -> list[Interpretation]:
    """The identifiers a free-text query can be read as, most likely first; [] for a name.

    Raises InvalidIdentifier(field, ...) when the text clearly has one identifier's shape (an
    ISIN with a known country prefix, a 20-character LEI, a URL, ...) but is not valid. A short
    single word is read both as a possible ticker and, by the caller, as a name.
    """
    stripped = " ".join(text.split())
    if m := _PREFIXED_RE.match(stripped):
        kind = (m.group(1) or m.group(2)).lower()
        kind = "domain" if kind == "url" else kind
        rest = stripped[m.end():]
        if kind == "ticker":
            symbol, venue = parse_ticker(rest, field=field)
            return [("ticker", symbol, venue)]
        return [(kind, normalise_identifier(kind, rest, field=field), None)]

    upper = stripped.upper()
    compact = _SEPARATORS_RE.sub("", upper)
    found: list[Interpretation] = []

    if _URLISH_RE.match(stripped) or "@" in stripped and " " not in stripped:
        return [("domain", normalise_identifier("domain", stripped, field=field), None)]

    if _TICKERISH_RE.match(upper):
        try:
            symbol, venue = parse_ticker(upper, field=field)
        except InvalidIdentifier:
            symbol, venue = "", None
        if venue is not None and not (stripped.islower() and "." in stripped):
            return [("ticker", symbol, venue)]

    if " " not in stripped and _DOMAINISH_RE.match(stripped) and not compact.isdigit():
        return [("domain", normalise_identifier("domain", stripped, field=field), None)]

    if (compact.isascii() and compact.isalnum() and any(c.isdigit() for c in compact)
            and not _has_a_word(stripped)):
        figi_shape = len(compact) == 12 and _FIGIISH_RE.fullmatch(compact) is not None
        if figi_shape and _checked("figi", compact) is None:
            return [("figi", compact, None)]
        if _ISINISH_RE.fullmatch(compact) and compact[:2] in _isin._country_codes:
            return [("isin", _checked_code("isin", compact, field), None)]
        if figi_shape:
            return [("figi", _checked_code("figi", compact, field), None)]
        if len(compact) == 20 and _LEIISH_RE.fullmatch(compact):
            return [("lei", _checked_code("lei", compact, field), None)]
        if compact.startswith("CIK") and compact[3:].isdigit():
            return [("cik", _cik(compact, field), None)]
        if compact.isdigit():
            return _digits(compact, field)
        if _CUSIPISH_RE.fullmatch(compact) and _checked("cusip", compact) is None:
            found.append(("cusip", compact, None))

    if " " not in stripped and len(compact) <= 6 and compact.isascii() and compact.isalnum():
        found.append(("ticker", compact, None))
    return found


def _has_a_word(text: str) -> bool:
    """Whether spaced text holds a word of five letters or more: a name with a number in it (ZTE
    Corporation 000063), not an identifier written in groups (5493 001K JTII GC8Y 1R12)."""
    return " " in text and any(len(word) >= 5 and word.isalpha() for word in text.split())


def _digits(compact: str, field: str) -> list[Interpretation]:
    """All-digit text: a CIK, an Asian numeric ticker or a CUSIP, by length."""
    found: list[Interpretation] = []
    if len(compact) == 9 and _checked("cusip", compact) is None:
        found.append(("cusip", compact, None))
    if 4 <= len(compact) <= 6:
        found.append(("ticker", compact, None))
    if len(compact) <= 10 and compact.strip("0"):
        found.append(("cik", compact.lstrip("0"), None))
    if not found:
        raise InvalidIdentifier(field, compact, "a number that is not a CIK, CUSIP or ticker")
    return found
