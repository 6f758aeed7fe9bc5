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
    {"name": "example-package", "version": "1.0", "vulns": [
        {"id": "TEST-ADVISORY-1", "fix_versions": ["1.0.1"]}]}]}
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
        assert "example-package 1.0: TEST-ADVISORY-1 (fixed in: 1.0.1)" in capsys.readouterr().err
