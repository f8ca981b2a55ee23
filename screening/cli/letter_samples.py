"""Sample letters for a look: one invented child's letter per script, its first page as PNG
(`pdftoppm`, from poppler-utils), into a folder (`make letters` writes docs/letters/).

    python -m screening.cli.letter_samples docs/letters
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from notifications.letters import compose
from notifications.pdf import letter_pdf

SAMPLES = {  # one language per script, and the family's language names the file
    "latin-somali": "so", "arabic": "ar", "arabic-dari": "prs", "arabic-sorani": "ckb", "ethiopic-tigrinya": "ti",
    "cyrillic-ukrainian": "uk",
}
INVENTED = {"name": "Amira Hassan", "birth_date": "2017-03-04", "start": "2026-11-25T10:00:00+01:00",
            "minutes": 90, "centre": "Hälsocentralen Lugnvik", "address": "Vårdvägen 3, Lugnvik",
            "directions": "Buss 3 till hållplatsen Lugnviks centrum, sedan 200 meter till vänster.",
            "phone": "070-1740102", "region": "Region Jämtland Härjedalen"}


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv or sys.argv[1:] or ["docs/letters"])[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, lang in SAMPLES.items():
        letter = compose({**INVENTED, "language": lang, "interpreter": lang}, "conversation")
        pdf = letter_pdf(letter, datetime(2026, 11, 16, 11, tzinfo=timezone.utc),
                         f"{INVENTED['region']} · {INVENTED['centre']}")
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", "-", str(folder / name)], input=pdf, check=True)
        print(folder / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
