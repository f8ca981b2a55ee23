"""The family's letter as a printable A4 PDF (fpdf2, shaped with HarfBuzz through uharfbuzz).

Every script is set with a font the project carries (`notifications/fonts/`, Noto, SIL Open Font
License): Latin with its diacritics and Cyrillic in Noto Sans, the Arabic script (Arabic, Persian,
Dari, Pashto, Sorani) in Noto Naskh Arabic, right to left and joined, Ethiopic (Tigrinya) in Noto
Sans Ethiopic. A word in another script within a paragraph (a Swedish centre's name in an Arabic
sentence) falls back to the font that has it, so no glyph is ever a box. The fonts are embedded as
subsets; the text can be copied and searched (`pdftotext` gives it back).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from notifications.letters import Letter, Section
from screening.errors import BadInput

FONTS = Path(__file__).parent / "fonts"
FACES = {  # family -> (regular, bold)
    "sans": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "naskh": ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
    "ethiopic": ("NotoSansEthiopic-Regular.ttf", "NotoSansEthiopic-Bold.ttf"),
}
ETHIOPIC = ("ti", "am", "tig")
MARGIN = 20  # mm
BODY, TITLE, SMALL = 11, 15, 8.5  # pt


def family(section: Section) -> str:
    """The font family for a section's script."""
    if section.direction == "rtl":
        return "naskh"
    return "ethiopic" if section.lang in ETHIOPIC else "sans"


@cache
def _covered() -> frozenset[int]:
    """Every character some bundled font has a glyph for."""
    from fontTools.ttLib import TTFont

    return frozenset(code for regular, _ in FACES.values() for code in TTFont(FONTS / regular).getBestCmap())


INVISIBLE = {0x2066, 0x2067, 0x2068, 0x2069, 0x200C, 0x200D, 0x200E, 0x200F, 0x0A}  # controls, not drawn


def uncovered(letter: Letter) -> str:
    """The characters of the letter that no bundled font can draw (they would print as boxes)."""
    texts = [text for section in letter.sections for text in (section.title, *section.paragraphs)]
    return "".join(sorted({ch for text in texts for ch in text if ord(ch) not in _covered() | INVISIBLE}))


def letter_pdf(letter: Letter, made: datetime, header: str) -> bytes:
    """The letter on A4: `header` (the region and centre) at the top, then each language in turn,
    each with its title and paragraphs. `made` dates the document (its metadata), so the same letter
    gives the same file however often it is printed. A character no bundled font has is refused: a
    family never gets a letter with boxes for letters."""
    from fpdf import FPDF

    missing = uncovered(letter) + "".join(ch for ch in header if ord(ch) not in _covered() | INVISIBLE)
    if missing:
        raise BadInput("the letter has characters no bundled font can print: {characters}; add a font to "
                       "notifications/fonts/ for its script", characters=" ".join(sorted(set(missing))))

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.set_creation_date(made)
    pdf.set_title("Kallelse" if letter.kind == "conversation" else "Kallelse till läkarundersökning")
    pdf.set_creator("screening")
    for name, (regular, bold) in FACES.items():
        pdf.add_font(name, "", str(FONTS / regular))
        pdf.add_font(name, "B", str(FONTS / bold))
    pdf.add_page()
    pdf.set_font("sans", size=SMALL)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 4.5, header, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for number, section in enumerate(letter.sections):
        if number:
            pdf.ln(4)
            y = pdf.get_y()
            pdf.set_draw_color(160, 160, 160)
            pdf.line(MARGIN, y, pdf.w - MARGIN, y)
            pdf.ln(4)
        _section(pdf, section)
    return bytes(pdf.output())


def _section(pdf, section: Section) -> None:
    face = family(section)
    pdf.set_fallback_fonts([other for other in FACES if other != face])
    rtl = section.direction == "rtl"
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr")
    align = "R" if rtl else "L"
    pdf.ln(3)
    pdf.set_font(face, "B", TITLE)
    pdf.multi_cell(0, TITLE * 0.55, section.title, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(face, "", BODY)
    for paragraph in section.paragraphs:
        pdf.multi_cell(0, BODY * 0.6, paragraph, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
