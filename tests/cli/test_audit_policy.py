"""The dependency audit's policy (.ci/audit.py): a real advisory fails, an unreachable or
empty advisory service only warns unless strict."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit.py"


def _audit(monkeypatch: pytest.MonkeyPatch, report: dict | None) -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "audit_once", lambda: report)
    monkeypatch.setattr(module, "ATTEMPTS", 1)
    return module


CLEAN = {"dependencies": [{"name": "flask", "version": "3.1.2", "vulns": []}]}
VULNERABLE = {"dependencies": [
    {"name": "flask", "version": "3.1.2", "vulns": []},
    {"name": "jinja2", "version": "2.10", "vulns": [
        {"id": "GHSA-462w-v97r-4m45", "fix_versions": ["2.10.1"]}]}]}
UNKNOWN = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI"}]}


@pytest.mark.parametrize(("report", "strict", "code"), [
    (CLEAN, False, 0), (VULNERABLE, False, 1), (VULNERABLE, True, 1),
    (None, False, 0), (None, True, 1), (UNKNOWN, False, 0), (UNKNOWN, True, 1),
])
def test_the_audit_fails_only_on_a_real_advisory_unless_strict(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        report: dict | None, strict: bool, code: int) -> None:
    monkeypatch.setenv("ESGSCREEN_AUDIT_STRICT", "1" if strict else "0")
    assert _audit(monkeypatch, report).main() == code
    if report is VULNERABLE:
        assert "jinja2 2.10: GHSA-462w-v97r-4m45 (fixed in: 2.10.1)" in capsys.readouterr().err
