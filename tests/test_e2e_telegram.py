"""End to end: the real python-telegram-bot Application and Updater (long polling over
real HTTP) against the loopback Bot API emulator, with the real content and core.
The emulator rejects what Telegram rejects, and every test ends with no rejected call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from fakebotapi import FakeBotApi, FakeUser
from telegram.ext import Application

from bot.app import Core
from bot.channels.telegram import build_application
from bot.config import Settings
from bot.dialog.replies import Reply, ReplyKind
from bot.languages import Lang
from bot.render import telegram_chunks


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def running_bot(api: FakeBotApi, core: Core, settings: Settings
                      ) -> AsyncIterator[Application]:
    settings = replace(settings, telegram_token=api.token, telegram_api_url=api.base_url)
    app = build_application(core, settings)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    api.assert_no_errors()


def labels(message) -> list[str]:
    return [text for row in message.buttons for text, _ in row]


async def test_start_pick_language_browse_menu_read_answer_and_rate(
        api: FakeBotApi, running_bot: Application, core: Core) -> None:
    user: FakeUser = api.add_user(user_id=501, first_name="Olena", language_code="uk")
    await api.send_text(user, "/start")
    picker = await api.wait_for_message(user)
    assert {"Deutsch", "English", "Українська", "العربية"} <= set(labels(picker))

    await api.press_button(user, picker, "lang:de")
    menu = await api.wait_for_edit(user, picker)
    assert "Sprache eingestellt: Deutsch" in menu.text
    assert "Kita und Schule" in labels(menu)
    assert core.storage.get_prefs("telegram", "501").lang == "de"

    await api.press_button(user, menu, text="Kita und Schule")
    field = await api.wait_for_edit(user, menu)
    assert "⬅ Zurück" in labels(field)
    kita_title = core.library.topics["kita-schule/kita"].translations[Lang.DE].title
    assert kita_title in labels(field)

    await api.press_button(user, field, text=kita_title)
    answer, where = await api.wait_for_messages(user, count=2)
    assert "Stadt Kaiserslautern" in labels(where)  # asked once: offices differ
    assert answer.parse_mode == "HTML"
    assert kita_title in answer.text and "Quellen:" in answer.text
    assert labels(answer)[:2] == ["👍 Hilfreich", "👎 Nicht hilfreich"]

    await api.press_button(user, answer, "menu:new")  # the menu under an answer
    menu_again = await api.wait_for_message(user)
    assert "Kita und Schule" in labels(menu_again)
    assert kita_title in answer.text and not answer.edited  # the answer stays readable

    query = await api.press_button(user, answer, "fb:1:kita-schule_kita")
    ack = await api.wait_for_callback_answer(query)
    assert ack.get("text") == "Danke für Ihre Bewertung!"
    rated = await api.wait_for_edit(user, answer)
    assert rated.buttons == []
    assert core.storage.feedback_counts()["kita-schule/kita"] == (1, 0)


async def test_free_text_is_answered_in_the_question_language(
        api: FakeBotApi, running_bot: Application, core: Core) -> None:
    user = api.add_user(user_id=502, first_name="Sam", language_code="en")
    await api.send_text(user, "How do I renew my residence permit?")
    answer, where = await api.wait_for_messages(user, count=2)
    assert where.text.startswith("Where do you live?")  # city and district offices differ
    title = core.library.topics["verwaltung/aufenthalt"].translations[Lang.EN].title
    assert title in answer.text
    assert "fb:1:verwaltung_aufenthalt" in [data for row in answer.buttons for _, data in row]

    await api.send_text(user, "tell me a joke")
    reply = await api.wait_for_message(user)
    assert "I can only help" in reply.text
    assert not any(data and data.startswith("fb:") for row in reply.buttons
                   for _, data in row)


async def test_deep_link_opens_topic_in_language(
        api: FakeBotApi, running_bot: Application, core: Core) -> None:
    user = api.add_user(user_id=503, first_name="Ali", language_code="ar")
    await api.send_text(user, "/start en_asyl_wohnen")
    answer = await api.wait_for_message(user)
    title = core.library.topics["asyl/wohnen"].translations[Lang.EN].title
    assert title in answer.text
    assert core.storage.get_prefs("telegram", "503").lang == "en"


async def test_voice_or_file_without_text_gets_a_kind_reply_in_the_users_language(
        api: FakeBotApi, running_bot: Application) -> None:
    user = api.add_user(user_id=507, first_name="Olena", language_code="uk")
    await api.send_document(user, b"OggS...", file_name="voice.ogg", mime_type="audio/ogg")
    reply = await api.wait_for_message(user)
    assert "письмові повідомлення" in reply.text  # Ukrainian: "written messages"
    assert any(data and data.startswith("field:") for row in reply.buttons for _, data in row)


async def test_commands_registered_per_language(api: FakeBotApi,
                                                running_bot: Application) -> None:
    german = dict(api.commands(language_code="de"))
    assert german["menu"] == "Alle Themen ansehen"
    assert set(german) == {"menu", "language", "where", "contact", "help", "privacy"}
    assert dict(api.commands())["menu"] == "Browse all topics"


async def test_long_answer_is_split_within_telegram_limits(
        api: FakeBotApi, running_bot: Application, core: Core,
        monkeypatch: pytest.MonkeyPatch) -> None:
    long_text = "\n\n".join(f"**Teil {i}** " + "Wort " * 300 for i in range(8))
    monkeypatch.setattr(core.engine, "handle", lambda inbound: [
        Reply(ReplyKind.INFO, long_text, Lang.DE, buttons=core.engine._menu_row(Lang.DE))])
    user = api.add_user(user_id=504, first_name="Lea", language_code="de")
    await api.send_text(user, "lang")
    expected = len(telegram_chunks(long_text))
    assert expected >= 3
    parts = await api.wait_for_messages(user, count=expected)
    await api.assert_no_new_messages(user)
    assert all(len(p.text) <= 4096 for p in parts)
    assert parts[0].buttons == [] and labels(parts[-1]) == ["☰ Menü"]
    assert "".join(p.text for p in parts).count("Teil") == 8


async def test_a_crash_apologises_in_the_users_language(
        api: FakeBotApi, running_bot: Application, core: Core,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(inbound):
        raise RuntimeError("boom")

    monkeypatch.setattr(core.engine, "handle", broken)
    user = api.add_user(user_id=505, first_name="Can", language_code="de")
    await api.send_text(user, "Hallo?")
    reply = await api.wait_for_message(user)
    assert reply.text.startswith("Entschuldigung, bei mir ist etwas schiefgegangen")
