"""The security tests drive the command line as the e2e tests do (`run`, `cli_db`, `snapshot`)."""

from tests.e2e.conftest import Result, cli_db, run, snapshot

__all__ = ["Result", "cli_db", "run", "snapshot"]  # the e2e fixtures and helpers, shared
