"""Accessibility check with axe-core (vendored in tests/browser/vendor/axe-core, MPL-2.0).

axe runs inside the page through the DevTools protocol, so the portal's strict CSP stays on while it runs.
Serious and critical violations fail; minor and moderate ones are left to review.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """axe's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},"
        " resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        lines.append(f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {targets})")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    found = violations(page)
    assert not found, f"{page.url}: axe found\n" + describe(found)
