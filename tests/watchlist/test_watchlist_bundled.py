"""The watchlist that ships with esgscreen must validate cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from esgscreen.watchlist.files import read_watchlist, validate_directory, write_watchlist

BUNDLED = Path(__file__).resolve().parents[2] / "watchlist"


@pytest.mark.skipif(
    not any((BUNDLED / "entities").glob("*.yaml")),
    reason="the bundled entity files are not there yet",
)
def test_bundled_watchlist_has_no_problems() -> None:
    problems = validate_directory(BUNDLED)
    assert not problems, "\n".join(str(problem) for problem in problems)
    assert read_watchlist(BUNDLED).entities


def test_bundled_files_are_in_the_canonical_format(tmp_path: Path) -> None:
    write_watchlist(read_watchlist(BUNDLED), tmp_path)
    differing = [
        str(written.relative_to(tmp_path))
        for written in [tmp_path / "taxonomy.yaml", *sorted(tmp_path.glob("entities/*.yaml"))]
        if written.read_bytes() != (BUNDLED / written.relative_to(tmp_path)).read_bytes()
    ]
    assert not differing, (
        f"not in the canonical format (what `esgscreen watchlist export` writes): {differing}"
    )
