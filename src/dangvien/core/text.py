"""Vietnamese text: NFC normalization, accent-insensitive search keys, name parts and sort keys.

Stored sort keys are our own rather than ICU's: ICU sort keys change between ICU versions, and a
stored key must stay comparable for the life of the database. tests/core/test_text.py checks this
key against ICU's `vi` collation on generated names.
"""

from __future__ import annotations

import functools
import sys
import unicodedata

# Tone marks (combining characters after NFD), in Vietnamese collation order: none, grave, hook,
# tilde, acute, dot below.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a distinct letter: breve (ă), circumflex (â ê ô), horn (ơ ư).
_LETTER_MARKS = {"\u0306": "\u0306", "\u0302": "\u0302", "\u031b": "\u031b"}

# The alphabet order, with the Latin letters Vietnamese does not use slotted where Latin has them.
_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n",
    "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]
# Punctuation seen in names (H'Bơ, H’Bơ, double-barrelled names), in ICU's order. Each gets its own
# weight, as in ICU, so that names differing only there do not tie.
_PUNCTUATION = "_-,;:!?.'\u2018\u2019\"("
# Primary weights: 01 for whitespace, 02..0e for the punctuation above, 0f for other punctuation,
# digits 10..19, letters from 0x20 on, 0xfe for other letters.
_PRIMARY = {unicodedata.normalize("NFC", ch): 0x20 + i for i, ch in enumerate(_ALPHABET)}
_PRIMARY.update({str(d): 0x10 + d for d in range(10)})
_PRIMARY.update({ch: 0x02 + i for i, ch in enumerate(_PUNCTUATION)})
_PRIMARY[" "] = 0x01

# Compound family names that take two words (domain.md); others take the first word. The "Rơ ..."
# names are Jrai clan names written in two words (Rơ Mah Hlin: clan Rơ Mah, given name Hlin).
COMPOUND_FAMILY_NAMES = frozenset(
    unicodedata.normalize("NFC", n).casefold()
    for n in ["Âu Dương", "Tôn Thất", "Tôn Nữ", "Công Tôn", "Tư Mã", "Gia Cát", "Thượng Quan", "Hoàng Phủ",
              "Rơ Mah", "Rơ Lan", "Rah Lan", "Rơ Ô", "Rơ Chăm", "Rơ Châm"]
)


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def clean(value: str | None) -> str:
    """NFC, trimmed, inner whitespace collapsed: the form every text input is stored in.

    str.split() splits on exactly the characters str.isspace() accepts, as the regex class for
    whitespace does. A string that is already clean comes back as the same object, so cleaning it
    again (reading, then validation) keeps one copy of it in memory.
    """
    if value is None:
        return ""
    value = nfc(value)
    collapsed = " ".join(value.split())
    return value if collapsed == value else collapsed


@functools.cache
def _fold_table() -> dict[int, int | str | None]:
    # Every combining mark dropped (what is left of a letter after NFD is its base), and đ/Đ, which
    # do not decompose under NFD, mapped by hand; legacy data may hold Ð (U+00D0, Icelandic eth) for Đ.
    table: dict[int, int | str | None] = {cp: None for cp in range(sys.maxunicode + 1)
                                          if unicodedata.combining(chr(cp))}
    table.update({ord("đ"): "d", ord("Đ"): "D", ord("Ð"): "D", ord("ð"): "d"})
    return table


def fold(value: str) -> str:
    """Lowercase without diacritics: 'Nguyễn Thị Hoà' -> 'nguyen thi hoa'."""
    stripped = unicodedata.normalize("NFD", value).translate(_fold_table())
    return " ".join(stripped.casefold().split())


# Apostrophes seen in names: straight, curly (iOS and Word type ’), and the modifier letter.
APOSTROPHES = "'\u2019\u2018\u02bc"
_TO_STRAIGHT_APOSTROPHE = str.maketrans({ch: "'" for ch in APOSTROPHES[1:]})
_NO_APOSTROPHE = str.maketrans({ch: None for ch in APOSTROPHES})


def clean_name(value: str | None) -> str:
    """A personal name as stored: clean(), with every apostrophe the straight one (H’Bơ -> H'Bơ)."""
    return clean(value).translate(_TO_STRAIGHT_APOSTROPHE)


# What a personal name may hold besides letters and combining marks.
_NAME_PUNCTUATION = frozenset(" -.'")
_NAME_PUNCTUATION_TO_SPACE = str.maketrans({ch: " " for ch in "-.'"})


