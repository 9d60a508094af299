"""Find the topic a free-text question is about, or decide honestly that there is none.

Every scorer has one signature, ``score(query, pool) -> list[Candidate]``, and this module's
``Matcher`` is the one place that ranks: it weights and sums the scorers' candidates per
topic, then decides between answering, asking back ("did you mean ...?") and admitting it
is not sure. Small talk ("hi", "thanks", "tell me a joke") competes as pseudo-topics, so a
greeting never gets a confident wrong answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, process

from bot.content.model import ContentLibrary
from bot.languages import Lang
from bot.matching import arabizi
from bot.matching import cache as index_cache
from bot.matching.calibration import Calibration
from bot.matching.features import STEMMED, features, set_stop_words
from bot.matching.index import (
    SMALLTALK_PREFIX,
    SearchIndex,
    SparseRows,
    build_indexes,
    documents_from,
)
from bot.matching.langid import Detection, LanguageIdentifier
from bot.matching.normalize import fold, tokenize

CLARIFY_MARGIN = 0.035  # top two topics closer than this: ask back
SMALLTALK_MIN = 0.45
CRISIS_INTENT = SMALLTALK_PREFIX + "crisis"
CRISIS_MIN = 0.35
CRISIS_MARGIN = 0.05
SMALLTALK_MARGIN = 0.10  # small talk must clearly beat the best topic ("Fußball im Verein")
PHRASE_MATCH = 0.85  # ... or the message is nearly word for word a small-talk phrase
PHRASE_FUZZY = 0.75
PHRASE_MARGIN = 0.35
POOL_DOCS = 60
TOP_TOPICS = 25
LEXICAL_WEIGHT = 0.15
PROFILE_WEIGHT = 0.65
SECOND_LANGUAGE = 0.5  # a topic's second-best language profile adds this share
FUZZY_WEIGHT = 0.20
# Words the content never uses (names, personal context) weigh this much against a match;
# how much of a question is unknown is judged separately by the calibrated confidence.
UNKNOWN_WEIGHT = 0.25
SEGMENT_DISCOUNT = 0.8  # a single sentence's match counts a little less than the whole
# Unknown words this long are compared with the vocabulary for typos ("Kidnergeld");
# measured on questions with random typos (heldout, realistic): 4 beats 5, and a lower
# cutoff than 82 costs more right answers than it saves.
TYPO_MIN_LENGTH = 4
TYPO_CUTOFF = 82
ARABIZI_CUTOFF = 80  # how close a transliterated word must be to a content word
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
_SENTENCE_END = re.compile(r"[.!?؟;\n]+")


class Decision(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    NOT_SURE = "not_sure"
    SMALLTALK = "smalltalk"
    CRISIS = "crisis"  # someone may be in danger: the engine shows crisis help at once
    EMPTY = "empty"


@dataclass(frozen=True)
class Query:
    text: str
    tokens: list[str]
    features: dict[str, float]
    detection: Detection
    segments: list[dict[str, float]] = field(default_factory=list)
    memo: dict[int, np.ndarray] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Candidate:
    topic_id: str
    score: float
    doc_id: int


class Scorer(Protocol):
    name: str
    weight: float

    def score(self, query: Query, pool: Sequence[int] | None) -> list[Candidate]:
        """Scores in [0, 1] for topics; ``pool`` narrows the documents to look at."""
        ...


@dataclass(frozen=True)
class MatchResult:
    decision: Decision
    topic_id: str | None
    alternatives: list[str]
    confidence: float
    detected_lang: Lang | None
    smalltalk: str | None = None
    ranked: list[tuple[str, float]] = field(default_factory=list)
    best_doc_lang: Lang | None = None
    evidence: dict[str, float] = field(default_factory=dict)
    foreign: bool = False  # written in a language the bot has no answers in
    foreign_lang: str | None = None  # ... and which, when it is recognised ("ku", "ps")


class LexicalScorer:
    """tf-idf cosine over words, prefixes and character n-grams, best document per topic."""

    name = "lexical"

    def __init__(self, index: SearchIndex, weight: float = 0.78,
                 unknown_weight: float = 1.0) -> None:
        self.index = index
        self.weight = weight
        self.unknown_weight = unknown_weight

    def doc_scores(self, query: Query) -> np.ndarray:
        """Computed once per query and index, however many times it is asked for."""
        key = id(self.index)
        if key not in query.memo:
            query.memo[key] = self.index.cosine(query.features, self.unknown_weight)
        return query.memo[key]

    def score(self, query: Query, pool: Sequence[int] | None) -> list[Candidate]:
        scores = self.doc_scores(query)
        if pool is not None:
            mask = np.zeros_like(scores, dtype=bool)
            mask[list(pool)] = True
            scores = np.where(mask, scores, 0.0)
        per_topic = self.index.best_per_topic(scores)
        top = [int(t) for t in np.argsort(-per_topic)[:TOP_TOPICS] if per_topic[t] > 0]
        # The best document of each of those topics, from its own slice only (topics are
        # contiguous): no pass over all documents, however large the content grows.
        starts, n = self.index.topic_starts, len(scores)
        out = []
        for t in top:
            start, end = int(starts[t]), int(starts[t + 1]) if t + 1 < len(starts) else n
            out.append(self._candidate(t, scores[start:end], start))
        return out

    def _candidate(self, topic: int, scores: np.ndarray, start: int) -> Candidate:
        """A topic scores as its best document (``scores``: its documents' scores)."""
        best = int(np.argmax(scores))
        return Candidate(self.index.topic_ids[topic], float(scores[best]), start + best)


class ProfileScorer(LexicalScorer):
    """The same cosine, against each topic's profile (all its texts in one language).

    A long message ("we came from Kharkiv in May, my daughter is 4, ... how do I find a
    Kita?") is also scored sentence by sentence, and each profile keeps its best."""

    name = "profile"

    def doc_scores(self, query: Query) -> np.ndarray:
        key = id(self.index)
        if key not in query.memo:
            scores = self.index.cosine(query.features, self.unknown_weight)
            for segment in query.segments:
                scores = np.maximum(scores, SEGMENT_DISCOUNT * self.index.cosine(
                    segment, self.unknown_weight))
            query.memo[key] = scores
        return query.memo[key]

    def _candidate(self, topic: int, scores: np.ndarray, start: int) -> Candidate:
        """Best profile per topic, plus part of its second-best: a mixed-language
        question ("Integrationskurs ввечері") that matches a topic in two languages has
        more evidence for it than one that matches a single profile as well."""
        best = int(np.argmax(scores))
        second = float(np.partition(scores, -2)[-2]) if len(scores) > 1 else 0.0
        return Candidate(self.index.topic_ids[topic],
                         min(1.0, float(scores[best]) + SECOND_LANGUAGE * second), start + best)


class FuzzyScorer:
    """rapidfuzz similarity of the whole question with the closest documents: rewards
    wording that matches as a phrase, and tolerates typos the lexical features miss."""

    name = "fuzzy"

    def __init__(self, index: SearchIndex, weight: float = 0.22) -> None:
        self.index = index
        self.weight = weight

    def score(self, query: Query, pool: Sequence[int] | None) -> list[Candidate]:
        ids = list(range(len(self.index.docs)) if pool is None else pool)
        text = " ".join(query.tokens)
        choices = [self.index.docs[i].folded for i in ids]
        best: dict[str, Candidate] = {}
        for _, score, pos in process.extract(text, choices, scorer=fuzz.token_sort_ratio,
                                             limit=None):
            doc = self.index.docs[ids[pos]]
            if doc.topic_id not in best:  # results come best first
                best[doc.topic_id] = Candidate(doc.topic_id, score / 100.0, ids[pos])
        return list(best.values())


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best positive scores (any order). Selecting among the scores
    near the maximum first is several times cheaper than a partition of all of them."""
    if len(scores) == 0 or k <= 0:
        return np.array([], dtype=np.int64)
    best = float(scores.max())
    if best <= 0:
        return np.array([], dtype=np.int64)
    for fraction in (0.5, 0.25, 0.0):
        idx = np.flatnonzero(scores > best * fraction)
        if len(idx) >= k:
            break
    if len(idx) > k:
        idx = idx[np.argpartition(-scores[idx], k - 1)[:k]]
    return idx


def stem_languages(text: str, detection: Detection) -> tuple[str, ...]:
    """Stem a question in its detected language (plus German, for the loanwords); when
    the language is unclear, in the likely languages of its script."""
    if detection.lang is not None:
        return tuple(dict.fromkeys((detection.lang, Lang.DE)))
    if detection.other in STEMMED:  # French, Spanish, Italian: glossary languages
        return (detection.other, Lang.DE)
    if any("\u0600" <= ch <= "\u06ff" for ch in text):
        return (Lang.AR, Lang.FA)
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return (Lang.RU,)
    return (Lang.DE, Lang.EN)


class Matcher:
    """Built once from the content library; ``match`` is pure and thread-safe."""

    def __init__(self, library: ContentLibrary,
                 langid: LanguageIdentifier | None = None,
                 calibration: Calibration | None = None,
                 cache_dir: Path | None = None) -> None:
        self.calibration = calibration or Calibration.load()
        set_stop_words(frozenset(
            [t for topic in library.topics.values() for tr in topic.translations.values()
             for k in tr.keywords for t in tokenize(k)]
            + [t for intent in library.smalltalk for phrases in intent.phrases.values()
               for p in phrases for t in tokenize(p)]))
        key = index_cache.cache_key(library) if cache_dir else ""
        cached = index_cache.load(cache_dir, key) if cache_dir else None
        if cached is not None:
            docs, rows = cached
        else:
            docs = documents_from(library)
            rows = SparseRows.from_documents(docs)
            if cache_dir:
                index_cache.save(cache_dir, key, docs, rows)
        self.index, self.profile_index = build_indexes(docs, rows)
        self._profile_words = [frozenset(d.folded.split()) for d in self.profile_index.docs]
        german_terms = {
            fold(k) for t in library.topics.values() if Lang.DE in t.translations
            for k in (*t.translations[Lang.DE].keywords,) if " " not in k
        }
        vocabularies: dict[Lang, set[str]] = {}
        foreign: dict[str, set[str]] = {}
        for doc in docs:
            if doc.lang is not None:
                vocabularies.setdefault(doc.lang, set()).update(doc.folded.split())
            else:
                foreign.setdefault(doc.variety, set()).update(doc.folded.split())
        # A glossary word that is also an answer language's word says nothing.
        every = set().union(*vocabularies.values()) if vocabularies else set()
        self.langid = langid or LanguageIdentifier(
            loanwords=frozenset(german_terms),
            vocabularies={lang: frozenset(v) for lang, v in vocabularies.items()},
            foreign={code: frozenset(v - every) for code, v in foreign.items()})
        self.lexical = LexicalScorer(self.index, weight=LEXICAL_WEIGHT,
                                     unknown_weight=UNKNOWN_WEIGHT)
        self.profile = ProfileScorer(self.profile_index, weight=PROFILE_WEIGHT,
                                     unknown_weight=UNKNOWN_WEIGHT)
        self.fuzzy = FuzzyScorer(self.index, weight=FUZZY_WEIGHT)

    def build_query(self, text: str) -> Query:
        tokens = tokenize(text)
        corrected = list(tokens)
        for tok in tokens:
            if len(tok) >= TYPO_MIN_LENGTH and not tok.isdigit() and not self.index.knows(tok):
                hit = process.extractOne(tok, self.index.similar_words(tok),
                                         scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
                if hit:
                    corrected.append(hit[0])
        detection = self.langid.detect(text)
        if detection.lang is Lang.AR and not _ARABIC_LETTER.search(text):
            corrected.extend(self._from_arabizi(tokens))
        langs = stem_languages(text, detection)
        segments = []
        sentences = [tokenize(s) for s in _SENTENCE_END.split(text)]
        sentences = [s for s in sentences if len(s) >= 3]
        if len(sentences) >= 2:
            segments = [dict(features(s, langs)) for s in sentences]
        return Query(text=text, tokens=corrected, features=dict(features(corrected, langs)),
                     detection=detection, segments=segments)

    def _from_arabizi(self, tokens: list[str]) -> list[str]:
        """Arabic words the content knows, for Arabic typed in Latin letters and digits."""
        found: list[str] = []
        for spellings in arabizi.transliterate(tokens):
            known = next((s for s in spellings if self.index.knows(s)), None)
            if known is None:
                hits = [process.extractOne(s, self.index.similar_words(s), scorer=fuzz.ratio,
                                           score_cutoff=ARABIZI_CUTOFF) for s in spellings]
                best = max((h for h in hits if h), key=lambda h: h[1], default=None)
                known = best[0] if best else None
            if known is not None:
                found.append(known)
        return found

    def match(self, text: str) -> MatchResult:
        text = (text or "").strip()
        if not any(ch.isalnum() for ch in text):
            return MatchResult(Decision.EMPTY, None, [], 0.0, None)
        query = self.build_query(text)
        doc_scores = self.lexical.doc_scores(query)
        pool = [int(i) for i in top_k(doc_scores, POOL_DOCS)]
        per_scorer: dict[str, dict[str, Candidate]] = {}
        combined: dict[str, float] = {}
        for scorer in (self.lexical, self.profile, self.fuzzy):
            found = scorer.score(query, pool if scorer is self.fuzzy else None)
            per_scorer[scorer.name] = {c.topic_id: c for c in found}
            for cand in found:
                combined[cand.topic_id] = combined.get(cand.topic_id, 0.0) + (
                    scorer.weight * cand.score)
        ranked = sorted(combined.items(), key=lambda kv: -kv[1])
        result = self._decide(query, ranked, per_scorer)
        if not query.detection.supported:
            result = replace(result, foreign=True, foreign_lang=query.detection.other)
        return result

    def evidence(self, query: Query, topic_id: str, ranked: list[tuple[str, float]],
                 per_scorer: dict[str, dict[str, Candidate]]) -> dict[str, float]:
        """What the calibrated confidence is computed from (see calibration.py)."""
        scores = dict(ranked)
        topic_scores = [s for t, s in ranked if t != topic_id]
        profile = per_scorer["profile"].get(topic_id)
        words = self._profile_words[profile.doc_id] if profile else frozenset()
        original = [t for t in tokenize(query.text) if len(t) >= 2]
        idf = self.index.idf
        weights = []
        for tok in original:
            fid = self.index.feature_ids.get("w:" + tok)
            weights.append((float(idf[fid]) if fid is not None else self.index.unknown_idf,
                            tok in words))
        total = sum(w for w, _ in weights) or 1.0
        return {
            "score": scores.get(topic_id, 0.0),
            "margin": scores.get(topic_id, 0.0) - (topic_scores[0] if topic_scores else 0.0),
            "lexical": per_scorer["lexical"].get(topic_id, Candidate("", 0.0, 0)).score,
            "profile": profile.score if profile else 0.0,
            "fuzzy": per_scorer["fuzzy"].get(topic_id, Candidate("", 0.0, 0)).score,
            "known": (sum(self.index.knows(t) for t in original) / len(original)
                      if original else 0.0),
            "coverage": sum(w for w, hit in weights if hit) / total,
            "length": math.log1p(len(original)),
            # How close the message is to greetings, thanks or off-topic requests.
            "smalltalk": max((s for t, s in ranked if t.startswith(SMALLTALK_PREFIX)),
                             default=0.0),
            "same_language": float(profile is not None and query.detection.lang is not None
                                   and self.profile_index.docs[profile.doc_id].lang
                                   is query.detection.lang),
        }

    def _decide(self, query: Query, ranked: list[tuple[str, float]],
                per_scorer: dict[str, dict[str, Candidate]]) -> MatchResult:
        detected = query.detection.lang
        if not ranked:
            return MatchResult(Decision.NOT_SURE, None, [], 0.0, detected)
        topics = [(t, s) for t, s in ranked if not t.startswith(SMALLTALK_PREFIX)]
        top_id, top_score = ranked[0]
        doc_lang = self._doc_lang(top_id, per_scorer)
        best_topic_score = topics[0][1] if topics else 0.0
        crisis = dict(ranked).get(CRISIS_INTENT, 0.0)
        if crisis >= CRISIS_MIN and crisis >= best_topic_score - CRISIS_MARGIN:
            # Safety first: a possible crisis is never answered with "not sure" or with an
            # unrelated topic, even when a topic scores a little higher.
            return MatchResult(Decision.CRISIS, None, [t for t, _ in topics[:3]],
                               round(crisis, 3), detected, smalltalk="crisis",
                               ranked=ranked[:5], best_doc_lang=doc_lang)
        said = self._small_talk_phrase(per_scorer)
        if said is None and (top_id.startswith(SMALLTALK_PREFIX) and top_score >= SMALLTALK_MIN
                             and top_score - best_topic_score >= SMALLTALK_MARGIN):
            said = top_id
        if said is not None:
            return MatchResult(Decision.SMALLTALK, None, [], round(top_score, 3), detected,
                               smalltalk=said.removeprefix(SMALLTALK_PREFIX),
                               ranked=ranked[:5], best_doc_lang=doc_lang)
        if not topics:
            return MatchResult(Decision.NOT_SURE, None, [], 0.0, detected)
        best_id, _ = topics[0]
        doc_lang = self._doc_lang(best_id, per_scorer)
        evidence = self.evidence(query, best_id, ranked, per_scorer)
        confidence = self.calibration.confidence(evidence)
        others = [t for t, _ in topics[1:4]]
        if confidence < self.calibration.answer_threshold:
            return MatchResult(Decision.NOT_SURE, None, [t for t, _ in topics[:3]],
                               round(confidence, 3), detected, ranked=topics[:5],
                               best_doc_lang=doc_lang, evidence=evidence)
        decision = Decision.ANSWER
        if len(topics) > 1 and evidence["margin"] < CLARIFY_MARGIN:
            decision = Decision.CLARIFY
        return MatchResult(decision, best_id, others, round(confidence, 3), detected,
                           ranked=topics[:5], best_doc_lang=doc_lang, evidence=evidence)

    @staticmethod
    def _small_talk_phrase(per_scorer: dict[str, dict[str, Candidate]]) -> str | None:
        """The message *is* one of the small-talk phrases ("tell me a joke"), nearly word
        for word, and no topic's example comes close: small talk, however the profiles
        score. (Crisis phrases are never decided here: see the safety net above.)"""
        lexical, fuzzy = per_scorer["lexical"], per_scorer["fuzzy"]
        best_topic = max((c.score for t, c in lexical.items()
                          if not t.startswith(SMALLTALK_PREFIX)), default=0.0)
        for topic_id, cand in lexical.items():
            if (topic_id.startswith(SMALLTALK_PREFIX) and topic_id != CRISIS_INTENT
                    and cand.score >= PHRASE_MATCH
                    and fuzzy.get(topic_id, Candidate("", 0.0, 0)).score >= PHRASE_FUZZY
                    and cand.score - best_topic >= PHRASE_MARGIN):
                return topic_id
        return None

    def _doc_lang(self, topic_id: str, per_scorer: dict[str, dict[str, Candidate]]
                  ) -> Lang | None:
        cand = per_scorer["lexical"].get(topic_id)
        return self.index.docs[cand.doc_id].lang if cand else None
