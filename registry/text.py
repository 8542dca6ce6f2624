"""Vietnamese text folding, name matching and alphabetical order.

Search must find "Biên Hòa" when a user types "bien hoa", and names from different catalogues
must match even though they place tone marks differently ("Hoà Bình" in one, "Hòa Bình" in the
other) or carry a unit prefix ("Thành phố Biên Hòa" against "Biên Hòa").

Names sort in the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v
x y), tones after the letters (no tone, huyền, hỏi, ngã, sắc, nặng), as ICU's Vietnamese
collation (CLDR "vi") orders them: "Đắk Lắk" after every "D…" and before "E…", never after
"T…" as code-point order puts it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from difflib import SequenceMatcher
from typing import Any, TypeVar

T = TypeVar("T")

#: The collation's name, the same on both engines: PostgreSQL's ICU collation for Vietnamese,
#: and the one registered on every SQLite connection (``registry.database``).
SQL_COLLATION = "vi-x-icu"

# The five Vietnamese tone marks as Unicode combining characters. Other combining marks
# (circumflex, breve, horn) belong to the vowel letter itself and never move.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # grave, acute, tilde, hook, dot

# Open-syllable vowel pairs whose tone mark is written on either letter depending on the
# spelling convention in use.
_MOVABLE_PAIRS = frozenset({"oa", "oe", "uy"})

_WORD = re.compile(r"[^\W\d_]+")
_SPACES = re.compile(r"\s+")

# Unit and facility-type prefixes that carry no identifying information, longest first so
# that "thị xã" wins over "xã". Stored folded; the dotted abbreviations are the ones used on
# signs and in addresses ("TP. Biên Hòa", "TX. Long Khánh").
_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in (
                "thanh pho truc thuoc trung uong",
                "trung tam",
                "co so",
                "thi tran",
                "thi xa",
                "thanh pho",
                "dac khu",
                "xa",
                "phuong",
                "huyen",
                "tinh",
                "quan",
                "tp.",
                "tx.",
                "tt.",
            )
        ),
        key=len,
        reverse=True,
    )
)


def fold(s: str) -> str:
    """Lower-case ASCII-like form for diacritic- and case-insensitive comparison.

    Diacritics are dropped after canonical decomposition; "đ" is a separate letter rather
    than a decorated "d", so it is mapped explicitly. Runs of whitespace become one space.
    """
    decomposed = unicodedata.normalize("NFD", s.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d")
    return _SPACES.sub(" ", stripped).strip()


def _move_tone(word: str) -> str:
    if len(word) < 2:
        return word
    first, last = word[-2], word[-1]
    last_parts = unicodedata.normalize("NFD", last)
    base, marks = last_parts[0], last_parts[1:]
    if len(marks) != 1 or marks not in _TONE_MARKS:
        return word
    if len(unicodedata.normalize("NFD", first)) != 1:  # first vowel already decorated
        return word
    pair = (first + base).lower()
    if pair not in _MOVABLE_PAIRS:
        return word
    if pair == "uy" and len(word) >= 3 and word[-3].lower() == "q":
        return word  # "qu" is a consonant: "quý" keeps its mark on the y
    return word[:-2] + unicodedata.normalize("NFC", first + marks) + base


def normalise_tone_placement(s: str) -> str:
    """Write open-syllable "oa", "oe", "uy" with the tone mark on the first vowel.

    "hoà" → "hòa", "thuỷ" → "thủy", "khoẻ" → "khỏe" (any case). The 2025 catalogue marks the
    second vowel and the pre-2025 one mostly the first (the data README calls these the old and
    the new placement; linguists often use the opposite labels). Closed syllables ("hoàng",
    "thuyền") are written one way only and stay as they are, as does "qu" + "y" ("quý").
    The result is NFC.
    """
    text = unicodedata.normalize("NFC", s)
    return _WORD.sub(lambda match: _move_tone(match.group()), text)


def strip_admin_prefix(s: str) -> str:
    """The name without a leading unit or facility-type word ("Thành phố Biên Hòa" → "Biên Hòa").

    The remainder keeps its original spelling. A prefix that is the whole name, or that is
    followed only by a number ("Phường 1", where the number is the name), is kept.
    """
    words = s.split()
    folded = [fold(word) for word in words]
    for prefix in _PREFIXES:
        n = len(prefix)
        if tuple(folded[:n]) == prefix:
            rest = words[n:]
            if not rest or (len(rest) == 1 and rest[0].isdigit()):
                break
            return " ".join(rest)
    return " ".join(words)


def similar(a: str, b: str, *, strip_prefix: bool = True) -> float:
    """Similarity in [0, 1] of two names, ignoring case, diacritics and tone placement.

    With ``strip_prefix`` a leading unit or facility-type word is ignored on both sides, so
    "Xã Hòa Thắng" and "Phường Hoà Thắng" compare as equal.
    """
    if strip_prefix:
        a, b = strip_admin_prefix(a), strip_admin_prefix(b)
    folded_a, folded_b = fold(a), fold(b)
    if folded_a == folded_b:
        return 1.0
    return SequenceMatcher(None, folded_a, folded_b, autojunk=False).ratio()


@functools.cache
def _collator() -> Any:
    import icu  # PyICU (the pyicu-wheels build)

    return icu.Collator.createInstance(icu.Locale("vi"))


def sort_key(name: str) -> bytes:
    """The key that puts names in Vietnamese alphabetical order, whichever way their tone
    marks were placed ("Hoà" sorts as "Hòa")."""
    return bytes(_collator().getSortKey(normalise_tone_placement(name)))


def sorted_by_name(items: Iterable[T], name: Callable[[T], str] = str) -> list[T]:
    """Items in Vietnamese alphabetical order of ``name(item)``."""
    return sorted(items, key=lambda item: sort_key(name(item)))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 in Vietnamese order: SQLite's collation function for :data:`SQL_COLLATION`."""
    ka, kb = sort_key(a), sort_key(b)
    return (ka > kb) - (ka < kb)
