"""Romanisation of Cyrillic names the way different offices actually do it.

The same Ukrainian name reaches the data as Oleksandr (Ukrainian passport
scheme), Aleksandr (a Russian-speaking office using BGN/PCGN on the Russian
form), Alexander (German), Olexandr (informal), Oleksandr with diacritics
(scholarly), and so on. Linkage has to cope with exactly these differences, so
the generator reproduces them with real scheme tables instead of random noise.
Arabic, Lao, Khmer and other abjads/abugidas are not romanised by rule (the
vowels are not written); their field spellings are listed in the name data.
"""

from __future__ import annotations

import unicodedata

_COMMON = {
    "а": "a",
    "б": "b",
    "в": "v",
    "д": "d",
    "з": "z",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "ь": "",
    "ъ": "",
    "'": "",
    "’": "",
    "ʼ": "",
    "ё": "e",
    "ы": "y",
    "э": "e",
    "ғ": "g",
    "қ": "k",
    "ў": "u",
    "ҳ": "h",
    "ґ": "g",
}


def _scheme(**over: str) -> dict[str, str]:
    table = dict(_COMMON)
    table.update({k: v for k, v in over.items()})
    return table


# Each scheme: letter map plus a map for word-initial letters where the scheme differs.
SCHEMES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    # Ukrainian national system (2010), used in Ukrainian passports.
    "ua2010": (
        _scheme(
            г="h",
            ґ="g",
            е="e",
            є="ie",
            ж="zh",
            и="y",
            і="i",
            ї="i",
            й="i",
            х="kh",
            ц="ts",
            ч="ch",
            ш="sh",
            щ="shch",
            ю="iu",
            я="ia",
        ),
        {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
    ),
    # BGN/PCGN for Russian, as Russian-speaking offices romanise.
    "bgn": (
        _scheme(
            г="g",
            ґ="g",
            е="e",
            є="ye",
            ж="zh",
            и="i",
            і="i",
            ї="yi",
            й="y",
            х="kh",
            ц="ts",
            ч="ch",
            ш="sh",
            щ="shch",
            ю="yu",
            я="ya",
            ё="ye",
        ),
        {"е": "ye"},
    ),
    "german": (
        _scheme(
            в="w",
            г="g",
            ґ="g",
            е="e",
            є="je",
            ж="sch",
            з="s",
            и="i",
            і="i",
            ї="ji",
            й="j",
            с="s",
            х="ch",
            ц="z",
            ч="tsch",
            ш="sch",
            щ="schtsch",
            ю="ju",
            я="ja",
            ё="jo",
        ),
        {"е": "je"},
    ),
    "french": (
        _scheme(
            г="g",
            ґ="g",
            е="e",
            є="ie",
            ж="j",
            и="i",
            і="i",
            ї="ii",
            й="i",
            у="ou",
            х="kh",
            ц="ts",
            ч="tch",
            ш="ch",
            щ="chtch",
            ю="iou",
            я="ia",
            ё="io",
        ),
        {},
    ),
    "polish": (
        _scheme(
            в="w",
            г="h",
            ґ="g",
            е="e",
            є="je",
            ж="ż",
            и="y",
            і="i",
            ї="ji",
            й="j",
            х="ch",
            ц="c",
            ч="cz",
            ш="sz",
            щ="szcz",
            ю="ju",
            я="ja",
            ё="io",
        ),
        {"е": "je"},
    ),
    # What a caseworker types without any scheme: x for кс, h for х, i for й.
    "informal": (
        _scheme(
            г="g",
            ґ="g",
            е="e",
            є="ye",
            ж="zh",
            и="i",
            і="i",
            ї="yi",
            й="i",
            х="h",
            ц="ts",
            ч="ch",
            ш="sh",
            щ="sch",
            ю="yu",
            я="ya",
        ),
        {},
    ),
    # Scholarly transliteration with diacritics (close to ISO 9 / Czech usage).
    "scholarly": (
        _scheme(
            г="h",
            ґ="g",
            е="e",
            є="je",
            ж="ž",
            и="y",
            і="i",
            ї="ji",
            й="j",
            х="ch",
            ц="c",
            ч="č",
            ш="š",
            щ="šč",
            ю="ju",
            я="ja",
        ),
        {},
    ),
    # The Uzbek Latin alphabet (x for х, j for ж, o' for ў).
    "uzbek_latin": (
        _scheme(
            г="g",
            е="e",
            ж="j",
            и="i",
            й="y",
            х="x",
            ц="ts",
            ч="ch",
            ш="sh",
            щ="sh",
            ю="yu",
            я="ya",
            ё="yo",
            ғ="g'",
            қ="q",
            ў="o'",
            ҳ="h",
            і="i",
            ї="yi",
            є="ye",
        ),
        {"е": "ye"},
    ),
}

