"""The searchable form of the content: one document per title, example question, keyword
and small-talk phrase, in every language, as sparse tf-idf vectors in posting arrays.

Inverse document frequency counts *topics*, not documents: a word used in every topic's
questions ("how", "ich", "можно") carries no weight in any language, which replaces
hand-kept stop-word lists for nine languages.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bot.content.model import ContentLibrary
from bot.languages import Lang
from bot.matching.features import features
from bot.matching.normalize import tokenize

SMALLTALK_PREFIX = "smalltalk/"


class DocKind(StrEnum):
    TITLE = "title"
    QUESTION = "question"
    KEYWORD = "keyword"
    SMALLTALK = "smalltalk"
    PROFILE = "profile"  # all texts of one topic in one language, for the profile scorer


@dataclass(frozen=True)
class Document:
    topic_id: str
    lang: Lang
    kind: DocKind
    text: str
    folded: str


class SearchIndex:
    """Immutable after construction; safe to share between threads and handlers."""

    def __init__(self, docs: list[Document]) -> None:
        docs = sorted(docs, key=lambda d: d.topic_id)  # topics contiguous for reduceat
        self.docs = docs
        self.topic_ids: list[str] = []
        starts: list[int] = []
        for i, doc in enumerate(docs):
            if not self.topic_ids or self.topic_ids[-1] != doc.topic_id:
                self.topic_ids.append(doc.topic_id)
                starts.append(i)
        self.topic_starts = np.array(starts, dtype=np.int64)
        self.doc_topic = np.repeat(np.arange(len(starts)), np.diff([*starts, len(docs)]))

        doc_feats = [features(d.folded.split(), (d.lang,)) for d in docs]
        topics_with: dict[str, set[int]] = defaultdict(set)
        for feats, topic_idx in zip(doc_feats, self.doc_topic, strict=True):
            for f in feats:
                topics_with[f].add(int(topic_idx))
        n_topics = max(len(self.topic_ids), 1)
        self.idf = {f: math.log(1 + n_topics / len(t)) for f, t in topics_with.items()}
        self.unknown_idf = math.log(1 + n_topics)

        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc_id, feats in enumerate(doc_feats):
            vec = {f: (1 + math.log(w) if w > 1 else w) * self.idf[f] for f, w in feats.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for f, v in vec.items():
                postings[f].append((doc_id, v / norm))
        self._post_ids: dict[str, np.ndarray] = {}
        self._post_w: dict[str, np.ndarray] = {}
        for f, plist in postings.items():
            self._post_ids[f] = np.fromiter((p[0] for p in plist), dtype=np.int32,
                                            count=len(plist))
            self._post_w[f] = np.fromiter((p[1] for p in plist), dtype=np.float32,
                                          count=len(plist))
        self.vocabulary = sorted({t for d in docs for t in d.folded.split() if len(t) >= 4})
        self._vocab_set = frozenset(t for d in docs for t in d.folded.split())

    def knows(self, token: str) -> bool:
        return token in self._vocab_set

    def cosine(self, query_features: dict[str, float]) -> np.ndarray:
        """Cosine similarity of the query with every document (unknown features count
        against the query, so a question about something else scores low everywhere)."""
        vec = {f: (1 + math.log(w) if w > 1 else w) * self.idf.get(f, self.unknown_idf)
               for f, w in query_features.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        ids, weights = [], []
        for f, v in vec.items():
            if f in self._post_ids:
                ids.append(self._post_ids[f])
                weights.append(self._post_w[f] * (v / norm))
        if not ids:
            return np.zeros(len(self.docs), dtype=np.float64)
        return np.bincount(np.concatenate(ids), weights=np.concatenate(weights),
                           minlength=len(self.docs))

    def best_per_topic(self, doc_scores: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(doc_scores, self.topic_starts)


def documents_from(library: ContentLibrary) -> list[Document]:
    """Every published title, question and keyword, plus small-talk phrases."""
    docs: list[Document] = []

    def add(topic_id: str, lang: Lang, kind: DocKind, text: str) -> None:
        folded = " ".join(tokenize(text))
        if folded:
            docs.append(Document(topic_id, lang, kind, text, folded))

    for topic in library.topics.values():
        for lang, tr in topic.published().items():
            add(topic.id, lang, DocKind.TITLE, tr.title)
            for q in tr.questions:
                add(topic.id, lang, DocKind.QUESTION, q)
            for k in tr.keywords:
                add(topic.id, lang, DocKind.KEYWORD, k)
    for intent in library.smalltalk:
        for lang, phrases in intent.phrases.items():
            for phrase in phrases:
                add(SMALLTALK_PREFIX + intent.name, lang, DocKind.SMALLTALK, phrase)
    return docs


def profiles_from(docs: list[Document]) -> list[Document]:
    """One document per topic and language joining its title, questions and keywords:
    matches questions that share words with several of a topic's examples at once."""
    grouped: dict[tuple[str, Lang], list[str]] = defaultdict(list)
    for doc in docs:
        grouped[(doc.topic_id, doc.lang)].append(doc.folded)
    return [Document(topic_id, lang, DocKind.PROFILE, "", " ".join(parts))
            for (topic_id, lang), parts in grouped.items()]
