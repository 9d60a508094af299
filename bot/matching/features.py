"""Turn folded tokens into weighted lexical features shared by index and query.

Three kinds, so one index serves nine languages without a per-language pipeline:
whole words (exact meaning), Snowball stems in the text's language (PyStemmer:
``interpreter``/``interpreting``, ``Kurse``/``Kurses``, ``курсы``/``курса``), and
character 4-grams inside words (compounds, Arabic clitics such as ``بال``, typos).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache, lru_cache

import Stemmer

from bot.languages import Lang

WORD_WEIGHT = 1.0
STEM_WEIGHT = 0.6
NGRAM_WEIGHT = 0.22
NGRAM = 4

# Snowball has no Ukrainian: the Russian stemmer shares most inflection endings.
_ALGORITHM: dict[str, str] = {
    Lang.DE: "german", Lang.EN: "english", Lang.UK: "russian", Lang.RU: "russian",
    Lang.AR: "arabic", Lang.TR: "turkish", Lang.FA: "persian", Lang.PL: "polish",
    Lang.RO: "romanian",
    # Glossary languages (content/_glossary) that Snowball has.
    "fr": "french", "es": "spanish", "it": "italian"}
STEMMED = frozenset(_ALGORITHM)
_TO_PERSIAN = str.maketrans({"ي": "ی", "ك": "ک"})
_FROM_PERSIAN = str.maketrans({"ی": "ي", "ک": "ك"})


@cache
def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(algorithm, 0)


@lru_cache(maxsize=200_000)
def stem(lang: str, token: str) -> str:
    if lang is Lang.FA:  # the Persian stemmer expects Persian yeh/kaf, folding made them Arabic
        return _stemmer("persian").stemWord(token.translate(_TO_PERSIAN)).translate(
            _FROM_PERSIAN)
    return _stemmer(_ALGORITHM[lang]).stemWord(token)


@lru_cache(maxsize=500_000)
def token_features(token: str, stem_langs: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """The features of one word; cached, since words repeat across thousands of texts."""
    out: dict[str, float] = {"w:" + token: WORD_WEIGHT}
    if len(token) >= 4 and not token.isdigit():
        share = STEM_WEIGHT / max(len(stem_langs), 1)
        for lang in stem_langs:
            name = "s:" + stem(lang, token)
            out[name] = out.get(name, 0.0) + share
    if len(token) >= NGRAM:
        padded = f"^{token}$"
        for i in range(len(padded) - NGRAM + 1):
            name = "g:" + padded[i : i + NGRAM]
            out[name] = out.get(name, 0.0) + NGRAM_WEIGHT
    return tuple(out.items())


_STOP_NAMES: dict[str, str] = {
    Lang.DE: "german", Lang.EN: "english", Lang.UK: "ukrainian", Lang.RU: "russian",
    Lang.AR: "arabic", Lang.TR: "turkish", Lang.FA: "persian", Lang.PL: "polish",
    Lang.RO: "romanian", "fr": "french", "es": "spanish", "it": "italian"}
_stop_words: dict[str, frozenset[str]] = {}


def set_stop_words(protected: frozenset[str]) -> None:
    """Function words per language (stop-words package), minus every word the content
    uses as a keyword: "work" or "help" are stop words in general lists, not for us."""
    from stop_words import get_stop_words

    from bot.matching.normalize import tokenize

    for lang, name in _STOP_NAMES.items():
        words = {t for w in get_stop_words(name) for t in tokenize(w)}
        _stop_words[lang] = frozenset(words - protected)
    stop_words_for.cache_clear()


@lru_cache(maxsize=64)
def stop_words_for(langs: tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(_stop_words.get(lang, frozenset()) for lang in langs))


def features(tokens: Sequence[str], stem_langs: Sequence[str] = ()) -> Counter[str]:
    """Feature -> raw weight (before idf); the same function for content and questions."""
    out: Counter[str] = Counter()
    langs = tuple(stem_langs)
    stops = stop_words_for(langs)
    for tok in tokens:
        if tok in stops:
            continue
        for name, weight in token_features(tok, langs):
            out[name] += weight
    return out
