"""axe-core, from the npm registry at build time (tools/a11y/package.json, exact version pinned, no
lock file): installed by `make a11y-deps`, or here when missing, never vendored."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "a11y"
AXE = TOOLS / "node_modules" / "axe-core" / "axe.min.js"


@cache
def axe_source() -> str:
    if not AXE.exists():
        subprocess.run(["npm", "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund"],
                       cwd=TOOLS, check=True, capture_output=True, timeout=300)
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Page) -> list[str]:
    """The page's serious and critical violations, one line each (rule, impact, the elements).
    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    block (an injected <script> would be)."""
    page.evaluate(axe_source())
    passed, violations = page.evaluate("""async () => {
        const results = await axe.run(document);
        return [results.passes.length, results.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)];
    }""")
    assert passed > 0, "axe checked nothing"  # a run that did not happen must not look clean
    return list(violations)
