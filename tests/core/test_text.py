"""Vietnamese text handling: NFC, folding, search keys, name parts and the stored sort keys.

The sort keys are checked against ICU's `vi` collation (PyICU) on generated names: our key must
order every pair as ICU does, and may tie only where ICU ties, or for the legacy Ð (U+00D0) against
Đ (U+0110), which we deliberately treat as the same letter.
"""

from __future__ import annotations

import functools
import random
import unicodedata

import icu
import pytest

from dangvien.core.text import clean, collation_key, fold, name_sort_key, nfc, search_key, split_name


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


# --- NFC and cleaning ------------------------------------------------------------------------


def test_nfc_composes_decomposed_input():
    decomposed = nfd("Nguyễn Thị Hà")
    assert decomposed != "Nguyễn Thị Hà"  # the premise: NFD and NFC differ as strings
    assert nfc(decomposed) == "Nguyễn Thị Hà"
    assert unicodedata.is_normalized("NFC", nfc(decomposed))


def test_clean_trims_collapses_whitespace_and_composes():
    assert clean(f"  {nfd('Trần')} \t\n Văn   {nfd('Đức')}  ") == "Trần Văn Đức"
    assert clean(None) == ""
    assert clean("   ") == ""


# --- fold and search_key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "folded"),
    [
        ("Nguyễn Thị Hoà", "nguyen thi hoa"),
        ("NGUYỄN THỊ HÀ", "nguyen thi ha"),
        ("Đặng Đức Đạt", "dang duc dat"),
        ("đđ ĐĐ", "dd dd"),
        ("\u00d0ặng \u00f0ức", "dang duc"),  # legacy Icelandic Ð/ð for Đ/đ
        ("Ưng Ơn Ăn Ân Ê Ô", "ung on an an e o"),
        ("Ksor H'Bơ", "ksor h'bo"),
        ("  Lê   Thị  ", "le thi"),
    ],
)
def test_fold(value, folded):
    assert fold(value) == folded


def test_fold_is_the_same_for_nfd_input():
    for name in ["Nguyễn Thị Hà", "Đặng Thuỳ Dương", "Phạm Ngọc Ước"]:
        assert fold(nfd(name)) == fold(name)


@pytest.mark.parametrize(("a", "b"), [("Hoà", "Hòa"), ("Thuỷ", "Thủy"), ("Khoẻ", "Khỏe"), ("Quý", "Qúy")])
def test_both_tone_placements_fold_equal(a, b):
    assert a != b
    assert fold(a) == fold(b)
    assert fold(nfd(a)) == fold(b)


def test_search_key_is_framed_by_spaces_for_word_prefix_matching():
    assert search_key("Nguyễn  Thị Hà") == " nguyen thi ha "
    assert search_key(nfd("NGUYỄN THỊ HÀ")) == " nguyen thi ha "
    # A query word is matched as ' word' inside the key: 'ha' starts a word, 'uyen' does not.
    assert " ha" in search_key("Nguyễn Thị Hà")
    assert " uyen" not in search_key("Nguyễn Thị Hà")


# --- split_name --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Nguyễn Thị Hoà", ("Nguyễn", "Thị", "Hoà")),
        ("Trần Đức", ("Trần", "", "Đức")),
        ("Lê Thị Ngọc Bích", ("Lê", "Thị Ngọc", "Bích")),
        ("Tôn Thất Thuyết", ("Tôn Thất", "", "Thuyết")),
        ("Tôn Thất Minh Khôi", ("Tôn Thất", "Minh", "Khôi")),
        ("Âu Dương Phong", ("Âu Dương", "", "Phong")),
        ("âu dương phong", ("âu dương", "", "phong")),  # compound names are found in any case
        ("Hà", ("", "", "Hà")),
        ("", ("", "", "")),
        ("   ", ("", "", "")),
        ("Ksor H'Bơ", ("Ksor", "", "H'Bơ")),  # Jrai: clan name first, H' marks a woman's name
        ("Rơ Mah Hlin", ("Rơ Mah", "", "Hlin")),  # Jrai clan name of two words
        ("Siu Nay Thị Hoa", ("Siu", "Nay Thị", "Hoa")),
        # Two words that happen to be a compound family name: the last is still the given name.
        ("Âu Dương", ("Âu", "", "Dương")),
    ],
)
def test_split_name(full, parts):
    assert split_name(full) == parts


def test_split_name_cleans_nfd_and_spacing():
    assert split_name(f"  {nfd('Âu')}   {nfd('Dương')}  {nfd('Phong')} ") == ("Âu Dương", "", "Phong")


