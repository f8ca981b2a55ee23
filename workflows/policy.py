"""What the rules need besides the case: the deadline rule table, the working-day calendar, and
which event tells which party. Made once at start from the settings (`screening.settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Policy:
    rules: dict
    calendar: object
    routes: dict = field(default_factory=dict)
    version: int = 1  # the rule table's version in the database (1: the bundled table)

    @property
    def upstream(self) -> dict[str, str]:
        """Each rule with an upstream step (§ 10), by rule: what breaches are attributed by."""
        from workflows.deadlines import upstream_of

        return upstream_of(self.rules)

    @classmethod
    def default(cls, rules_path: str | None = None, routes_path: str | None = None) -> "Policy":
        """The bundled tables (or these files of a region's): for tests, benchmarks and tools."""
        from notifications.routes import load_routes
        from screening.workdays import default_calendar
        from workflows.deadlines import load_rules

        return cls(load_rules(rules_path), default_calendar(), load_routes(routes_path))
