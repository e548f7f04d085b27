"""axe-core (vendored, tests only) run inside a Playwright page: the rules a page breaks, worded for a failure."""

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# What fails the suite: axe's two worst grades. Moderate and minor findings are not asserted on.
FAILING_IMPACTS = ("critical", "serious")


def scan(page, where):
    """axe's critical and serious violations on the page as it is now, one line per element: rule, element, page."""
    # page.evaluate runs outside the page's CSP (script-src 'self' would refuse an injected inline <script>).
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    violations = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }"""
    )
    return [
        f"{where} [{violation['impact']}] {violation['id']} ({violation['help']}): {node['target']}"
        f" -- {' '.join(node['summary'].split())[:200]}"
        for violation in violations
        if violation["impact"] in FAILING_IMPACTS
        for node in violation["nodes"]
    ]
