"""The demo's people: invented staff of the demo region, several to an organisation. Pure data, no I/O.

Each organisation's first person keeps the organisation's id as their user id (`hc-lugnvik`,
`ostersund-reception`, `region-coordinator`; the admin is `admin`): the demo's scripts and the tests
act as them. The second is `<org>-2`, and a health centre's or reception unit's third `<org>-3`
(those see the most traffic). Names are invented combinations of common first names and surnames,
Swedish and of the newly arrived's countries; e-mail addresses are at `<org>.example.se` (a domain
reserved for examples), so no message can reach a real person.
"""

from __future__ import annotations

import unicodedata

from screening.directory import ROLE_FOR_KIND, Directory

FIRST = ("Anna", "Amir", "Karin", "Yusuf", "Elin", "Fatima", "Johan", "Hanna", "Mehdi", "Sara", "Per",
         "Leyla", "Maria", "Ahmed", "Ingrid", "Samira", "Erik", "Nour", "Lena", "Hamid", "Sofia", "Daniel",
         "Aisha", "Olof", "Zainab", "Maja", "Reza", "Kristina", "Abdi", "Linnea", "Tesfay", "Helena",
         "Omar", "Emma", "Rahel", "Lars", "Shirin", "Ebba", "Khalid", "Astrid", "Hodan")  # 41
LAST = ("Lindqvist", "Hassan", "Berg", "Haidari", "Nilsson", "Mohammed", "Ek", "Tesfaye", "Sundin",
        "Rahimi", "Holm", "Yilmaz", "Åström", "Warsame", "Lundgren", "Karimi", "Strand", "Haile", "Öberg",
        "Abdullahi", "Nyström", "Ahmadi", "Sjöberg", "Kovalenko", "Wiklund", "Osman", "Forsberg", "Jafari",
        "Dahl", "Ali", "Hedlund", "Bekele", "Norberg", "Said", "Eriksson", "Hosseini", "Persson", "Farah",
        "Byström", "Mahmoud", "Jonsson", "Ibrahim", "Sandberg")  # 43: with 41, every pair below 1763 differs
MANY = ("health_centre", "reception_unit")  # three people each; every other organisation two


def people(directory: Directory) -> list[dict]:
    """Every demo user: `{"id", "role", "org", "name", "email"}`, the admin first, then each
    organisation's people in the directory's order."""
    coordinator = directory.of_kind("coordinator")[0]
    wanted = [("admin", "admin", coordinator.id)]
    for org in directory.organisations:
        if org.kind in ROLE_FOR_KIND:
            role = ROLE_FOR_KIND[org.kind]
            wanted += [(org.id, role, org.id), (f"{org.id}-2", role, org.id)]
            if org.kind in MANY:
                wanted.append((f"{org.id}-3", role, org.id))
    found = []
    for n, (user_id, role, org_id) in enumerate(wanted):
        first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
        found.append({"id": user_id, "role": role, "org": org_id, "name": f"{first} {last}",
                      "email": f"{_ascii(first)}.{_ascii(last)}@{org_id}.example.se"})
    return found


def _ascii(name: str) -> str:
    """A name as an address's local part: lower case, without accents (Åström: astrom)."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum()).lower()
