"""axe-core in the browser tests: inject the npm package into a page and list its WCAG 2.1 AA violations.

The package is installed from npm into tests/web/axe (scripts/test.sh does it; `ensure_axe` does it when
it is missing), never loaded from a CDN.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

AXE_DIR = Path(__file__).with_name("axe")
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def ensure_axe() -> Path:
    """The path of axe.min.js, installing the npm package first when it is not there."""
    if not AXE_JS.is_file():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR)], check=True, capture_output=True
        )
    return AXE_JS


def violations(page: Any) -> list[dict[str, Any]]:
    """The page's WCAG 2.1 A and AA violations, as axe reports them (rule id, impact, the nodes)."""
    page.add_script_tag(path=str(ensure_axe()))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_21_AA,
    )
    return list(result["violations"])


def describe(found: list[dict[str, Any]]) -> str:
    """One line per violation and element, to read in a failed assertion."""
    return "\n".join(
        f"{v['id']} ({v.get('impact')}): {v['help']} at {n.get('target')}" for v in found for n in v["nodes"][:5]
    )
