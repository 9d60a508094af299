"""The index cache makes restarts fast without ever changing an answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.matching import cache as index_cache
from bot.matching.matcher import Matcher

QUESTIONS = ["Wo gibt es Deutschkurse?", "how do I renew my residence permit",
             "Як записатися на Integrationskurs?", "hello", "wie repariere ich mein Fahrrad",
             "ez penaber im, dikarim bixebitim?"]  # Kurdish: glossary documents


def test_cached_index_gives_the_same_answers(library, matcher: Matcher, tmp_path: Path) -> None:
    first = Matcher(library, langid=matcher.langid, cache_dir=tmp_path)  # builds and saves
    assert list(tmp_path.glob("index-*.npz"))
    second = Matcher(library, langid=matcher.langid, cache_dir=tmp_path)  # loads
    assert [d.code for d in second.index.docs] == [d.code for d in first.index.docs]
    for text in QUESTIONS:
        expected = matcher.match(text)
        for m in (first, second):
            got = m.match(text)
            assert (got.decision, got.topic_id, got.confidence) == (
                expected.decision, expected.topic_id, expected.confidence), text


def test_changed_content_or_broken_files_rebuild(library, matcher: Matcher,
                                                 tmp_path: Path) -> None:
    Matcher(library, langid=matcher.langid, cache_dir=tmp_path)
    key = index_cache.cache_key(library)
    topic = library.topics["kita-schule/kita"]
    de = topic.translations["de"]
    changed = replace(library, topics={**library.topics, topic.id: replace(
        topic, translations={**topic.translations,
                             "de": replace(de, questions=(*de.questions, "Kitaplatz?"))})})
    assert index_cache.cache_key(changed) != key
    (tmp_path / f"index-{key}.json").write_text("{broken", encoding="utf-8")
    assert index_cache.load(tmp_path, key) is None  # ignored, not a crash
    rebuilt = Matcher(library, langid=matcher.langid, cache_dir=tmp_path)
    assert rebuilt.match(QUESTIONS[0]).topic_id == matcher.match(QUESTIONS[0]).topic_id
