"""Statements that more than one part of storage runs: each written once, here."""

# The user with what their organisation decides about their scope: the read model identifies the
# person acting with it, and a unit of work the user that adds another.
ACTOR = ("SELECT u.id, u.role, u.org_id, o.kind, o.municipality, u.name, u.disabled_at, u.language "
         "FROM app_user u JOIN organisation o ON o.id = u.org_id WHERE u.id = :id")

# An alert raised now, once per case, rule, kind and due: the sweep raises them from the deadlines
# that came up (`RAISE_ALERTS.format(rows="SELECT …")`), a booking after its deadline one warning.
RAISE_ALERTS = ("INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count) "
                "{rows} ON CONFLICT (due, case_id, rule, kind) DO NOTHING RETURNING {returning}")
