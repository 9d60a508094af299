"""Right-to-left rendering and the language fallback, as a user of each language sees it."""

from __future__ import annotations

from dataclasses import replace

from fakebotapi import check_html

from bot.dialog.engine import DialogEngine
from bot.languages import Lang
from bot.render import FSI, PDI, telegram_chunks, to_plain_text


def test_arabic_and_farsi_answers_keep_latin_runs_in_order(engine: DialogEngine,
                                                           library) -> None:
    topic = library.topics["gesundheit/notfall"]
    for lang in (Lang.AR, Lang.FA):
        reply = engine.render_topic(topic, lang)
        assert reply.rtl
        plain = to_plain_text(reply.text, rtl=True)
        assert f"{FSI}112{PDI}" in plain  # emergency number isolated, never reordered
        for chunk in telegram_chunks(reply.text, rtl=True):
            check_html(chunk)  # Telegram accepts it
            assert 'href="https://' in chunk  # links themselves untouched
    latin = to_plain_text(engine.render_topic(topic, Lang.DE).text)
    assert FSI not in latin  # left-to-right languages get no marks


def test_brackets_stay_outside_isolated_runs() -> None:
    text = to_plain_text("التسجيل في (Integrationskurs) عند BAMF", rtl=True)
    assert f"({FSI}Integrationskurs{PDI})" in text
    assert f"{FSI}BAMF{PDI}" in text


def test_missing_translation_falls_back_to_english_then_german(engine: DialogEngine,
                                                               library) -> None:
    topic = library.topics["kita-schule/kita"]
    without_uk = replace(topic, translations={k: v for k, v in topic.translations.items()
                                              if k is not Lang.UK})
    reply = engine.render_topic(without_uk, Lang.UK)
    assert reply.lang is Lang.UK and reply.meta["content_lang"] == "en"
    plain = to_plain_text(reply.text)
    assert topic.translations[Lang.EN].title in plain
    assert plain.startswith("Ця відповідь")  # the note is in the user's language
    assert "English" in plain
    only_german = replace(topic, translations={Lang.DE: topic.translations[Lang.DE]})
    reply = engine.render_topic(only_german, Lang.UK)
    assert reply.meta["content_lang"] == "de"
    # the buttons and notes stay in the user's language
    assert "👍" in reply.buttons[0][0].label and "Helpful" not in reply.buttons[0][0].label


def test_every_language_has_complete_ui_strings() -> None:
    from babel.messages.pofile import read_po

    from bot.config import PROJECT_ROOT

    template = read_po((PROJECT_ROOT / "locales" / "messages.pot").open("rb"))
    msgids = {m.id for m in template if m.id}
    for lang in Lang:
        if lang is Lang.EN:
            continue  # msgids are English
        path = PROJECT_ROOT / "locales" / lang.value / "LC_MESSAGES" / "messages.po"
        catalog = read_po(path.open("rb"), locale=lang.value)
        done = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
        assert msgids <= done, (lang, msgids - done)
