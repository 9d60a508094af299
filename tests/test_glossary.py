"""Languages without answers (Kurdish, Pashto, Tigrinya ...): the glossary finds the topic,
the answer comes in the user's chosen language, with a short note saying so."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.content.coverage import REQUIRED_TOPICS
from bot.content.model import ContentLibrary, Glossary
from bot.dialog.engine import DialogEngine
from bot.dialog.payloads import lang_payload
from bot.dialog.replies import Inbound, InputKind, ReplyKind, UserRef
from bot.languages import Lang
from bot.matching.matcher import Decision, Matcher

KURMANJI = Glossary("ku", "Kurdî (Kurmancî)", dt.date(2026, 11, 25), {
    "asyl/arbeiten": ("destûra kar ji bo penaberan", "penaber dikare bixebite",
                      "karê bi destûra mayînê"),
    "kita-schule/kita": ("baxçeya zarokan", "cihê zarokan li kîta", "zarokê min sê salî ye"),
    "gesundheit/arzt": ("doktor", "bijîşk", "ez nexweş im doktorek dixwazim"),
}, smalltalk={"thanks": ("spas", "gelek spas", "spas bira", "zor spas"),
              "crisis": ("ez naxwazim bijîm", "ez dixwazim xwe bikujim")})


@pytest.fixture(scope="module")
def kurdish_library(library: ContentLibrary) -> ContentLibrary:
    return replace(library, glossaries=[KURMANJI])


@pytest.fixture(scope="module")
def kurdish_matcher(kurdish_library: ContentLibrary) -> Matcher:
    return Matcher(kurdish_library)


@pytest.mark.parametrize(("text", "topic"), [
    ("ez penaber im, dikarim bixebitim?", "asyl/arbeiten"),
    ("ji bo zarokê min baxçeya zarokan heye?", "kita-schule/kita"),
    ("bijîşk li ku ye", "gesundheit/arzt"),
])
def test_glossary_phrases_find_the_topic(kurdish_matcher: Matcher, text: str,
                                         topic: str) -> None:
    result = kurdish_matcher.match(text)
    assert topic in [result.topic_id, *result.alternatives][:2], result
    assert result.detected_lang is None and result.foreign


def test_answer_languages_are_not_taken_for_glossary_languages(kurdish_matcher: Matcher) -> None:
    result = kurdish_matcher.match("Wo finde ich einen Arzt, der Kurdisch spricht?")
    assert result.detected_lang is Lang.DE and not result.foreign
    assert kurdish_matcher.match("Pashto: زه ډاکټر ته اړتیا لرم").foreign


def test_foreign_question_is_answered_in_chosen_language_with_a_note(
        kurdish_library: ContentLibrary, kurdish_matcher: Matcher, catalogs, storage) -> None:
    engine = DialogEngine(kurdish_library, kurdish_matcher, catalogs, storage)
    user = UserRef("test", "7")
    engine.handle(Inbound(user, InputKind.BUTTON, payload=lang_payload(Lang.TR)))
    replies = engine.handle(Inbound(user, InputKind.TEXT, text="bijîşk li ku ye, ez nexweş im"))
    assert replies[0].kind is ReplyKind.INFO and replies[0].lang is Lang.TR
    assert "/language" in replies[0].text and "Türkçe" in replies[0].text
    assert all(r.lang is Lang.TR for r in replies)
    assert any(r.topic_id == "gesundheit/arzt" for r in replies[1:]) or (
        replies[1].kind in (ReplyKind.CLARIFY, ReplyKind.NOT_SURE))


def test_real_glossaries_cover_every_required_topic(library: ContentLibrary) -> None:
    for glossary in library.glossaries:
        assert Lang.parse(glossary.code) is None
        missing = set(REQUIRED_TOPICS) - set(glossary.entries)
        assert not missing, (glossary.code, sorted(missing))


def test_glossary_does_not_change_decisions_for_answer_languages(
        matcher: Matcher, kurdish_matcher: Matcher) -> None:
    for text in ("Wo gibt es Deutschkurse?", "How do I find a doctor?", "iyi geceler"):
        a, b = matcher.match(text), kurdish_matcher.match(text)
        assert (a.decision, a.topic_id) == (b.decision, b.topic_id)
        assert a.decision is not Decision.EMPTY


def test_glossary_small_talk_is_small_talk_and_crisis_is_crisis(kurdish_matcher: Matcher) -> None:
    thanks = kurdish_matcher.match("gelek spas bira")
    assert thanks.decision is Decision.SMALLTALK and thanks.smalltalk == "thanks"
    assert kurdish_matcher.match("ez êdî naxwazim bijîm").decision is Decision.CRISIS


def test_unanswered_foreign_question_is_stored_with_its_language(
        kurdish_library: ContentLibrary, kurdish_matcher: Matcher, catalogs, storage) -> None:
    assert kurdish_matcher.match("ez penaber im, dikarim bixebitim?").foreign_lang == "ku"
    engine = DialogEngine(kurdish_library, kurdish_matcher, catalogs, storage)
    user = UserRef("test", "8")
    engine.handle(Inbound(user, InputKind.BUTTON, payload=lang_payload(Lang.DE)))
    replies = engine.handle(Inbound(user, InputKind.TEXT, text="زه نه پوهېږم چې څه وکړم"))
    assert replies[-1].kind is ReplyKind.NOT_SURE and replies[-1].lang is Lang.DE
    [group] = storage.unanswered_summary()
    assert group.lang == "ps"


def test_languages_lingua_knows_are_named_too(matcher: Matcher) -> None:
    result = matcher.match("je cherche un cours d'allemand pour ma femme")
    assert result.foreign and result.foreign_lang == "fr"
    assert result.detected_lang is None


def test_other_scripts_are_named_by_their_glossary(library: ContentLibrary,
                                                   matcher: Matcher) -> None:
    if not any(g.code == "ti" for g in library.glossaries):
        pytest.skip("no Tigrinya glossary")
    result = matcher.match("ሓኪም")  # Tigrinya: "doctor"
    assert result.foreign and result.foreign_lang == "ti"
    assert result.topic_id == "gesundheit/arzt"
