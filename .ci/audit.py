"""Known vulnerabilities in the installed Python packages, by pip-audit (PyPI's advisory data).

Run by `make test` (and so by CI). The policy, decided once:

- a known vulnerability in any installed package fails the run (exit 1), listing each;
- the advisory service not answering (no network, a timeout, a 5xx) is retried three times,
  then reported as a warning and the run goes on (exit 0): a network hiccup must not block
  CI, and the next run audits again. The same when the service answers for no package at
  all (pip-audit then reports each as "not found": a registry mirror without PyPI's
  per-release JSON, where the advisories live). ESGSCREEN_AUDIT_STRICT=1 makes both a
  failure (for a release);
- packages the service has no record of are listed as not audited;
- an advisory that does not apply is ignored only by its id in `.ci/audit-ignore`, one per
  line with the reason after a `#`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ATTEMPTS = int(os.environ.get("ESGSCREEN_AUDIT_ATTEMPTS", "3"))


def ignored() -> list[str]:
    path = HERE / "audit-ignore"
    if not path.exists():
        return []
    ids = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [i for i in ids if i]


def audit_once() -> dict | None:
    """pip-audit's report, or None when it could not finish (the service did not answer)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--local", "--skip-editable",
                   "--progress-spinner", "off", "--timeout", "30", "--format", "json",
                   "--output", str(report)]
        for vuln in ignored():
            command += ["--ignore-vuln", vuln]
        done = subprocess.run(command, capture_output=True, text=True)
        if report.exists() and report.stat().st_size:
            return json.loads(report.read_text())
        print(f"pip-audit did not finish (exit {done.returncode}): "
              f"{done.stderr.strip()[-500:]}", file=sys.stderr)
        return None


def unavailable(why: str) -> int:
    strict = os.environ.get("ESGSCREEN_AUDIT_STRICT") == "1"
    print(f"WARNING: no vulnerability audit: {why}; "
          f"{'failing (ESGSCREEN_AUDIT_STRICT=1)' if strict else 'going on without it'}.",
          file=sys.stderr)
    return 1 if strict else 0


def main() -> int:
    for attempt in range(1, ATTEMPTS + 1):
        report = audit_once()
        if report is not None:
            break
        if attempt < ATTEMPTS:
            time.sleep(5 * attempt)
    else:
        return unavailable(f"the advisory service did not answer after {ATTEMPTS} attempts")
    packages = report["dependencies"]
    skipped = [d["name"] for d in packages if "skip_reason" in d]
    if packages and len(skipped) == len(packages):
        return unavailable(f"the advisory service knew none of the {len(packages)} packages "
                           "(a registry mirror without per-release advisory data?)")
    if skipped:
        print(f"not audited (unknown to the advisory service): {', '.join(skipped)}",
              file=sys.stderr)
    found = [(d["name"], d["version"], v) for d in packages for v in d.get("vulns", [])]
    for name, version, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
        print(f"{name} {version}: {vuln['id']} (fixed in: {fixes})", file=sys.stderr)
    if found:
        print(f"{len(found)} known vulnerabilit{'y' if len(found) == 1 else 'ies'} in the "
              "installed packages: upgrade them, or record in .ci/audit-ignore why one does "
              "not apply.", file=sys.stderr)
        return 1
    print(f"pip-audit: no known vulnerabilities in {len(packages) - len(skipped)} packages.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
