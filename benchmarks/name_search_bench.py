"""The search by name before and after `case_name_word` (migration 0027), at a large size.

    python benchmarks/name_search_bench.py sqlite:////tmp/search1m.db --cases 1000000

Builds the database with `build_db.build` when it does not hold `--cases` cases yet, gives every case
an invented name (two or three words drawn with a long tail, as a region's names are: a few very
common, most rare; some with letters beyond ASCII), then:

- takes the table back to 0026 and times 0027's upgrade, which fills `case_name_word` for every case,
  and the bytes it adds (SQLite: pages in use before and after; PostgreSQL: the table's total size);
- times each query as the health centre's search ran it before (`LOWER(name) LIKE '%text%'` over the
  cases in scope, by id, a page of 51) and as it runs now (`worklist.find_cases`), in a health
  centre's scope and a municipality's (and, before only, the whole region's: a search by name is now
  always within a scope), the median of `--runs` warm runs, with the index entries each reads.

Prints one JSON document. Every name and case is invented.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

FIRST = ("Mohammed", "Ahmed", "Ali", "Omar", "Yusuf", "Ibrahim", "Hassan", "Mustafa", "Abdullahi", "Amina",
         "Fatima", "Maryam", "Aisha", "Zainab", "Hawa", "Sara", "Noor", "Leila", "Yonas", "Dawit", "Selam",
         "Helen", "Olena", "Oleksandr", "Sofiia", "Maksym", "Anastasiia", "Dmytro", "Arash", "Farid", "Parisa",
         "Reza", "Zahra", "Shirin", "Bilal", "Khalid", "Samir", "Nadia", "Elif", "Emre", "Åsa", "Zoë", "Björn",
         "Sölve", "Jürgen", "Ayşe", "Gülsüm", "Şükrü", "Nour", "Hamza", "Idris", "Amir", "Rania", "Lina", "Yara",
         "Tesfay", "Mehari", "Kidane", "Abdirahman", "Fadumo", "Hodan", "Ilhan", "Liban", "Mahad", "Nasra")
LAST = ("Ali", "Mohamed", "Hassan", "Ahmed", "Abdi", "Hussein", "Osman", "Yusuf", "Ibrahim", "Omar",
        "Al-Hassan", "Al-Amin", "Haile", "Tesfaye", "Gebremedhin", "Berhe", "Kovalenko", "Shevchenko", "Bondarenko",
        "Tkachenko", "Melnyk", "Hosseini", "Ahmadi", "Rezaei", "Karimi", "Mohammadi", "Sultani", "Rahimi",
        "Yılmaz", "Kaya", "Demir", "Şahin", "Öztürk", "Åslund", "Ödman", "Jönsson", "Nyström", "Lindqvist",
        "Farah", "Warsame", "Jama", "Nur", "Aden", "Dirie", "Hersi", "Khalil", "Haddad", "Nasser", "Saleh",
        "Mansour", "Darwish", "Barakat", "Kurdi", "Sabri", "Qasim", "Naderi", "Sharifi", "Habibi")
# (label, what is typed): a common word whole, its first letters, a rare one, two words, none
QUERIES = (("common name", "Mohammed"), ("two letters", "mo"), ("rare surname", "Gebremedhin"),
           ("two words", "Ali Hassan"), ("accents folded", "oztu"), ("no match", "Zqxw"))


def zipf_choice(rng: random.Random, names: tuple[str, ...]) -> str:
    """A name with a long tail: the k-th about 1/k as common as the first."""
    weights = [1 / (k + 1) for k in range(len(names))]
    return rng.choices(names, weights)[0]


def name_cases(url: str, seed: int) -> int:
    """Give every case an invented name (UPDATE by id, 5,000 a transaction); returns how many."""
    from screening.storage import db

    rng = random.Random(seed)
    conn = db.connect_raw(url)
    try:
        ids = [row["id"] for row in conn.all("SELECT id FROM screening_case ORDER BY id")]
        for start in range(0, len(ids), 5000):
            conn.begin()
            conn.many("UPDATE screening_case SET name = :name WHERE id = :id", [
                {"id": case_id, "name": " ".join([zipf_choice(rng, FIRST)] * 1 + (
                    [zipf_choice(rng, FIRST)] if rng.random() < 0.3 else []) + [zipf_choice(rng, LAST)])}
                for case_id in ids[start:start + 5000]])
            conn.commit()
        return len(ids)
    finally:
        conn.close()


def used_bytes(conn) -> int:
    if conn.sqlite:
        return (conn.scalar("PRAGMA page_count") - conn.scalar("PRAGMA freelist_count")) * conn.scalar("PRAGMA page_size")
    return int(conn.scalar("SELECT pg_total_relation_size('case_name_word')") or 0)


def refill(url: str) -> dict:
    """0027 again over the named cases: its time and the bytes it adds."""
    from alembic import command
    from alembic.config import Config

    import migrations
    from screening.storage import db, migrate

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    db.dispose(url)
    with db.engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0026")
    conn = db.connect_raw(url)
    before = used_bytes(conn) if conn.sqlite else 0
    conn.close()
    started = time.perf_counter()
    migrate.upgrade(url)
    seconds = time.perf_counter() - started
    conn = db.connect_raw(url)
    try:
        added = used_bytes(conn) - before
        cases = conn.scalar("SELECT COUNT(*) FROM screening_case")
        rows = conn.scalar("SELECT COUNT(*) FROM case_name_word")
    finally:
        conn.close()
    return {"seconds": round(seconds, 1), "rows": rows, "bytes": added, "bytes_per_case": round(added / cases, 1),
            "rows_per_case": round(rows / cases, 2)}


def old_find(conn, scope, text: str, limit: int) -> list[dict]:
    """The search as it was before 0027: every case in scope read, its name matched with LIKE."""
    where, params = ["LOWER(name) LIKE :name ESCAPE '\\'"], {"limit": limit}
    params["name"] = "%" + "".join("\\" + ch if ch in "\\%_" else "_" if ord(ch) > 127 else ch
                                   for ch in text.lower()) + "%"
    if scope is not None:
        where.append(f"{scope[0]} = :scope")
        params["scope"] = scope[1]
    return conn.all("SELECT id, name, birth_date, municipality, health_state, ended_at FROM screening_case "
                    f"WHERE {' AND '.join(where)} ORDER BY id LIMIT :limit", params)


class _Asked:
    """A connection that keeps the query it is asked (for its plan) and finds nothing."""

    def all(self, sql: str, params: dict) -> list[dict]:
        self.sql, self.params = sql, params
        return []


def timed(run, runs: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        found = len(run())
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2), found


def measure(url: str, runs: int) -> dict:
    from screening.storage import db, name_words
    from screening.storage import worklist as queries

    conn = db.connect_raw(url)
    try:
        if not conn.sqlite:  # what autovacuum would have done on a server that grew to this size
            conn.execute("VACUUM ANALYZE screening_case")
            conn.execute("VACUUM ANALYZE case_name_word")
        centre = conn.one("SELECT health_centre_id AS id, COUNT(*) AS n FROM screening_case "
                          "GROUP BY health_centre_id ORDER BY COUNT(*) DESC LIMIT 1")
        municipality = conn.one("SELECT municipality AS id, COUNT(*) AS n FROM screening_case "
                                "GROUP BY municipality ORDER BY COUNT(*) DESC LIMIT 1")
        scopes = {"health centre": (("health_centre_id", centre["id"]), centre["n"]),
                  "municipality": (("municipality", municipality["id"]), municipality["n"]),
                  "region": (None, conn.scalar("SELECT COUNT(*) FROM screening_case"))}
        figures = []
        for scope_name, (scope, in_scope) in scopes.items():
            for label, text in QUERIES:
                words = name_words.words(text)
                before, _ = timed(lambda scope=scope, text=text: old_find(conn, scope, text, 51), runs)
                if scope is None:  # no search by name without a scope now: the region's coordinators have none
                    figures.append({"scope": scope_name, "cases_in_scope": in_scope, "query": label, "text": text,
                                    "before_ms": before})
                    continue
                after, found = timed(lambda scope=scope, words=words: queries.find_cases(
                    conn, scope, words=words, after=None, limit=51), runs)
                matching = sum(conn.scalar(
                    "SELECT COUNT(*) FROM case_name_word WHERE scope = :s AND word >= :w AND word < :n",
                    {"s": name_words.scope_key(*scope), "w": word, "n": name_words.after_prefix(word)})
                    for word in words)
                figures.append({"scope": scope_name, "cases_in_scope": in_scope, "query": label, "text": text,
                                "index_entries_read": matching, "found_on_page": found,
                                "before_ms": before, "after_ms": after})
        plans = {}
        for scope_name, (scope, _) in scopes.items():
            if scope is None:
                continue
            for text in ("mo", "Ali Hassan"):
                asked = _Asked()
                queries.find_cases(asked, scope, words=name_words.words(text), after=None, limit=51)
                explain = "EXPLAIN QUERY PLAN " if conn.sqlite else "EXPLAIN "
                plans[f"{scope_name}: {text}"] = [" ".join(str(v) for v in row.values())
                                                  for row in conn.all(explain + asked.sql, asked.params)]
        plan = plans
        return {"figures": figures, "plan": plan}
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    import build_db

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-refill", action="store_true", help="measure only (the table as it is)")
    args = parser.parse_args(argv)
    report: dict = {"url": args.url.split("?")[0], "cases": args.cases}
    if not build_db.upgraded_with(args.url, args.cases):
        build_db.reset(args.url)
        started = time.perf_counter()
        build_db.build(args.url, args.cases, args.seed)
        report["built_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        name_cases(args.url, args.seed)
        report["named_s"] = round(time.perf_counter() - started, 1)
    if not args.no_refill:
        report["migration_0027"] = refill(args.url)
    report.update(measure(args.url, args.runs))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
