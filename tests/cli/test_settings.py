"""Settings read from ESGSCREEN_* variables: the review age."""

from __future__ import annotations

import pytest

from esgscreen.settings import Settings, from_env


def test_review_due_years_comes_from_the_environment() -> None:
    assert Settings.from_config(from_env({})).review_due_years == 3
    config = from_env({"ESGSCREEN_REVIEW_DUE_YEARS": "5"})
    assert Settings.from_config(config).review_due_years == 5


@pytest.mark.parametrize("value", ["0", "-2"])
def test_review_due_years_must_be_a_year_or_more(value: str) -> None:
    with pytest.raises(ValueError, match="ESGSCREEN_REVIEW_DUE_YEARS must be at least 1 year"):
        Settings.from_config(from_env({"ESGSCREEN_REVIEW_DUE_YEARS": value}))