def name_problem(value: str, extra: str = "") -> tuple[str, str] | None:
    """The first character a personal name may not hold, and why: ("control", ch) for invisible
    control and format characters (bidirectional overrides and isolates, zero-width characters),
    ("symbol", ch) for symbols and emoji, ("character", ch) for anything else that is not a letter,
    a space, a hyphen, a dot or an apostrophe (digits included). `extra` allows more (the separators
    of a list of aliases). None when the name is fine."""
    # Fast path (an import checks a province's names): letters between the allowed punctuation.
    if all(word.isalpha() for word in value.translate(_NAME_PUNCTUATION_TO_SPACE).split()):
        return None
    for ch in value:
        if ch in _NAME_PUNCTUATION or ch in extra:
            continue
        category = unicodedata.category(ch)
        if category[0] in "LM":  # letters, and the marks of letters NFC leaves uncomposed
            continue
        if category in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp") or (category == "Zs" and ch != " "):
            return "control", ch
        if category[0] == "S":
            return "symbol", ch
        return "character", ch
    return None


def search_key(value: str) -> str:
    """The stored search form of a name: folded and framed by spaces, so that a query word can be
    matched as a word prefix with one `LIKE '% word%'` test. A word with an apostrophe (H'Ngăn) is
    also stored joined (hngan) and split (h ngan), so that each way of typing it finds it."""
    return f" {' '.join(_search_words(fold(value)))} "


def search_words(query: str) -> list[str]:
    """A typed query as the words to find: folded, apostrophes dropped (H’Ngăn, h'ngan -> hngan)."""
    return [word for word in fold(query).translate(_NO_APOSTROPHE).split(" ") if word]


_NO_APOSTROPHE = str.maketrans({ch: None for ch in APOSTROPHES})


_APOSTROPHE_TO_SPACE = str.maketrans({ch: " " for ch in APOSTROPHES})


def _search_words(folded: str) -> list[str]:
    words: list[str] = []
    for word in folded.split(" "):
        if any(ch in APOSTROPHES for ch in word):
            words.append(word.translate(_NO_APOSTROPHE))  # hngan
            words.extend(word.translate(_APOSTROPHE_TO_SPACE).split())  # h ngan
        else:
            words.append(word)
    return words


def split_name(full_name: str) -> tuple[str, str, str]:
    """Family, middle and given name of a name written family-first ('Nguyễn Thị Hoà')."""
    words = clean(full_name).split(" ")
    if not words or words == [""]:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    family_len = 2 if len(words) > 2 and " ".join(words[:2]).casefold() in COMPOUND_FAMILY_NAMES else 1
    family = " ".join(words[:family_len])
    given = words[-1]
    middle = " ".join(words[family_len:-1])
    return family, middle, given


def _letters(value: str) -> list[tuple[int, int, int]]:
    """(primary, tone, case) for each letter of a string, in Vietnamese collation terms."""
    out: list[tuple[int, int, int]] = []
    for cluster in _clusters(unicodedata.normalize("NFD", value.replace("Ð", "Đ").replace("ð", "đ"))):
        base, marks = cluster[0], cluster[1:]
        tone = 0
        letter_marks = ""
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            elif mark in _LETTER_MARKS:
                letter_marks += mark
        lower = base.lower()
        letter = unicodedata.normalize("NFC", lower + letter_marks)
        if letter in _PRIMARY:
            primary = _PRIMARY[letter]
        elif lower in _PRIMARY:
            primary = _PRIMARY[lower]
        elif not base.isalnum():
            primary = 0x0F
        else:
            primary = 0xFE
        out.append((primary, tone, 0 if base == lower else 1))
    return out


def _clusters(decomposed: str) -> list[str]:
    clusters: list[str] = []
    for ch in decomposed:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


@functools.lru_cache(maxsize=65536)
def collation_key(value: str) -> str:
    """A hex string whose byte order is Vietnamese collation order: letters first (a < ă < â ...
    d < đ), then tones (none < grave < hook < tilde < acute < dot below), then case.

    The primary level ends with '00', lower than any weight, so a key is never a prefix of a
    longer one; keys with equal primaries have equal length, so later levels align.

    Cached: it is computed per name part, and a province's hundred thousand names are made of a
    few thousand family, middle and given names.
    """
    letters = _letters(clean(value))
    primary = "".join(f"{p:02x}" for p, _, _ in letters)
    tones = "".join(f"{t:x}" for _, t, _ in letters)
    cases = "".join(f"{c:x}" for _, _, c in letters)
    return f"{primary}00{tones}{cases}"


def name_sort_key(full_name: str) -> str:
    """Vietnamese list order: given name, then family name, then middle name."""
    return parts_sort_key(*split_name(full_name))


def parts_sort_key(family: str, middle: str, given: str) -> str:
    """name_sort_key of a name already split by split_name."""
    return collation_key(given) + collation_key(family) + collation_key(middle)
