"""The searchable form of the content: one document per title, example question, keyword
and small-talk phrase, in every language, as sparse tf-idf vectors in CSR posting arrays.

Inverse document frequency counts *topics*, not documents: a word used in every topic's
questions ("how", "ich", "можно") carries no weight in any language, which replaces
hand-kept stop-word lists for nine languages.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import repeat

import numpy as np

from bot.content.model import ContentLibrary
from bot.languages import Lang
from bot.matching.features import STEMMED, stop_words_for, token_features
from bot.matching.normalize import tokenize

SMALLTALK_PREFIX = "smalltalk/"
BUILD_CHUNK = 2000  # documents per step when building feature rows


class DocKind(StrEnum):
    TITLE = "title"
    QUESTION = "question"
    KEYWORD = "keyword"
    SMALLTALK = "smalltalk"
    GLOSSARY = "glossary"  # a phrase in a language without answers (content/_glossary)
    PROFILE = "profile"  # all texts of one topic in one language, for the profile scorer


@dataclass(frozen=True)
class Document:
    topic_id: str
    lang: Lang | None  # None: a glossary phrase, in the language ``variety`` names
    kind: DocKind
    text: str
    folded: str
    variety: str = ""

    @property
    def code(self) -> str:
        """The language code, for answer languages and glossary languages alike."""
        return self.lang.value if self.lang is not None else self.variety


@dataclass(frozen=True)
class SparseRows:
    """Documents x features as COO triplets: feature ids, document ids, raw weights."""

    feature_ids: dict[str, int]
    features: np.ndarray
    docs: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_documents(cls, docs: Sequence[Document]) -> SparseRows:
        """Like ``features`` for every document, but without a Counter per document:
        each distinct word's features are resolved to ids once, repeats summed in numpy."""
        ids: dict[str, int] = {}
        resolved: dict[tuple[str, str], tuple[array, array]] = {}
        f_col, d_col, w_col = array("i"), array("i"), array("d")
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

        def flush() -> None:
            """Sum repeats in the documents so far: in chunks, so that the temporary
            arrays stay small (peak memory) however large the content grows."""
            if not f_col:
                return
            f = np.frombuffer(f_col, dtype=np.int32).astype(np.int64)
            d = np.frombuffer(d_col, dtype=np.int32).astype(np.int64)
            n_features = max(len(ids), 1)
            unique, inverse = np.unique(d * n_features + f, return_inverse=True)
            parts.append(((unique % n_features).astype(np.int32),
                          (unique // n_features).astype(np.int32),
                          np.bincount(inverse, weights=np.frombuffer(w_col, dtype=np.float64))))
            del f_col[:], d_col[:], w_col[:]

        for doc_id, doc in enumerate(docs):
            if doc_id and doc_id % BUILD_CHUNK == 0:
                flush()
            # Glossary languages: stemmed where Snowball has them (fr, es, it), else words
            # and n-grams only.
            langs: tuple[str, ...] = ((doc.lang,) if doc.lang is not None else
                                      (doc.variety,) if doc.variety in STEMMED else ())
            stops = stop_words_for(langs)
            for tok in doc.folded.split():
                if tok in stops:
                    continue
                entry = resolved.get((tok, doc.code))
                if entry is None:
                    # Uncached: the index's words need not crowd out the questions' words
                    # in the features cache (and its memory) once the index is built.
                    feats = token_features.__wrapped__(tok, langs)
                    entry = (array("i", [ids.setdefault(n, len(ids)) for n, _ in feats]),
                             array("d", [w for _, w in feats]))
                    resolved[(tok, doc.code)] = entry
                f_col.extend(entry[0])
                w_col.extend(entry[1])
                d_col.extend(repeat(doc_id, len(entry[0])))
        flush()
        if not parts:
            empty = np.array([], dtype=np.int32)
            return cls(ids, empty, empty, np.array([], dtype=np.float64))
        return cls(ids, *(np.concatenate(column) for column in zip(*parts, strict=True)))

    def grouped(self, group_of_doc: np.ndarray) -> SparseRows:
        """Rows summed by group (documents -> topic profiles), without leaving numpy."""
        n_features = max(len(self.feature_ids), 1)
        key = group_of_doc[self.docs].astype(np.int64) * n_features + self.features
        unique, inverse = np.unique(key, return_inverse=True)
        return SparseRows(self.feature_ids, (unique % n_features).astype(np.int32),
                          (unique // n_features).astype(np.int32),
                          np.bincount(inverse, weights=self.weights))


class SearchIndex:
    """Immutable after construction; safe to share between threads and handlers."""

    def __init__(self, docs: Sequence[Document], rows: SparseRows | None = None,
                 typo_vocabulary: bool = True) -> None:
        if rows is None:
            rows = SparseRows.from_documents(docs)
        order = sorted(range(len(docs)), key=lambda i: docs[i].topic_id)
        self.docs = [docs[i] for i in order]  # topics contiguous for reduceat
        rank = np.empty(len(docs), dtype=np.int32)
        rank[order] = np.arange(len(docs), dtype=np.int32)
        self.topic_ids: list[str] = []
        starts: list[int] = []
        for i, doc in enumerate(self.docs):
            if not self.topic_ids or self.topic_ids[-1] != doc.topic_id:
                self.topic_ids.append(doc.topic_id)
                starts.append(i)
        n_docs = len(self.docs)
        self.topic_starts = np.array(starts, dtype=np.int64)
        self.doc_topic = np.repeat(np.arange(len(starts), dtype=np.int32),
                                   np.diff([*starts, n_docs]))

        self.feature_ids = rows.feature_ids
        f, d, w = rows.features, rank[rows.docs], rows.weights
        n_features = len(self.feature_ids)
        n_topics = max(len(self.topic_ids), 1)
        pairs = np.unique(f.astype(np.int64) * n_topics + self.doc_topic[d])
        topics_per_feature = np.bincount(pairs // n_topics, minlength=n_features)
        self.idf = np.log1p(n_topics / np.maximum(topics_per_feature, 1))
        self.unknown_idf = float(np.log1p(n_topics))
        tfidf = np.where(w > 1, 1 + np.log(np.maximum(w, 1e-9)), w) * self.idf[f]
        norms = np.sqrt(np.bincount(d, weights=tfidf * tfidf, minlength=n_docs))
        tfidf /= np.maximum(norms[d], 1e-12)
        by_feature = np.argsort(f, kind="stable")
        self._post_docs = d[by_feature].copy()
        self._post_w = tfidf[by_feature].astype(np.float32)
        self._indptr = np.concatenate(([0], np.cumsum(np.bincount(f, minlength=n_features))))

        # The vocabulary for typo correction and "known word" checks; the profile index
        # (same words, joined) does not need its own.
        vocab = {t for doc in self.docs for t in doc.folded.split()} if typo_vocabulary else set()
        self._vocab_set = frozenset(vocab)
        # Typo correction only compares words of similar length with the same first letter.
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in sorted(vocab):  # sorted: ties resolve the same way in every process
            if len(word) >= 4:
                buckets[(word[0], len(word))].append(word)
        self._typo_buckets = dict(buckets)

    def knows(self, token: str) -> bool:
        return token in self._vocab_set

    def similar_words(self, token: str) -> list[str]:
        """Vocabulary words that could be ``token`` with a typo (same first letter)."""
        lo, hi = int(len(token) * 0.75), int(len(token) * 1.3) + 1
        out: list[str] = []
        for length in range(max(lo, 4), hi + 1):
            out.extend(self._typo_buckets.get((token[0], length), ()))
        return out

    def cosine(self, query_features: dict[str, float],
               unknown_weight: float = 1.0) -> np.ndarray:
        """Cosine similarity of the query with every document. Features the content never
        uses count against the query with ``unknown_weight``, so a question about something
        else scores low everywhere. Vectorised: one gather over all posting lists."""
        n = len(query_features)
        raw = np.fromiter(query_features.values(), dtype=np.float64, count=n)
        fids = np.fromiter((self.feature_ids.get(name, -1) for name in query_features),
                           dtype=np.int64, count=n)
        known = fids >= 0
        tf = np.where(raw > 1, 1 + np.log(np.maximum(raw, 1.0)), raw)
        values = tf * np.where(known, self.idf[np.where(known, fids, 0)], self.unknown_idf)
        norm = np.sqrt((values[known] ** 2).sum() + unknown_weight * (values[~known] ** 2).sum())
        kf = fids[known]
        starts = self._indptr[kf]
        lengths = self._indptr[kf + 1] - starts
        total = int(lengths.sum())
        if total == 0 or norm == 0:
            return np.zeros(len(self.docs), dtype=np.float64)
        # Contiguous slices of the posting arrays (cheaper than a fancy-index gather when
        # posting lists are long, as with 100x the content).
        ends = starts + lengths
        docs = np.concatenate([self._post_docs[a:b] for a, b in zip(starts.tolist(),
                                                                     ends.tolist(),
                                                                     strict=True)])
        weights = np.concatenate([self._post_w[a:b] for a, b in zip(starts.tolist(),
                                                                    ends.tolist(),
                                                                    strict=True)])
        weights = weights * np.repeat((values[known] / norm).astype(np.float32), lengths)
        return np.bincount(docs, weights=weights, minlength=len(self.docs))

    def best_per_topic(self, doc_scores: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(doc_scores, self.topic_starts)


def documents_from(library: ContentLibrary) -> list[Document]:
    """Every published title, question and keyword, plus small-talk and glossary phrases."""
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
    for glossary in library.glossaries:
        groups = [(t, phrases) for t, phrases in glossary.entries.items()
                  if t in library.topics]
        groups += [(SMALLTALK_PREFIX + intent, phrases)
                   for intent, phrases in glossary.smalltalk.items()]
        for topic_id, phrases in groups:
            for phrase in phrases:
                folded = " ".join(tokenize(phrase))
                if folded:
                    docs.append(Document(topic_id, None, DocKind.GLOSSARY, phrase, folded,
                                         variety=glossary.code))
    return docs


def build_indexes(docs: list[Document], rows: SparseRows | None = None
                  ) -> tuple[SearchIndex, SearchIndex]:
    """The document index and the profile index (one document per topic and language,
    joining its texts: matches questions that share words with several examples)."""
    rows = rows if rows is not None else SparseRows.from_documents(docs)
    profile_of: dict[tuple[str, str], int] = {}
    members: list[list[str]] = []
    lang_of: dict[str, Lang | None] = {}
    group = np.empty(len(docs), dtype=np.int32)
    for i, doc in enumerate(docs):
        key = (doc.topic_id, doc.code)
        lang_of[doc.code] = doc.lang
        if key not in profile_of:
            profile_of[key] = len(members)
            members.append([])
        group[i] = profile_of[key]
        members[group[i]].append(doc.folded)
    profiles = [Document(topic_id, lang_of[code], DocKind.PROFILE, "", " ".join(members[pid]),
                         variety=code)
                for (topic_id, code), pid in profile_of.items()]
    return (SearchIndex(docs, rows),
            SearchIndex(profiles, rows.grouped(group), typo_vocabulary=False))
