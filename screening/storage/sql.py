"""Statements that more than one part of storage runs: each written once, here."""

# The user with what their organisation decides about their scope: the read model identifies the
# person acting with it, and a unit of work the user that adds another.
ACTOR = ("SELECT u.id, u.role, u.org_id, o.kind, o.municipality FROM app_user u "
         "JOIN organisation o ON o.id = u.org_id WHERE u.id = :id")
