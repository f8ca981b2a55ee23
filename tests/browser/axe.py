"""axe-core in the page: WCAG 2.0 and 2.1, levels A and AA; a serious or critical violation fails.

The script goes in through the DevTools protocol (`page.evaluate`), which the page's Content-Security-
Policy does not govern: the page is checked under its own CSP, with no inline script added to it."""

from __future__ import annotations

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("serious", "critical")


def violations(page, source: str) -> list[dict]:
    """axe's violations of the page as it is now (every impact)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    found = page.evaluate("options => axe.run(document, options)",
                          {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    return found["violations"]


def described(violation: dict) -> list[str]:
    return [f"{violation['id']} ({violation['impact']}) at {' '.join(map(str, node['target']))}: "
            f"{' '.join(node.get('failureSummary', '').split())}" for node in violation["nodes"]]


def assert_accessible(page, source: str) -> None:
    """No serious or critical WCAG 2.1 A/AA violation on the page; else every one listed (rule, element,
    what is wrong)."""
    failing = [line for violation in violations(page, source) if violation["impact"] in FAILING
               for line in described(violation)]
    assert not failing, f"axe on {page.url}:\n" + "\n".join(failing)
