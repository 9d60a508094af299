"""Fold the many ways people type a word into one form, for every supported script.

Applied identically to content and to questions, so folding never needs to be "correct"
German or Arabic, only consistent: umlauts and their ``ae/oe/ue`` spellings, Turkish dotted
and dotless i, Arabic hamza/alef/yeh/teh marbuta variants, vowel marks and tatweel, Persian
yeh and kaf, Cyrillic ё/й/ї and apostrophes, Arabic-Indic digits.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CHAR_MAP = str.maketrans({
    "ı": "i", "İ": "i",                       # Turkish dotless / dotted capital I
    "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي",   # Arabic alef maksura, Persian/Pashto yeh
    "ة": "ه", "ۀ": "ه", "ە": "ه",             # teh marbuta, heh with yeh
    "ک": "ك", "ګ": "ك",                        # Persian keheh -> Arabic kaf
    "ٱ": "ا",
    "ـ": None,                                 # tatweel (kashida)
    "\u200c": None, "\u200d": None,            # zero-width (non-)joiner
    "\u200e": None, "\u200f": None,            # direction marks
    "\u2068": None, "\u2069": None, "\u2066": None, "\u2067": None,
    "ґ": "г", "ё": "е", "ъ": "ь",
    "’": "'", "ʼ": "'", "`": "'", "´": "'",
    "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe",
    **{chr(0x0660 + i): str(i) for i in range(10)},   # Arabic-Indic digits
    **{chr(0x06F0 + i): str(i) for i in range(10)},   # Persian digits
})

# Combining marks of the scripts we meet (Latin diacritics, Cyrillic, Arabic harakat and
# hamza above/below, Qur'anic marks): a regex is much faster than a per-character loop.
_COMBINING = re.compile("[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a"
                        "\u064b-\u065f\u0670\u06d6-\u06ed\u1ab0-\u1aff\u1dc0-\u1dff"
                        "\u20d0-\u20ff\ufe20-\ufe2f]")
_CYRILLIC_APOSTROPHE = re.compile(r"(?<=[а-яіїєґ])'(?=[а-яіїєґ])")
_GERMAN_DIGRAPH = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_LATIN_WORD = re.compile(r"^[a-z0-9]+$")


def fold(text: str) -> str:
    """Case-fold and fold letter variants; returns text with the same word boundaries."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(_CHAR_MAP)
    text = _CYRILLIC_APOSTROPHE.sub("", text)
    # Drop combining marks (Latin diacritics, Arabic harakat and hamza, Cyrillic breve).
    text = _COMBINING.sub("", unicodedata.normalize("NFD", text))
    text = unicodedata.normalize("NFC", text).translate(_CHAR_MAP)
    return text


def tokenize(text: str) -> list[str]:
    """Folded word tokens; German ``ue`` and ``ü`` (now ``u``) end up the same.

    Folding works within words, so each whitespace-separated chunk is folded once and
    cached: content and questions repeat the same words thousands of times."""
    tokens: list[str] = []
    for chunk in text.split():
        tokens.extend(_chunk_tokens(chunk))
    return tokens


@lru_cache(maxsize=200_000)
def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    tokens = []
    for tok in _TOKEN.findall(fold(chunk)):
        tok = tok.replace("_", "")
        if not tok:
            continue
        if _LATIN_WORD.match(tok):
            tok = _GERMAN_DIGRAPH.sub(lambda m: m.group(1)[0], tok)
        tokens.append(tok)
    return tuple(tokens)