_VOWELS = set("аеєиіїоуюяыэё")


def romanise(text: str, scheme: str) -> str:
    """Romanise Cyrillic `text` with one of SCHEMES; other characters pass through."""
    table, initial = SCHEMES[scheme]
    out: list[str] = []
    prev = " "
    low = text.lower()
    i = 0
    while i < len(low):
        ch = low[i]
        if scheme == "informal" and low.startswith("кс", i):
            piece, step = "x", 2
        else:
            step = 1
            word_start = not prev.isalpha() and prev not in "'’ʼ"
            if word_start and ch in initial:
                piece = initial[ch]
            elif scheme == "bgn" and ch == "е" and prev in _VOWELS | {"ь", "ъ"}:
                piece = "ye"
            else:
                piece = table.get(ch, ch)
        if text[i].isupper() and piece:
            # Title-case the piece when the source letter was upper case (Zh, not ZH).
            piece = piece[0].upper() + piece[1:]
        out.append(piece)
        prev = ch
        i += step
    return "".join(out)


_UA_TO_RU = str.maketrans(
    {"і": "и", "І": "И", "є": "е", "Є": "Е", "ї": "и", "Ї": "И", "ґ": "г", "Ґ": "Г", "'": "ь", "’": "ь"}
)


def ukrainian_to_russian(text: str) -> str:
    """Approximate Russian spelling of a Ukrainian surname (Олійник -> Олейник, Ковальський -> Ковальский).

    Crude (Лисенко stays, Russian writes Лысенко) and unused for given names
    (those carry explicit Russian forms in the data), but right for the letter
    swaps that make the commonest surnames differ.
    """
    text = text.replace("ій", "ей").replace("Ій", "Ей").replace("ськ", "ск").replace("цьк", "цк")
    return text.translate(_UA_TO_RU)


def feminine_surname(text: str) -> str:
    """Female form of an East Slavic / Central Asian surname (Каримов -> Каримова)."""
    for male, female in (
        ("ський", "ська"),
        ("цький", "цька"),
        ("ский", "ская"),
        ("цкий", "цкая"),
        ("ов", "ова"),
        ("ев", "ева"),
        ("єв", "єва"),
        ("ьов", "ьова"),
        ("ин", "ина"),
        ("ін", "іна"),
        ("ий", "а"),
    ):
        if text.endswith(male):
            return text[: -len(male)] + female
    return text


def strip_accents(text: str) -> str:
    """Drop diacritics (Nadège -> Nadege, Ouédraogo -> Ouedraogo, Nguyễn -> Nguyen); ł -> l."""
    decomposed = unicodedata.normalize(
        "NFKD", text.replace("ł", "l").replace("Ł", "L").replace("đ", "d").replace("Đ", "D")
    )
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def latin_variants(name: str, explicit: list[str]) -> list[str]:
    """Spellings of a Latin-script name: as given, listed variants, without accents, hyphen changes."""
    out: list[str] = []
    for cand in [name, *explicit, strip_accents(name)]:
        if cand and cand not in out:
            out.append(cand)
    if "-" in name:
        for cand in (name.replace("-", " "), name.replace("-", "")):
            if cand not in out:
                out.append(cand)
    return out