# --- collation_key and name_sort_key: fixed examples --------------------------------------------


def _sorted(words: list[str]) -> list[str]:
    return sorted(words, key=collation_key)


@pytest.mark.parametrize(
    "ordered",
    [
        ["Anh", "Ảnh", "Ánh", "Ân"],  # the letter first, the tone only breaks ties
        ["Duy", "Đức"],  # d < đ (pyuca gets this wrong)
        ["Dung", "Dũng", "Đan"],
        ["a", "ă", "â", "b"],
        ["o", "ô", "ơ", "p"],
        ["u", "ư", "v"],
        ["e", "ê", "g"],
        ["Ha", "Hà", "Hả", "Hã", "Há", "Hạ"],  # tones: none, grave, hook, tilde, acute, dot below
        ["Hạ", "Hai"],  # a shorter word before a longer one that starts with it, whatever the tone
        ["an", "An", "AN"],  # case decides last, lower first
        ["Hoa", "Hoà", "Hòa", "Hóa"],  # two placements of one tone are distinct but stay together
        # The secondary level reads tones left to right, so a tone on the later vowel sorts first
        # (as in ICU): Thuỷ < Thuý < Thủy.
        ["Thuy", "Thuỷ", "Thuý", "Thủy"],
        ["H Bơ", "H'Bơ", "H\u2019Bơ", "Hbơ"],  # separators sort before letters, apart from each other
        ["Ng", "Nga", "Ngh", "Nh"],  # no digraph tailoring: ng is n + g
    ],
)
def test_collation_order_examples(ordered):
    assert _sorted(list(reversed(ordered))) == ordered
    assert all(collation_key(a) < collation_key(b) for a, b in zip(ordered, ordered[1:], strict=False))


def test_collation_key_ignores_normalization_and_spacing():
    assert collation_key(nfd("Nguyễn Thị Hà")) == collation_key("Nguyễn Thị Hà")
    assert collation_key("  Nguyễn   Thị Hà ") == collation_key("Nguyễn Thị Hà")


def test_legacy_eth_sorts_as_d_with_stroke():
    assert collation_key("\u00d0ức") == collation_key("Đức")
    assert collation_key("Duy") < collation_key("\u00d0ức") < collation_key("Em")


def test_name_sort_key_orders_by_given_then_family_then_middle():
    names = [
        "Trần Văn Bình",  # given Bình
        "Nguyễn Văn An",  # given An
        "Lê Thị An",  # given An, family Lê < Nguyễn
        "Nguyễn Thị An",  # given An, family Nguyễn, middle Thị < Văn
        "Âu Dương An",  # given An, family Âu Dương: Â after A and before L
        "Đỗ Ánh",  # given Ánh after An (n < nh) ...
        "Bùi Anh",  # ... and Anh before Ánh (tone breaks the tie)
    ]
    assert sorted(names, key=name_sort_key) == [
        "Âu Dương An", "Lê Thị An", "Nguyễn Thị An", "Nguyễn Văn An", "Bùi Anh", "Đỗ Ánh", "Trần Văn Bình",
    ]


def test_name_sort_key_compares_whole_parts_not_concatenated_text():
    # Each part is compared in full (letters, then tones, then case) before the next part counts.
    assert name_sort_key("Nguyễn Hà") < name_sort_key("An Hải")  # Hà < Hải although An < Nguyễn
    assert name_sort_key("Trần Anh") < name_sort_key("Nguyễn Ảnh")  # given Anh < Ảnh decides
    assert name_sort_key("Nguyễn Văn Anh") < name_sort_key("Trần Anh")  # same given: family decides
    assert name_sort_key("Lê Anh") < name_sort_key("Lê Văn Anh")  # no middle name first


# --- property test against ICU ------------------------------------------------------------------

_COLLATOR = icu.Collator.createInstance(icu.Locale("vi"))

_ONSETS = ["", "b", "c", "ch", "d", "đ", "Ð".lower(), "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
           "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x"]
_NUCLEI = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "oă", "oe", "uy", "uâ", "ươ", "iê",
           "uô", "ai", "ao", "au", "ây", "oi", "ôi", "ơi", "ui", "ưi", "eo", "iu", "ưu", "uya", "ươi", "ia", "ua", "ưa"]
