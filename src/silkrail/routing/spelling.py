"""Spelling: one key for every way of writing a name, in any script.

Names are folded the same way in every script (case, diacritics, punctuation); a name that still
matches nothing is transliterated to Latin (anyascii) and tried again, so ``Алматы``,
``Ташкент`` or ``乌鲁木齐`` find the cities the gazetteer lists as Almaty, Tashkent and Urumqi.
"""

from __future__ import annotations

import unicodedata

_FOLD = str.maketrans(
    {
        "đ": "d",
        "Đ": "d",
        "ı": "i",
        "ø": "o",
        "ł": "l",
        "Ł": "l",
        "ß": "ss",
        "ʻ": "",
        "’": "",
        "'": "",
        "`": "",
    }
)
_CJK_NAME_SUFFIXES = ("市", "站", "县", "區", "区")


def normalise(name: str) -> str:
    """One key for every spelling of a name in any script: case, diacritics and punctuation
    folded, letters of every script kept ('Hà Nội' -> 'ha noi', 'Алма-Ата' -> 'алма ата')."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).translate(_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        out.append(ch if cat[0] in "LN" else " ")
    return " ".join("".join(out).split())


def transliterate(name: str) -> str:
    """The Latin key of a name in another script ('Ташкент' -> 'tashkent', '北京' -> 'bei jing'
    and 'beijing' are both tried by :meth:`Gazetteer.resolve`)."""
    from anyascii import anyascii

    return normalise(anyascii(name))


def cjk_variants(key: str) -> list[str]:
    """'北京市' is also '北京'; '乌鲁木齐站' also '乌鲁木齐'."""
    return [key[: -len(s)] for s in _CJK_NAME_SUFFIXES if key.endswith(s) and len(key) > len(s) + 1]
