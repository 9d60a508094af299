"""The loader is what staff meet when they make a mistake: every problem, located."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.content.coverage import REQUIRED_TOPICS
from bot.content.loader import load_content
from bot.errors import ContentError
from bot.languages import Lang

GOOD_MD = """---
title: Testthema
status: published
questions: [eins, zwei, drei, vier, fünf, sechs, sieben, acht]
keywords: [test]
---
Ein **Text** mit [Quelle](https://example.org/a).
"""


def _make_tree(root: Path) -> Path:
    content = root / "content"
    (content / "_contacts").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "content" / "sprache" / "_field.yaml", root / "field.yaml")
    topic = content / "sprache" / "test"
    topic.mkdir(parents=True)
    shutil.copy(root / "field.yaml", content / "sprache" / "_field.yaml")
    (topic / "topic.yaml").write_text(
        "reviewed: 2026-11-25\nsources:\n  - url: https://example.org/a\n    title: A\n",
        encoding="utf-8")
    (topic / "de.md").write_text(GOOD_MD, encoding="utf-8")
    return content


def test_real_content_is_valid_and_complete_in_german_and_english(library) -> None:
    assert set(REQUIRED_TOPICS) <= set(library.topics)
    for topic_id in REQUIRED_TOPICS:
        published = library.topics[topic_id].published()
        assert Lang.DE in published and Lang.EN in published, topic_id
        assert library.topics[topic_id].sources, topic_id


def test_minimal_valid_tree_loads(tmp_path: Path) -> None:
    lib = load_content(_make_tree(tmp_path))
    assert lib.topics["sprache/test"].translations[Lang.DE].title == "Testthema"


def test_all_problems_reported_at_once_with_file_field_and_language(tmp_path: Path) -> None:
    content = _make_tree(tmp_path)
    topic = content / "sprache" / "test"
    (topic / "topic.yaml").write_text(
        "reviewed: someday\nsources: []\ncontacts: [nobody]\nrelated: [sprache/nope]\n",
        encoding="utf-8")
    (topic / "en.md").write_text("---\ntitle: ''\nquestions: [one]\nkeyword: [x]\n---\n\n",
                                 encoding="utf-8")
    (topic / "xx.md").write_text(GOOD_MD, encoding="utf-8")
    (content / "_contacts" / "office.yaml").write_text(
        "name: Amt\nphone: '0631 123'\nserves: [landkreis]\nreviewed: 2026-01-01\n",
        encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content(content)
    text = str(err.value)
    problems = err.value.problems
    assert any(p.field == "reviewed" and "topic.yaml" in p.file for p in problems)
    assert any(p.field == "sources" for p in problems)
    assert any(p.field == "contacts" and "nobody" in p.message for p in problems)
    assert any(p.field == "related" and "sprache/nope" in p.message for p in problems)
    assert any(p.field == "title" and p.lang == "en" for p in problems)
    assert any(p.field == "questions" and p.lang == "en" for p in problems)
    assert any(p.field == "keyword" and "unknown key" in p.message for p in problems)
    assert any("xx.md" in p.file for p in problems)
    assert any(p.field == "source" and "office.yaml" in p.file for p in problems)
    assert "en.md [en] title" in text.replace("\\", "/")


def test_links_in_answers_must_be_sourced(tmp_path: Path) -> None:
    content = _make_tree(tmp_path)
    (content / "sprache" / "test" / "de.md").write_text(
        GOOD_MD.replace("https://example.org/a", "https://elsewhere.example/x"),
        encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content(content)
    assert any("elsewhere.example" in p.message and p.lang == "de"
               for p in err.value.problems)


def test_broken_yaml_is_located(tmp_path: Path) -> None:
    content = _make_tree(tmp_path)
    (content / "sprache" / "test" / "de.md").write_text(
        "---\ntitle: [unclosed\n---\nText\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content(content)
    assert any(p.lang == "de" and "YAML" in p.message for p in err.value.problems)


def test_draft_translation_is_not_published(tmp_path: Path) -> None:
    content = _make_tree(tmp_path)
    (content / "sprache" / "test" / "en.md").write_text(
        GOOD_MD.replace("published", "draft").replace("Testthema", "Test topic"),
        encoding="utf-8")
    topic = load_content(content).topics["sprache/test"]
    assert Lang.EN not in topic.published()
    assert topic.best_translation(Lang.EN).lang is Lang.DE


def test_glossary_of_a_language_without_answers_loads(tmp_path: Path) -> None:
    content = _make_tree(tmp_path)
    (content / "_glossary").mkdir()
    (content / "_glossary" / "ku.yaml").write_text(
        'language: ku\nname: "Kurdî (Kurmancî)"\nreviewed: 2026-11-25\n'
        "topics:\n  sprache/test:\n    - kursa zimên\n    - kursa zimên\n", encoding="utf-8")
    lib = load_content(content)
    (glossary,) = lib.glossaries
    assert glossary.code == "ku" and glossary.name == "Kurdî (Kurmancî)"
    assert glossary.entries == {"sprache/test": ("kursa zimên",)}  # duplicates dropped


def test_glossary_problems_are_all_reported(tmp_path: Path) -> None:
    content = _make_tree(tmp_path)
    folder = content / "_glossary"
    folder.mkdir()
    (folder / "ps.yaml").write_text(
        "language: pa\nreviewed: soon\ntopics:\n  sprache/nope: [x]\n  sprache/test: []\n",
        encoding="utf-8")
    (folder / "de.yaml").write_text("language: de\n", encoding="utf-8")
    (folder / "Kurdish.yaml").write_text("language: ku\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content(content)
    found = {(p.file.rsplit("/", 1)[-1], p.field) for p in err.value.problems}
    assert {("ps.yaml", "language"), ("ps.yaml", "name"), ("ps.yaml", "reviewed"),
            ("ps.yaml", "topics.sprache/nope"), ("ps.yaml", "topics.sprache/test"),
            ("de.yaml", ""), ("Kurdish.yaml", "")} <= found
    assert all(p.lang == "ps" for p in err.value.problems if p.file.endswith("ps.yaml")
               and p.field != "reviewed")
