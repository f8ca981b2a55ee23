"""The region's directory as stored: its organisations and its users, in plain SQL."""

from __future__ import annotations

import json

from screening.directory import Directory, organisation_from_dict
from screening.errors import NotFound
from screening.storage import abstract, sql


class SqlDirectoryRepository(abstract.DirectoryRepository):
    """The region's directory (organisations) and its users."""

    def __init__(self, conn):
        self.conn = conn

    def load(self) -> Directory:
        region = self.conn.one("SELECT id, name, municipalities FROM region")
        if region is None:
            raise NotFound("the database holds no directory yet: an admin loads the region's directory first")
        rows = self.conn.all("SELECT details FROM organisation ORDER BY position")
        return Directory(region["id"], region["name"], tuple(json.loads(region["municipalities"])),
                         tuple(organisation_from_dict(json.loads(row["details"])) for row in rows))

    def replace(self, directory: Directory) -> None:
        """Load a region's directory: organisations are added or updated, never deleted."""
        self.conn.execute("DELETE FROM region")
        self.conn.execute("INSERT INTO region (id, name, municipalities) VALUES (:id, :name, :municipalities)", {
            "id": directory.region_id, "name": directory.region_name,
            "municipalities": json.dumps(directory.municipalities, ensure_ascii=False)})
        for position, org in enumerate(directory.organisations):
            self.upsert_organisation({
                "id": org.id, "position": position, "kind": org.kind, "name": org.name,
                "municipality": org.municipality, "details": json.dumps(org.to_dict(), ensure_ascii=False),
            })

    def organisation(self, org_id: str) -> dict | None:
        return self.conn.one("SELECT * FROM organisation WHERE id = :id", {"id": org_id})

    def organisation_record(self, org_id: str):
        """One organisation as the directory describes it (cheaper than loading the whole directory)."""
        row = self.organisation(org_id)
        if row is None:
            raise NotFound("unknown organisation '{org}'", org=org_id)
        return organisation_from_dict(json.loads(row["details"]))

    def get(self, org_id: str):
        """One organisation, as `Directory.get`: NotFound if the directory has none of that id."""
        return self.organisation_record(org_id)

    def municipality(self, name: str) -> str:
        """The municipality's name as the directory spells it, as `Directory.municipality`."""
        region = self.conn.one("SELECT municipalities FROM region")
        if region is None:
            raise NotFound("the database holds no directory yet: an admin loads the region's directory first")
        return Directory("", "", tuple(json.loads(region["municipalities"])), ()).municipality(name)

    def interpreter_service(self, health_centre_id: str | None, municipality: str):
        """The interpreter service the centre names, else its municipality's reception unit (as
        `Directory.interpreter_service`), reading those rows only."""
        centre = self.organisation(health_centre_id) if health_centre_id else None
        named = json.loads(centre["details"]).get("interpreter_service") if centre else ""
        if not named:
            rows = self.conn.all("SELECT details FROM organisation WHERE kind = 'reception_unit' "
                                 "AND municipality = :municipality ORDER BY position", {"municipality": municipality})
            named = next((d["interpreter_service"] for d in map(lambda r: json.loads(r["details"]), rows)
                          if d.get("interpreter_service")), "")
        return self.organisation_record(named) if named else None

    def default_health_centre(self, municipality: str):
        """The first health centre (in the directory's order) serving the municipality, as
        `Directory.default_health_centre` for a name the directory spells; only the centres whose
        stored details name it are read, not the whole directory (a country's holds thousands)."""
        quoted = json.dumps(municipality, ensure_ascii=False)
        pattern = "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.conn.all("SELECT details FROM organisation WHERE kind = 'health_centre' "
                             "AND details LIKE :pattern ESCAPE '\\' ORDER BY position", {"pattern": pattern})
        for row in rows:
            details = json.loads(row["details"])
            if municipality in details.get("serves", ()):
                return organisation_from_dict(details)
        return None

    def region_id(self) -> str:
        return self.conn.scalar("SELECT id FROM region")

    def region_name(self) -> str:
        return self.conn.scalar("SELECT name FROM region")

    def upsert_organisation(self, org: dict) -> None:
        self.conn.execute(
            "INSERT INTO organisation (id, position, kind, name, municipality, details) "
            "VALUES (:id, :position, :kind, :name, :municipality, :details) ON CONFLICT (id) DO UPDATE SET "
            "position = excluded.position, kind = excluded.kind, name = excluded.name, "
            "municipality = excluded.municipality, details = excluded.details", org)

    def user(self, user_id: str) -> dict | None:
        return self.conn.one("SELECT * FROM app_user WHERE id = :id", {"id": user_id})

    def actor(self, user_id: str) -> dict | None:
        """The user with what their organisation decides about their scope (one query)."""
        return self.conn.one(sql.ACTOR, {"id": user_id})

    def any_user(self) -> bool:
        return self.conn.one("SELECT id FROM app_user LIMIT 1") is not None

    def add_user(self, user_id: str, role: str, org_id: str, *, name: str | None = None, email: str | None = None,
                 hsa_id: str | None = None) -> None:
        self.conn.execute("INSERT INTO app_user (id, no, role, org_id, name, email, hsa_id) "
                          "VALUES (:id, (SELECT COALESCE(MAX(no), 0) + 1 FROM app_user), :role, :org_id, :name, "
                          ":email, :hsa_id)",
                          {"id": user_id, "role": role, "org_id": org_id, "name": name, "email": email,
                           "hsa_id": hsa_id})

    def user_by_hsa_id(self, hsa_id: str) -> dict | None:
        return self.conn.one("SELECT * FROM app_user WHERE hsa_id = :hsa_id", {"hsa_id": hsa_id})

    def disable_user(self, user_id: str, at) -> None:
        self.conn.execute("UPDATE app_user SET disabled_at = :at WHERE id = :id",
                          {"at": self.conn.timestamp(at), "id": user_id})

    def set_language(self, user_id: str, language: str | None) -> None:
        self.conn.execute("UPDATE app_user SET language = :language WHERE id = :id",
                          {"language": language, "id": user_id})
