"""The service layer: the one door every edge goes through.

Each use case is one function that takes the `App` (database, settings, clock; see
`screening.bootstrap`), the acting person (an `Actor`, per call), and its inputs. It opens one
unit of work, checks access, does the work, writes the audit row, and returns a plain result:
the view the command line prints as JSON and the API returns. Errors are `ScreeningError`s with a code and a
message in the domain's words; each edge maps the code (exit 1/2; HTTP 403/404/409/422).

  users        who is acting; the directory and its users
  registration an arrival notice (event `register`, step 2)
  events       one event of the agreement, and what follows from it
  bookings     an appointment booked at the health centre (`case book`)
  cases        a case, a list of cases, a case's history (reads, audited)
  alerts       the sweep, alerts, acknowledging one
  calendar     a centre's free times and its iCalendar feed
  outbox       delivering, following, retrying and pruning messages
  follow_up    the § 10 report and the coordinator's overview
  admin        the database: create, upgrade, back up, restore
  scheduled    what the scheduler runs as itself
"""
