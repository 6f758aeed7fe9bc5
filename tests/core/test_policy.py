"""Policies turn a result into an action."""

from __future__ import annotations

from pathlib import Path

import pytest

from esgscreen.core.model import Evidence, Flag
from esgscreen.core.policy import decide
from esgscreen.core.risk import Exposure, ExposureStep
from esgscreen.service.policies import load_policies

POLICIES = load_policies(Path(__file__).parents[2] / "watchlist" / "policies.yaml")
EV = (Evidence("https://example.org", "Example"),)


def exposure(share: float | None, codes: tuple[str, ...] = ("targeted_spyware",),
             status: str = "ongoing") -> Exposure:
    step = ExposureStep("owner", "vendor", "owns", share, None, None)
    return Exposure("vendor", "red", codes, (step,), share, share is None, "high", status, EV)


@pytest.mark.parametrize(
    ("status", "rating", "expected"),
    [
        ("no_match", None, "clear"),
        ("possible_match", "red", "review"),
        ("match", "red", "exclude"),
        ("match", "orange", "restrict"),
        ("match", "yellow", "review"),
        ("match", "green", "clear"),
    ],
)
def test_default_policy(status: str, rating: str | None, expected: str) -> None:
    assert decide(POLICIES["default"], status, rating).action == expected


def test_strict_policy_excludes_spyware_links() -> None:
    strict = POLICIES["no-spyware"]
    spyware = Flag("targeted_spyware", "high", "ongoing", None, "s", EV)
    assert decide(strict, "match", "orange").action == "exclude"
    decision = decide(strict, "match", "yellow", [spyware])
    assert decision.action == "exclude"
    assert decision.reasons == ("open flag targeted_spyware",)
    assert decide(strict, "match", "green", (), [exposure(12.0)]).action == "exclude"
    assert decide(strict, "match", "green", (), [exposure(5.0)]).action == "review"
    assert decide(strict, "match", "green", (), [exposure(None)]).action == "review"
    assert decide(strict, "match", "green", (), [exposure(60.0, ("mass_surveillance",))]
                  ).action == "clear"
    assert decide(strict, "match", "green", (), [exposure(60.0, status="concluded")]
                  ).action == "clear"
    # the default policy grades owners through the rating only
    assert decide(POLICIES["default"], "match", "green", (), [exposure(60.0)]).action == "clear"


def test_policy_file_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "policies.yaml"
    bad.write_text("policies:\n  - id: default\n    title: x\n    rating_actions: {red: exclude}\n")
    with pytest.raises(ValueError, match="missing: orange, yellow, green"):
        load_policies(bad)
