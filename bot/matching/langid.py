"""Which language a message is written in, among the supported ones.

lingua (low-accuracy mode: 40 MB, sub-millisecond) gives probabilities; the script narrows
the choice first (Cyrillic: Ukrainian or Russian; Arabic script: Arabic or Farsi), letters
only one language uses decide outright, and Arabic written in Latin letters with digits
("chat alphabet": ``bi2dar``, ``3a``, ``7ad``) is recognised as Arabic. A message that
gives too little evidence returns ``None`` so the caller falls back to the user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lingua import Language, LanguageDetectorBuilder

from bot.languages import Lang
from bot.matching.normalize import fold

_LINGUA = {
    Lang.DE: Language.GERMAN,
    Lang.EN: Language.ENGLISH,
    Lang.UK: Language.UKRAINIAN,
    Lang.RU: Language.RUSSIAN,
    Lang.AR: Language.ARABIC,
    Lang.TR: Language.TURKISH,
    Lang.FA: Language.PERSIAN,
    Lang.PL: Language.POLISH,
    Lang.RO: Language.ROMANIAN,
}
# Detected so that a French or Spanish question is not mistaken for a supported language.
_UNSUPPORTED = (
    Language.FRENCH,
    Language.SPANISH,
    Language.ITALIAN,
    Language.DUTCH,
    Language.PORTUGUESE,
    Language.ALBANIAN,
    Language.CROATIAN,
    Language.SOMALI,
)
_FROM_LINGUA = {v: k for k, v in _LINGUA.items()}

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-zÀ-ÿĀ-ſ]")
_UK_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RU_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")
_FA_ONLY = re.compile(r"[پچژگکی]")
# Letters of Pashto, Sorani Kurdish and Urdu that Arabic and Farsi do not use.
_OTHER_ARABIC_SCRIPT = {"ps": re.compile(r"[ټډړږښګڼۍې]"), "ckb": re.compile(r"[ڕڵۆێە]"),
                        "ur": re.compile(r"[ٹڈڑےں]")}
_OTHER_SCRIPTS = re.compile(r"[\u1200-\u137F\u0530-\u058F\u10A0-\u10FF\u0E00-\u0E7F"
                            r"\u0900-\u097F\u3040-\u30FF\u4E00-\u9FFF\uAC00-\uD7AF]")
_AR_ONLY = re.compile(r"[ةىيك]")
_ARABIZI_WORD = re.compile(r"\b(?=\w*[a-z])\w*[a-z][2357]\w*\b|\b[2357][a-z]\w*\b", re.IGNORECASE)
_ARABIZI_WORDS = frozenset(
    [
        "ana",
        "enta",
        "enti",
        "inta",
        "inti",
        "shu",
        "shou",
        "sho",
        "esh",
        "eish",
        "wein",
        "wen",
        "fi",
        "fe",
        "mafi",
        "ma3",
        "3a",
        "3an",
        "3ala",
        "bade",
        "badi",
        "bidi",
        "biddi",
        "baddi",
        "emta",
        "imta",
        "kif",
        "keef",
        "kaif",
        "leh",
        "lesh",
        "lesh",
        "law",
        "iza",
        "eza",
        "ya3ni",
        "yalla",
        "inshallah",
        "habibi",
        "mish",
        "msh",
        "mesh",
        "el",
        "al",
        "wa",
        "fe",
        "bel",
    ]
)


def _only(text: str, script: re.Pattern[str]) -> str:
    """The words written in one script: a Latin loanword inside Cyrillic or Arabic text
    makes lingua give up on the whole text."""
    words = [w for w in re.findall(r"\w+", text) if script.search(w)]
    return " ".join(words) or text


@dataclass(frozen=True)
class Detection:
    lang: Lang | None  # None: not a supported language, or not enough evidence
    confidence: float
    supported: bool
    other: str | None = None  # code of a language without answers, when recognised


class LanguageIdentifier:
    """Built once at start-up (models preloaded, so the first question is not slow)."""

    def __init__(
        self,
        min_confidence: float = 0.55,
        loanwords: frozenset[str] = frozenset(),
        vocabularies: dict[Lang, frozenset[str]] | None = None,
        foreign: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self._min_confidence = min_confidence
        self._vocabularies = vocabularies or {}
        # Words of the glossary languages (Kurdish, Somali ...): a message mostly in one of
        # them is not in a supported language, whatever lingua's closest guess is.
        self._foreign = foreign or {}
        # German official terms people paste into any language ("Kindergeld", "Jobcenter"):
        # they say nothing about the language the question is written in.
        self._loanwords = loanwords
        self._detector = (
            LanguageDetectorBuilder.from_languages(*_LINGUA.values(), *_UNSUPPORTED)
            .with_low_accuracy_mode()
            .with_preloaded_language_models()
            .build()
        )

    def detect(self, text: str) -> Detection:
        letters = sum(ch.isalpha() for ch in text)
        if letters < 2:
            return Detection(None, 0.0, True)
        cyr, arab = len(_CYRILLIC.findall(text)), len(_ARABIC_SCRIPT.findall(text))
        latin = len(_LATIN.findall(text))
        if len(_OTHER_SCRIPTS.findall(text)) > max(cyr, arab, latin):
            # Tigrinya, Amharic, Armenian, Hindi ...: a glossary's words may say which.
            other = self._foreign_language(text, [], min_words=1) if self._foreign else None
            return Detection(None, 0.9, False, other)
        if cyr >= 2 and cyr >= arab:
            uk, ru = len(_UK_ONLY.findall(text)), len(_RU_ONLY.findall(text))
            if uk != ru:
                return Detection(Lang.UK if uk > ru else Lang.RU, 0.99, True)
            by_words = self._by_vocabulary(_only(text, _CYRILLIC), [Lang.UK, Lang.RU])
            if by_words.lang is not None:
                return by_words
            return self._among(_only(text, _CYRILLIC), [Lang.UK, Lang.RU], floor=0.0)
        if arab >= 2:
            for code, letters in _OTHER_ARABIC_SCRIPT.items():  # Pashto, Sorani, Urdu
                if letters.search(text):
                    return Detection(None, 0.9, False, code)
            fa, ar = len(_FA_ONLY.findall(text)), len(_AR_ONLY.findall(text))
            if fa and not ar:
                return Detection(Lang.FA, 0.95, True)
            if ar and not fa:
                return Detection(Lang.AR, 0.95, True)
            by_words = self._by_vocabulary(_only(text, _ARABIC_SCRIPT), [Lang.AR, Lang.FA])
            if by_words.lang is not None:
                return by_words
            return self._among(_only(text, _ARABIC_SCRIPT), [Lang.AR, Lang.FA], floor=0.0)
        if self._looks_like_arabizi(text):
            return Detection(Lang.AR, 0.8, True)
        latin_langs = [Lang.DE, Lang.EN, Lang.TR, Lang.PL, Lang.RO]
        other = self._foreign_language(text, latin_langs) if self._foreign else None
        if other is not None:
            return Detection(None, 0.8, False, other)
        stripped = self._without_loanwords(text)
        if stripped != text:
            found = self._among(stripped, latin_langs, floor=self._min_confidence)
            if found.lang is not None and found.lang is not Lang.DE:
                return found
        found = self._among(text, latin_langs, floor=self._min_confidence if letters < 40 else 0.4)
        if found.lang is None and self._vocabularies:
            # Our own words decide when lingua cannot; when it names a language without
            # answers ("vatandaslik icin" looks Croatian to it), only if they clearly do.
            by_words = self._by_vocabulary(text, latin_langs)
            if by_words.lang is not None or found.supported:
                return by_words
        return found

    def _by_vocabulary(self, text: str, langs: list[Lang]) -> Detection:
        """Short, unaccented messages ("vatandaslik icin kac yil") give lingua too little;
        the words of our own content in each language then decide, if one clearly wins."""
        words = [fold(w) for w in re.findall(r"[^\W\d_]{2,}", text)]
        words = [w for w in words if w not in self._loanwords]
        if len(words) < 2:
            return Detection(None, 0.0, True)
        shares = sorted(
            ((sum(w in self._vocabularies.get(lang, ()) for w in words) / len(words), lang)
             for lang in langs),
            reverse=True,
        )
        (best, lang), (second, _) = shares[0], shares[1]
        if best >= 0.5 and best - second >= 0.25:
            return Detection(lang, best, True)
        return Detection(None, best, True)

    def _foreign_language(self, text: str, langs: list[Lang], min_words: int = 3) -> str | None:
        """The glossary language whose words make up most of the message, clearly more
        than any answer language's words; else None."""
        words = [fold(w) for w in re.findall(r"[^\W\d_]{2,}", text)]
        words = [w for w in words if w not in self._loanwords]
        if len(words) < min_words:
            return None
        def share(vocabulary: frozenset[str]) -> float:
            return sum(w in vocabulary for w in words) / len(words)
        foreign, code = max((share(v), code) for code, v in self._foreign.items())
        ours = max((share(self._vocabularies.get(lang, frozenset())) for lang in langs),
                   default=0.0)
        return code if foreign >= 0.4 and foreign - ours >= 0.2 else None

    def _without_loanwords(self, text: str) -> str:
        if not self._loanwords:
            return text
        words = re.findall(r"[\w'-]+", text)
        kept = [w for w in words if fold(w) not in self._loanwords]
        if len(kept) < 2 or len(kept) == len(words):
            return text
        return " ".join(kept)

    def _among(self, text: str, langs: list[Lang], floor: float) -> Detection:
        values = self._detector.compute_language_confidence_values(text)
        best = values[0] if values else None
        if best is None:
            return Detection(None, 0.0, True)
        lang = _FROM_LINGUA.get(best.language)
        if lang is None:
            unsupported = best.value >= floor
            return Detection(None, best.value, not unsupported,
                             best.language.iso_code_639_1.name.lower() if unsupported else None)
        allowed = {_LINGUA[code] for code in langs}
        total = sum(v.value for v in values if v.language in allowed) or 1.0
        scoped = [v for v in values if v.language in allowed]
        top = scoped[0]
        confidence = top.value / total if floor == 0.0 else top.value
        if confidence < floor:
            return Detection(None, confidence, True)
        return Detection(_FROM_LINGUA[top.language], confidence, True)

    @staticmethod
    def _looks_like_arabizi(text: str) -> bool:
        words = re.findall(r"\w+", text.lower())
        if len(words) < 2:
            return False
        digit_words = len(_ARABIZI_WORD.findall(text))
        known = sum(w in _ARABIZI_WORDS for w in words)
        return digit_words >= 2 or (digit_words >= 1 and known >= 1) or known >= 3
