"""The matcher on our own questions (tests/data, written independently of the content's
example questions and of the shared dev set)."""

from __future__ import annotations

import json

import pytest

from bot.config import PROJECT_ROOT
from bot.languages import Lang
from bot.matching.matcher import Decision, Matcher
from bot.matching.normalize import tokenize

QUESTIONS = [json.loads(line) for line in
             (PROJECT_ROOT / "tests" / "data" / "questions.jsonl").read_text("utf-8").splitlines()
             if line.strip()]


def test_own_questions_top1_and_refusals(matcher: Matcher) -> None:
    in_scope = [q for q in QUESTIONS if q["topics"]]
    out_of_scope = [q for q in QUESTIONS if not q["topics"]]
    hits = [q["text"] for q in in_scope if matcher.match(q["text"]).topic_id in q["topics"]]
    declined = [q["text"] for q in out_of_scope if matcher.match(q["text"]).topic_id is None]
    assert len(hits) / len(in_scope) >= 0.9, set(q["text"] for q in in_scope) - set(hits)
    assert len(declined) == len(out_of_scope)


@pytest.mark.parametrize(("text", "lang"), [
    ("Wie beantrage ich Kindergeld?", Lang.DE),
    ("Who is entitled to Bürgergeld?", Lang.EN),
    ("Як записатися на Integrationskurs?", Lang.UK),
    ("Как записаться на Integrationskurs?", Lang.RU),
    ("كيف أسجل في Integrationskurs؟", Lang.AR),
    ("چطور برای Integrationskurs ثبت نام کنم؟", Lang.FA),
    ("vatandaslik icin kac yil lazim", Lang.TR),
    ("gdzie moge zlozyc wniosek o Kindergeld", Lang.PL),
    ("unde pot depune cererea pentru Kindergeld", Lang.RO),
    ("kif bi2dar sajjel 3al kurs", Lang.AR),
    ("де знайти роботу", Lang.UK),  # no letter only Ukrainian has: our words decide
    ("как найти работу", Lang.RU),
])
def test_reply_language_follows_the_question(matcher: Matcher, text: str, lang: Lang) -> None:
    assert matcher.match(text).detected_lang is lang


def test_typos_and_spelling_variants_still_match(matcher: Matcher) -> None:
    for text in ("integrazionskurs anmeldng", "EINBUERGERUNG voraussetzungen",
                 "einburgerung vorausetzungen"):
        result = matcher.match(text)
        assert result.topic_id is not None and result.topic_id.startswith(
            ("sprache/integrationskurs", "verwaltung/einbuergerung")), text


def test_small_talk_and_empty_input(matcher: Matcher) -> None:
    assert matcher.match("hi").decision is Decision.SMALLTALK
    assert matcher.match("   ").decision is Decision.EMPTY
    assert matcher.match("👍👍").decision is Decision.EMPTY


def test_folding_is_consistent_across_scripts() -> None:
    assert tokenize("Einbürgerung") == tokenize("EINBUERGERUNG") == tokenize("einburgerung")
    assert tokenize("İstanbul'da") == tokenize("istanbul'da")
    assert tokenize("مُسْتَشْفَى") == tokenize("مستشفي")
    assert tokenize("کیف") == tokenize("كيف")
    assert tokenize("زبان‌ها") == tokenize("زبانها")
    assert tokenize("їжак ґанок") == tokenize("іжак ганок")
    assert tokenize("٢٠٢٦") == ["2026"]


def test_arabizi_words_become_arabic_spellings() -> None:
    from bot.matching.arabizi import transliterate

    spellings = transliterate(tokenize("baddi doktor el is3af"))
    assert "دكتور" in spellings[1] or "دكتر" in spellings[1]
    assert "الاسعاف" in spellings[2]  # the article joins the next word


@pytest.mark.parametrize(("text", "topics"), [
    ("ana 3ayez a3mel jensiyye", {"verwaltung/einbuergerung", "verwaltung/einbuergerung-antrag"}),
    ("mart 7amel w ma 3enna ta2min", {"asyl/gesundheit", "gesundheit/arzt"}),
    ("wen fi doktor bi7ki 3arabi", {"gesundheit/arzt"}),
])
def test_arabizi_questions_find_arabic_content(matcher: Matcher, text: str,
                                               topics: set[str]) -> None:
    result = matcher.match(text)
    assert result.detected_lang is Lang.AR
    ranked = [t for t, _ in result.ranked]
    assert topics & set(ranked[:2]), ranked


@pytest.mark.parametrize("text", ["tell me a joke please", "wie wird das wetter morgen",
                                  "расскажи анекдот", "merci beaucoup"])
def test_off_topic_and_thanks_are_declined_as_small_talk(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.decision is Decision.SMALLTALK and result.topic_id is None, result.ranked


def test_top_k_finds_the_best_positive_scores() -> None:
    import numpy as np

    from bot.matching.matcher import top_k

    rng = np.random.default_rng(7)
    for n in (0, 5, 100, 50_000):
        scores = rng.random(n) * (rng.random(n) > 0.3)
        expected = {int(i) for i in np.argsort(-scores)[:60] if scores[i] > 0}
        assert set(top_k(scores, 60).tolist()) == expected


@pytest.mark.parametrize("text", ["ich will nicht mehr leben", "i want to end my life",
                                  "я хочу покончить с собой", "не хочу більше жити",
                                  "بدي انتحر", "intihar etmek istiyorum", "nie chcę już żyć",
                                  "nu mai vreau să trăiesc", "mein Mann schlägt mich"])
def test_crisis_is_recognised_in_many_languages(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).decision is Decision.CRISIS


@pytest.mark.parametrize("text", ["I want to live in Germany", "Almanya'da yaşamak istiyorum",
                                  "хочу жити в Німеччині", "хочу жить в Германии",
                                  "أريد أن أعيش في ألمانيا"])
def test_wanting_to_live_in_germany_is_not_a_crisis(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.decision is not Decision.CRISIS
    assert "verwaltung/aufenthalt" in [result.topic_id, *result.alternatives], result.ranked