_CODAS = ["", "", "c", "ch", "m", "n", "ng", "nh", "p", "t"]
_TONE_MARKS = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]
_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Phan", "Hoàng", "Huỳnh", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
           "Dương", "Lý", "Tôn Thất", "Âu Dương", "Ksor", "Rơ Mah", "Siu", "Nay", "\u00d0inh", "Đinh", "Đoàn"]
_ETHNIC_GIVEN = ["H'Bơ", "H\u2019Bơ", "H'Hen", "Y-Ngông", "Hlin", "Blúp", "H Bơ"]


def _syllable(rng: random.Random) -> str:
    nucleus = rng.choice(_NUCLEI)
    at = rng.randrange(len(nucleus))  # the tone on either vowel: both placements are in real data
    text = rng.choice(_ONSETS) + nucleus[: at + 1] + rng.choice(_TONE_MARKS) + nucleus[at + 1:] + rng.choice(_CODAS)
    text = nfc(text)
    roll = rng.random()
    if roll < 0.85:
        return text[:1].upper() + text[1:]
    return text.upper() if roll < 0.93 else text


def _given(rng: random.Random) -> str:
    return rng.choice(_ETHNIC_GIVEN) if rng.random() < 0.03 else _syllable(rng)


def _family(rng: random.Random) -> str:
    return rng.choice(_FAMILY) if rng.random() < 0.25 else _syllable(rng)


def _middle(rng: random.Random) -> str:
    return " ".join(_syllable(rng) for _ in range(rng.choice([0, 1, 1, 2])))


def _eth_as_d_with_stroke(value: str) -> str:
    return value.replace("\u00d0", "Đ").replace("\u00f0", "đ")


def _only_eth_differs(a: str, b: str) -> bool:
    return _eth_as_d_with_stroke(a) == _eth_as_d_with_stroke(b)


def _icu_compare(a: str, b: str) -> int:
    # ICU gives the Icelandic eth its own letter; we read it as the Đ that legacy data meant.
    return _COLLATOR.compare(_eth_as_d_with_stroke(a), _eth_as_d_with_stroke(b))


def _check_against_icu(values: list[str], key, icu_cmp) -> None:
    """Sorted by our key, every neighbouring pair must be in ICU order too, and our ties must be ICU
    ties (or Ð/Đ). Together with transitivity this makes the two orders agree on every pair."""
    ordered = sorted(set(values), key=key)
    problems = []
    for a, b in zip(ordered, ordered[1:], strict=False):
        ours = key(a) < key(b)
        theirs = icu_cmp(a, b)
        if ours and theirs > 0:
            problems.append(f"{a!r} < {b!r} for us, > for ICU")
        if not ours and theirs != 0 and not _only_eth_differs(a, b):
            problems.append(f"{a!r} == {b!r} for us, {theirs} for ICU")
    assert not problems, problems[:20]
    assert len(ordered) > 2000  # the generator really produced thousands of distinct values


@pytest.mark.parametrize(("part", "make"), [("given", _given), ("family", _family), ("middle", _middle)])
def test_collation_key_matches_icu_vi_per_name_part(part, make):
    rng = random.Random(f"dangvien-{part}")
    values = [make(rng) for _ in range(4000)]
    _check_against_icu(values, collation_key, _icu_compare)


def test_name_sort_key_matches_icu_on_given_family_middle():
    rng = random.Random("dangvien-full-names")
    names = [" ".join(filter(None, [_family(rng), _middle(rng), _given(rng)])) for _ in range(4000)]

    def icu_cmp(a: str, b: str) -> int:
        for x, y in zip(_parts(a), _parts(b), strict=True):
            if result := _icu_compare(x, y):
                return result
        return 0

    _check_against_icu(names, name_sort_key, icu_cmp)


def _parts(name: str) -> tuple[str, str, str]:
    family, middle, given = split_name(name)
    return given, family, middle


def test_icu_comparison_is_able_to_fail():
    """Guards the property test: a key that ignores tones must be caught by the same check."""
    def toneless(value: str) -> str:
        return fold(value)

    rng = random.Random("dangvien-given")
    with pytest.raises(AssertionError):
        _check_against_icu([_given(rng) for _ in range(4000)], toneless, _icu_compare)


def test_icu_agrees_with_the_fixed_examples():
    """The examples above are ICU's order too (domain.md cites ICU for Anh < Ảnh < Ánh < Ân)."""
    order = ["Anh", "Ảnh", "Ánh", "Ân", "Duy", "Đức", "Thuy", "Thuỷ", "Thuý", "Thủy"]
    assert sorted(order, key=functools.cmp_to_key(_COLLATOR.compare)) == order
