"""Arabic typed in Latin letters and digits ("Arabizi": ``3ayez``, ``7ad``, ``is3af``),
turned into Arabic-script spellings so that the Arabic content can match it.

Arabizi writes short vowels that Arabic script leaves out, and spells one sound several
ways, so each word gets a few candidate spellings (with and without its short vowels);
the matcher keeps only candidates its Arabic vocabulary knows (exactly or nearly).
"""

from __future__ import annotations

import re
from functools import lru_cache

_DIGRAPHS = (("sh", "ش"), ("ch", "ش"), ("kh", "خ"), ("gh", "غ"), ("th", "ث"), ("dh", "ذ"),
             ("ou", "و"), ("oo", "و"), ("ee", "ي"), ("ei", "ي"), ("ai", "ي"), ("aa", "ا"),
             ("ie", "ي"))
_LETTERS = {"2": "ء", "3": "ع", "5": "خ", "6": "ط", "7": "ح", "8": "ق", "9": "ق",
            "b": "ب", "p": "ب", "t": "ت", "j": "ج", "g": "ج", "d": "د", "r": "ر", "z": "ز",
            "s": "س", "c": "ك", "f": "ف", "v": "ف", "q": "ق", "k": "ك", "l": "ل", "m": "م",
            "n": "ن", "h": "ه", "w": "و", "y": "ي", "x": "كس"}
_VOWELS = {"a": "ا", "i": "ي", "o": "و", "u": "و", "e": ""}
_ARTICLE = frozenset({"el", "al", "il", "l"})
_PREPOSITION_ARTICLE = {"bel": "بال", "bil": "بال", "fel": "فال", "fil": "فال",
                        "lal": "لل", "lil": "لل", "3al": "عال"}
_WORD = re.compile(r"^[a-z0-9]+$")


def _spell(word: str, long_vowels_only: bool) -> str:
    out: list[str] = []
    i = 0
    while i < len(word):
        pair = word[i:i + 2]
        mapped = next((ar for lat, ar in _DIGRAPHS if lat == pair), None)
        if mapped is not None:
            out.append(mapped)
            i += 2
            continue
        ch = word[i]
        if ch in _VOWELS:
            if i == 0:
                out.append("ا" if ch in "aei" else "او")
            elif i == len(word) - 1 and ch in "ae":
                out.append("ه" if long_vowels_only else "ا")  # -a, -e: often teh marbuta
            elif not long_vowels_only:
                out.append(_VOWELS[ch])
        elif ch in _LETTERS and not (i and word[i - 1] == ch):  # doubled: written once
            out.append(_LETTERS[ch])
        i += 1
    return "".join(out)


@lru_cache(maxsize=20_000)
def candidates(word: str, article: str = "") -> tuple[str, ...]:
    """Arabic-script spellings of one Arabizi word (``article``: a preceding ``el``)."""
    if not _WORD.match(word) or len(word) < 3 or word.isdigit():
        return ()
    spellings = dict.fromkeys(article + _spell(word, flag) for flag in (True, False))
    return tuple(s for s in spellings if len(s) >= 2)


def transliterate(tokens: list[str]) -> list[tuple[str, ...]]:
    """Per word, its candidate Arabic spellings; articles join the following word."""
    out: list[tuple[str, ...]] = []
    article = ""
    for tok in tokens:
        if tok in _ARTICLE:
            article = "ال"
            continue
        if tok in _PREPOSITION_ARTICLE:
            article = _PREPOSITION_ARTICLE[tok]
            continue
        # With an article, the bare word too: "el" is sometimes just a filler.
        out.append(candidates(tok, article) + (candidates(tok) if article else ()))
        article = ""
    return out
