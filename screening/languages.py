"""Languages as people read them: a code as the family's language's name, in Swedish or English.

Codes are ISO 639 (two letters where there are two, else three); a few written as staff write
them (`dari`, `sorani`, `kurmanji`) are taken too. A code not listed is shown as it is."""

from __future__ import annotations

NAMES = {  # code: (Swedish, English)
    "ar": ("arabiska", "Arabic"), "fa": ("persiska", "Persian"), "prs": ("dari", "Dari"),
    "dari": ("dari", "Dari"), "ps": ("pashto", "Pashto"), "ti": ("tigrinja", "Tigrinya"),
    "am": ("amhariska", "Amharic"), "so": ("somaliska", "Somali"), "uk": ("ukrainska", "Ukrainian"),
    "ru": ("ryska", "Russian"), "ku": ("kurdiska", "Kurdish"), "ckb": ("sorani", "Sorani"),
    "sorani": ("sorani", "Sorani"), "kmr": ("kurmanji", "Kurmanji"), "kurmanji": ("kurmanji", "Kurmanji"),
    "tr": ("turkiska", "Turkish"), "en": ("engelska", "English"), "fr": ("franska", "French"),
    "es": ("spanska", "Spanish"), "sv": ("svenska", "Swedish"), "ur": ("urdu", "Urdu"),
    "hi": ("hindi", "Hindi"), "bn": ("bengali", "Bengali"), "sw": ("swahili", "Swahili"),
    "uz": ("uzbekiska", "Uzbek"), "tk": ("turkmeniska", "Turkmen"), "pl": ("polska", "Polish"),
    "ro": ("rumänska", "Romanian"), "sq": ("albanska", "Albanian"), "bs": ("bosniska", "Bosnian"),
    "sr": ("serbiska", "Serbian"), "hr": ("kroatiska", "Croatian"), "th": ("thai", "Thai"),
    "my": ("burmesiska", "Burmese"), "zh": ("kinesiska", "Chinese"), "vi": ("vietnamesiska", "Vietnamese"),
}
LANGUAGES = ("sv", "en")


def language_name(code: str | None, lang: str = "sv") -> str | None:
    """The language's name in `lang` (sv or en), or the code itself where it is not known."""
    if not code:
        return code
    names = NAMES.get(code.strip().lower())
    return code if names is None else names[LANGUAGES.index(lang)]


def municipality_name(name: str, lang: str = "sv") -> str:
    """The municipality as its name is written: `Östersunds kommun`, `Åre kommun` (no genitive -s
    after a vowel or an s), `Östersund Municipality`."""
    if lang == "en":
        return f"{name} Municipality"
    return f"{name} kommun" if name[-1:].lower() in "aeiouyåäösxz" else f"{name}s kommun"


SPELLINGS = {"dari": "prs", "fa-af": "prs", "sorani": "ckb", "kurmanji": "kmr"}  # as staff write them
_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}"})  # å, ä, ö after z


def choices(lang: str = "sv") -> list[tuple[str, str]]:
    """Every language named here once, `(code, name)` by name in `lang` (Swedish order: å, ä, ö last); a
    language written two ways (`dari`, `prs`) under the code the family's letters use (`prs`)."""
    codes = {SPELLINGS.get(code, code) for code in NAMES}
    named = [(code, language_name(code, lang)) for code in codes]
    return sorted(named, key=lambda pair: pair[1].casefold().translate(_SWEDISH_ORDER))
