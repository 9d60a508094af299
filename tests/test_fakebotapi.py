"""Tests of the loopback Bot API emulator itself (tests/fakebotapi).

Why: end-to-end tests of the bot trust the emulator to accept what Telegram accepts and to
reject what Telegram rejects, with Telegram's descriptions.  These tests pin that behaviour
(raw HTTP for exact control, plus one real python-telegram-bot Application round trip).
Everything talks to 127.0.0.1 only and the whole file runs in a few seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import json
import struct
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from fakebotapi import BotCommandSpec, FakeBotApi, FakeUser, UploadedFile
from fakebotapi.html_check import (
    EntityParseError,
    LinkError,
    check_html,
    check_link,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    trim_text,
    utf16_len,
)
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

pytestmark = pytest.mark.asyncio

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class RawApi:
    """A tiny Bot API client with exact control over the HTTP encoding."""

    def __init__(self, server: FakeBotApi, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session

    async def __call__(
        self, method: str, *, encoding: str = "json", token: str | None = None, **params: Any
    ) -> dict[str, Any]:
        url = f"{self.server.base_url}{token or self.server.token}/{method}"
        wire = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        if encoding == "json":
            response = await self.session.post(url, json=params)
        elif encoding == "form":
            response = await self.session.post(url, data=wire)
        else:
            response = await self.session.get(url, params=wire)
        body = await response.json()
        assert response.status == (200 if body["ok"] else body["error_code"])
        return body

    async def upload(self, method: str, field: str, data: bytes, **params: Any) -> dict[str, Any]:
        """A multipart request with one file part, like PTB's InputFile uploads."""
        form = aiohttp.FormData()
        for name, value in params.items():
            form.add_field(name, value if isinstance(value, str) else json.dumps(value))
        form.add_field(field, data, filename="upload.bin", content_type="application/octet-stream")
        response = await self.session.post(f"{self.server.api_url}/{method}", data=form)
        return await response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        body = await self(method, **params)
        assert body["ok"], body
        return body["result"]

    async def error(self, method: str, **params: Any) -> str:
        body = await self(method, **params)
        assert not body["ok"], body
        return body["description"]


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest_asyncio.fixture
async def api(server: FakeBotApi) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(server, session)


@pytest_asyncio.fixture
async def user(server: FakeBotApi) -> FakeUser:
    """A user who has already written to the bot, so the bot may answer."""
    ann = server.add_user(user_id=1001, first_name="Ann", language_code="de")
    await server.send_text(ann, "hi")
    return ann


def tiny_png(width: int = 2, height: int = 3) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inline_keyboard": list(rows)}


# --------------------------------------------------------------------------------------------
# html_check: parsing rules and messages follow TDLib
# --------------------------------------------------------------------------------------------

TDLIB_HTML_ERRORS = [
    ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
    ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
    ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
    (
        "🏟 🏟&lt;<i    aba>",
        'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13',
    ),
    ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
    ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
    ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
    ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
    ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
    ("🏟 🏟&lt;<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'),
    ("<p>Hallo</p>", 'Unsupported start tag "p" at byte offset 0'),
    ("eins<br>zwei", 'Unsupported start tag "br" at byte offset 4'),
    ("<ul><li>x</li></ul>", 'Unsupported start tag "ul" at byte offset 0'),
    ("<h1>x</h1>", 'Unsupported start tag "h1" at byte offset 0'),
    ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("x <b", "Unclosed start tag at byte offset 2"),
    ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ('<tg-emoji emoji-id="0">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    (
        "&#57311;",
        "Text contains invalid Unicode characters after decoding HTML entities, "
        "check for unmatched surrogate code units",
    ),
]


@pytest.mark.parametrize(("text", "reason"), TDLIB_HTML_ERRORS)
async def test_html_errors_match_telegram(text: str, reason: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(text)
    assert str(caught.value) == reason
    assert check_html(text) == reason


async def test_html_entities_and_plain_text() -> None:
    parsed = parse_html(
        "<b>fett</b> <i>kursiv</i> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler> "
        '<a href="https://example.org/a?b=1&amp;c=2">Link</a> <code>c</code> '
        '<pre><code class="language-python">print()</code></pre> '
        "<blockquote expandable>q</blockquote> &lt;&gt;&amp;&quot;&#128512;"
    )
    assert parsed.text == 'fett kursiv u s x Link c print() q <>&"😀'
    kinds = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert kinds == [
        ("bold", 0, 4),
        ("italic", 5, 6),
        ("underline", 12, 1),
        ("strikethrough", 14, 1),
        ("spoiler", 16, 1),
        ("text_link", 18, 4),
        ("code", 23, 1),
        ("pre", 25, 7),
        ("expandable_blockquote", 33, 1),
    ]
    assert parsed.entities[5]["url"] == "https://example.org/a?b=1&c=2"
    assert parsed.entities[7]["language"] == "python"


async def test_html_offsets_are_utf16_and_tdlib_quirks_hold() -> None:
    parsed = parse_html("🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt;🏟</b></i>")
    assert parsed.text == "🏟 🏟🏟 ><🏟"
    assert parsed.entities == [
        {"type": "italic", "offset": 5, "length": 7},
        {"type": "bold", "offset": 9, "length": 3},
    ]
    assert parse_html("<i>a</>").entities == [{"type": "italic", "offset": 0, "length": 1}]
    assert parse_html("<b></b>x").entities == []
    assert parse_html("<a>telegram.org</a>").entities[0]["url"] == "http://telegram.org/"
    assert parse_html('<a href="ftp://x.org">x</a>').entities == []  # invalid links are dropped


async def test_strict_mode_rejects_bare_ampersand_that_telegram_would_keep() -> None:
    assert parse_html("Tom & Jerry", strict=False).text == "Tom & Jerry"
    assert parse_html("&laquo;x&raquo;", strict=False).text == "&laquo;x&raquo;"
    reason = check_html("Tom & Jerry")
    assert reason is not None and 'Character "&" at byte offset 4' in reason
    assert check_html("&ltb&gt;") is not None  # an entity needs its semicolon in strict mode
    assert check_html("Tom &amp; Jerry &#38; &#x26;") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hello.", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("a-b", "Character '-' is reserved and must be escaped with the preceding '\\'"),
        ("*unclosed", "Can't find end of Bold entity at byte offset 0"),
        ("*bold _italic\\_*", "Can't find end of Bold entity at byte offset 15"),
        ("[telegram\\.org](asd\\)", "Can't find end of a URL at byte offset 16"),
        ("🏟 🏟__", "Can't find end of Underline entity at byte offset 9"),
    ],
)
async def test_markdown_v2_errors_match_telegram(text: str, reason: str) -> None:
    with pytest.raises(EntityParseError, match=None) as caught:
        parse_markdown_v2(text)
    assert str(caught.value) == reason


async def test_markdown_parsers_produce_entities() -> None:
    parsed = parse_markdown_v2("*fett* _kursiv_ __u__ ||s|| [Link](https://t.me/x) `c` \\.")
    assert parsed.text == "fett kursiv u s Link c ."
    assert [e["type"] for e in parsed.entities] == [
        "bold",
        "italic",
        "underline",
        "spoiler",
        "text_link",
        "code",
    ]
    quote = parse_markdown_v2(">zitat\n>weiter\ndanach")
    assert quote.entities == [{"type": "blockquote", "offset": 0, "length": 13}]
    legacy = parse_markdown("*b* _i_ [t](http://a.org)")
    assert legacy.text == "b i t"
    with pytest.raises(EntityParseError, match="Can't find end of the entity starting at byte"):
        parse_markdown("*offen")


async def test_links_and_helpers() -> None:
    assert check_link("https://example.org") == "https://example.org/"
    assert check_link("example.org/x") == "http://example.org/x"
    assert check_link("tg://resolve?domain=x") == "tg://resolve?domain=x"
    for url, reason in [
        ("not-a-url", "Wrong HTTP URL"),
        ("ftp://example.com", "Unsupported URL protocol"),
        ("", "URL host is empty"),
    ]:
        with pytest.raises(LinkError, match=reason):
            check_link(url)
    assert utf16_len("a😀é") == 4
    trimmed = trim_text(parse_html("  <b> x </b> "))
    assert (trimmed.text, trimmed.entities) == ("x", [{"type": "bold", "offset": 0, "length": 1}])


# --------------------------------------------------------------------------------------------
# Routing, encodings, authentication
# --------------------------------------------------------------------------------------------


async def test_get_me_routing_and_auth(server: FakeBotApi, api: RawApi) -> None:
    me = await api.ok("getMe")
    assert me["is_bot"] is True and me["username"] == "fake_test_bot"
    for flag in (
        "can_join_groups",
        "can_read_all_group_messages",
        "supports_inline_queries",
        "can_connect_to_business",
        "has_main_web_app",
    ):
        assert isinstance(me[flag], bool)
    assert (await api("GETME", encoding="query"))["ok"]  # case-insensitive, GET works
    assert await api("getMe", token="1:wrong") == {
        "ok": False,
        "error_code": 401,
        "description": "Unauthorized",
    }
    assert await api("sendCarrierPigeon") == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found",
    }
    assert [(e.method, e.error_code) for e in server.errors] == [
        ("getMe", 401),
        ("sendCarrierPigeon", 404),
    ]
    assert server.calls[1].method == "getMe"  # canonical name recorded


async def test_all_encodings_reach_the_method(
    server: FakeBotApi, api: RawApi, user: FakeUser
) -> None:
    markup = keyboard([{"text": "A", "callback_data": "a"}])
    for encoding in ("json", "form", "query"):
        result = await api.ok(
            "sendMessage",
            encoding=encoding,
            chat_id=user.id,
            text=f"via {encoding}",
            reply_markup=markup,
            disable_notification=True,
        )
        assert result["reply_markup"] == markup
    call = server.calls_to("sendMessage")[1]
    assert call.params["chat_id"] == user.id and call.params["reply_markup"] == markup
    assert call.params["disable_notification"] is True
    assert [m.text for m in server.bot_messages(user)] == ["via json", "via form", "via query"]


async def test_multipart_uploads_and_file_download(
    server: FakeBotApi, api: RawApi, user: FakeUser
) -> None:
    png = tiny_png()
    body = await api.upload(
        "sendPhoto", "photo", png, chat_id=user.id, caption="<b>Bild</b>", parse_mode="HTML"
    )
    assert body["ok"], body
    photo = body["result"]["photo"][-1]
    assert (photo["width"], photo["height"], photo["file_size"]) == (2, 3, len(png))
    assert body["result"]["caption"] == "Bild"
    sent = server.calls_to("sendPhoto")[0].params["photo"]
    assert isinstance(sent, UploadedFile) and sent.data == png

    info = await api.ok("getFile", file_id=photo["file_id"])
    async with api.session.get(f"{server.base_file_url}{server.token}/{info['file_path']}") as r:
        assert await r.read() == png
    again = await api.ok("sendPhoto", chat_id=user.id, photo=photo["file_id"])
    assert again["photo"][-1]["file_id"] == photo["file_id"]

    not_image = await api.upload("sendPhoto", "photo", b"%PDF-1.4", chat_id=user.id)
    assert not_image["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
    document = await api.upload("sendDocument", "document", b"%PDF-1.4", chat_id=user.id)
    assert document["result"]["document"]["file_size"] == 8
    missing = await api.error("sendDocument", chat_id=user.id, document="no-such-id")
    assert missing == "Bad Request: wrong file identifier/HTTP URL specified"


# --------------------------------------------------------------------------------------------
# sendMessage rules
# --------------------------------------------------------------------------------------------


async def test_chat_must_be_known(server: FakeBotApi, api: RawApi) -> None:
    silent = server.add_user(user_id=2002, first_name="Bo")
    assert await api.error("sendMessage", chat_id=999, text="x") == "Bad Request: chat not found"
    assert await api.error("sendMessage", chat_id=silent.id, text="x") == (
        "Bad Request: chat not found"
    )
    assert await api.error("sendMessage", text="x") == "Bad Request: chat_id is empty"
    await server.send_text(silent, "/start")
    sent = await api.ok("sendMessage", chat_id=silent.id, text="Hallo")
    assert sent["chat"] == {"id": 2002, "type": "private", "first_name": "Bo"}
    assert sent["from"]["is_bot"] is True and isinstance(sent["date"], int)
    server.block_bot(silent)
    blocked = await api("sendMessage", chat_id=silent.id, text="x")
    assert (blocked["error_code"], blocked["description"]) == (
        403,
        "Forbidden: bot was blocked by the user",
    )


async def test_text_length_counts_utf16_after_parsing(api: RawApi, user: FakeUser) -> None:
    too_long = "Bad Request: message is too long"
    assert await api.error("sendMessage", chat_id=user.id) == "Bad Request: message text is empty"
    assert await api.error("sendMessage", chat_id=user.id, text="   ") == (
        "Bad Request: text must be non-empty"
    )
    await api.ok("sendMessage", chat_id=user.id, text="x" * 4096)
    assert await api.error("sendMessage", chat_id=user.id, text="x" * 4097) == too_long
    await api.ok("sendMessage", chat_id=user.id, text="😀" * 2048)
    assert await api.error("sendMessage", chat_id=user.id, text="😀" * 2049) == too_long
    markup_heavy = "<b>" + "x" * 4096 + "</b>"
    await api.ok("sendMessage", chat_id=user.id, text=markup_heavy, parse_mode="HTML")


async def test_send_message_html_is_validated_and_stored(
    server: FakeBotApi, api: RawApi, user: FakeUser
) -> None:
    raw = "<b>Termin</b> am <i>Montag</i> &amp; <a href='https://example.org'>mehr</a>"
    result = await api.ok("sendMessage", chat_id=user.id, text=raw, parse_mode="HTML")
    assert result["text"] == "Termin am Montag & mehr"
    [message] = await server.wait_for_messages(user, count=1, timeout=1)
    assert (message.raw_text, message.html, message.parse_mode) == (raw, raw, "HTML")
    assert message.text == "Termin am Montag & mehr"
    assert [e["type"] for e in message.entities] == ["bold", "italic", "text_link"]

    for text, reason in [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("A & B", 'Character "&" at byte offset 2'),
    ]:
        description = await api.error("sendMessage", chat_id=user.id, text=text, parse_mode="HTML")
        assert description.startswith("Bad Request: can't parse entities: " + reason)
    assert len(server.bot_messages(user)) == 1


async def test_other_parse_modes(server: FakeBotApi, api: RawApi, user: FakeUser) -> None:
    result = await api.ok("sendMessage", chat_id=user.id, text="*fett*\\.", parse_mode="MarkdownV2")
    assert result["text"] == "fett." and result["entities"][0]["type"] == "bold"
    legacy = await api.ok("sendMessage", chat_id=user.id, text="*fett*", parse_mode="markdown")
    assert legacy["text"] == "fett"
    assert await api.error("sendMessage", chat_id=user.id, text="1.", parse_mode="MarkdownV2") == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with "
        "the preceding '\\'"
    )
    assert await api.error("sendMessage", chat_id=user.id, text="x", parse_mode="BBCode") == (
        "Bad Request: unsupported parse_mode"
    )
    entities = [{"type": "bold", "offset": 0, "length": 9}]
    assert await api.error("sendMessage", chat_id=user.id, text="hallo", entities=entities) == (
        "Bad Request: entity beginning at UTF-16 offset 0 ends after the end of the text at "
        "UTF-16 offset 9"
    )
    html_rendered = (await server.wait_for_message(user)).html
    assert html_rendered == "<b>fett</b>."  # rendered from entities for non-HTML modes


# --------------------------------------------------------------------------------------------
# reply_markup rules
# --------------------------------------------------------------------------------------------

MARKUP_ERRORS = [
    (keyboard([{"text": "x", "callback_data": "x" * 65}]), "BUTTON_DATA_INVALID"),
    (keyboard([{"text": "x", "callback_data": "é" * 33}]), "BUTTON_DATA_INVALID"),  # 66 bytes
    (
        keyboard([{"text": "x", "callback_data": ""}]),
        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
    ),
    (
        keyboard([{"callback_data": "x"}]),
        "can't parse inline keyboard button: Can't find field \"text\"",
    ),
    (
        keyboard([{"text": "x", "url": "ftp://example.com"}]),
        "inline keyboard button URL 'ftp://example.com' is invalid: Unsupported URL protocol",
    ),
    (
        keyboard([{"text": "x", "url": "not-a-url"}]),
        "inline keyboard button URL 'not-a-url' is invalid: Wrong HTTP URL",
    ),
    (keyboard(*[[{"text": "b", "callback_data": "b"}]] * 101), "REPLY_MARKUP_TOO_LONG"),
    ({"inline_keyboard": "bad"}, 'field "inline_keyboard" must be of type Array'),
    (
        {"keyboard": [["A"]], "resize_keyboard": "yes"},
        'field "resize_keyboard" must be of type Boolean',
    ),
    ({"force_reply": "yes"}, 'field "force_reply" must be of type Boolean'),
    ({"text": "nothing"}, "can't parse reply keyboard markup JSON object"),
]


@pytest.mark.parametrize(("markup", "reason"), MARKUP_ERRORS)
async def test_invalid_reply_markup_is_rejected(
    api: RawApi, user: FakeUser, markup: dict[str, Any], reason: str
) -> None:
    description = await api.error("sendMessage", chat_id=user.id, text="x", reply_markup=markup)
    assert description == f"Bad Request: {reason}"


async def test_valid_keyboards_are_accepted(
    server: FakeBotApi, api: RawApi, user: FakeUser
) -> None:
    inline = keyboard(
        [{"text": "Ja", "callback_data": "x" * 64}, {"text": "Web", "url": "https://t.me/x"}],
        [
            {"text": "Suche", "switch_inline_query_current_chat": "q"},
            {"text": "Teilen", "switch_inline_query": ""},
        ],
    )
    await api.ok("sendMessage", chat_id=user.id, text="a", reply_markup=inline)
    reply_kb = {
        "keyboard": [["Eins", {"text": "Ort", "request_location": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    await api.ok("sendMessage", chat_id=user.id, text="b", reply_markup=reply_kb)
    assert server.reply_keyboard(user) == [["Eins", "Ort"]]
    await api.ok("sendMessage", chat_id=user.id, text="c", reply_markup={"remove_keyboard": True})
    assert server.reply_keyboard(user) is None
    await api.ok("sendMessage", chat_id=user.id, text="d", reply_markup={"force_reply": True})
    await api.ok(
        "sendMessage",
        chat_id=user.id,
        text="https://example.org",
        link_preview_options={"is_disabled": True},
    )
    first, second, *_ = await server.wait_for_messages(user, count=5, timeout=1)
    assert first.buttons == [
        [("Ja", "x" * 64), ("Web", "https://t.me/x")],
        [("Suche", "q"), ("Teilen", "")],
    ]
    assert second.keyboard == [["Eins", "Ort"]] and second.buttons == []


# --------------------------------------------------------------------------------------------
# getUpdates: offsets, long polling, conflicts, webhooks
# --------------------------------------------------------------------------------------------


async def test_get_updates_offset_and_limit(server: FakeBotApi, api: RawApi) -> None:
    ann = server.add_user(user_id=7, first_name="Ann")
    for text in ("eins", "/start", "drei"):
        await server.send_text(ann, text)
    first_two = await api.ok("getUpdates", limit=2)
    assert [u["message"]["text"] for u in first_two] == ["eins", "/start"]
    assert first_two[1]["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 6}
    ]
    assert first_two[0]["message"]["chat"]["type"] == "private"
    rest = await api.ok("getUpdates", offset=first_two[1]["update_id"] + 1)
    assert [u["message"]["text"] for u in rest] == ["drei"]
    assert len(server.pending_updates) == 1  # not confirmed yet
    assert await api.ok("getUpdates", offset=rest[0]["update_id"] + 1) == []
    await server.send_text(ann, "vier")
    await server.send_text(ann, "fünf")
    assert [u["message"]["text"] for u in await api.ok("getUpdates", offset=-1)] == ["fünf"]


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    server: FakeBotApi, api: RawApi
) -> None:
    ann = server.add_user(user_id=7, first_name="Ann")
    started = time.monotonic()
    poll = asyncio.create_task(api.ok("getUpdates", timeout=10))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await server.send_text(ann, "jetzt")
    updates = await asyncio.wait_for(poll, 2)
    assert updates[0]["message"]["text"] == "jetzt"
    assert time.monotonic() - started < 1


async def test_long_poll_times_out_empty_and_allowed_updates_filter(
    server: FakeBotApi, api: RawApi, user: FakeUser
) -> None:
    await api.ok("getUpdates", offset=-1)  # drop everything but the last ("hi")
    await api.ok("getUpdates", offset=server.pending_updates[0]["update_id"] + 1)
    started = time.monotonic()
    assert await api.ok("getUpdates", timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 2
    message = await api.ok(
        "sendMessage",
        chat_id=user.id,
        text="k",
        reply_markup=keyboard([{"text": "b", "callback_data": "b"}]),
    )
    await server.press_button(user, message["message_id"], "b")
    await server.send_text(user, "text")
    updates = await api.ok("getUpdates", allowed_updates=["message"])
    assert [list(u)[1] for u in updates] == ["message"]


async def test_second_poller_terminates_the_first(server: FakeBotApi, api: RawApi) -> None:
    first = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(api.ok("getUpdates", timeout=5))
    body = await asyncio.wait_for(first, 2)
    assert body["error_code"] == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    assert [e.error_code for e in server.errors] == [409]
    await server.stop()  # wakes the pending long poll with an empty answer
    assert await asyncio.wait_for(second, 2) == []


async def test_webhook_and_polling_exclude_each_other(server: FakeBotApi, api: RawApi) -> None:
    ann = server.add_user(user_id=7, first_name="Ann")
    await server.send_text(ann, "x")
    await api.ok("setWebhook", url="https://bot.example.org/hook")
    info = await api.ok("getWebhookInfo")
    assert info["url"] == "https://bot.example.org/hook" and info["pending_update_count"] == 1
    assert (await api.error("getUpdates")).startswith("Conflict: can't use getUpdates method")
    assert await api.ok("deleteWebhook", drop_pending_updates=True) is True
    assert await api.ok("getUpdates") == []
    assert await api.ok("logOut") is True and await api.ok("close") is True


# --------------------------------------------------------------------------------------------
# Edits, deletions, callback queries
# --------------------------------------------------------------------------------------------


async def test_edits_and_deletions(server: FakeBotApi, api: RawApi, user: FakeUser) -> None:
    markup = keyboard([{"text": "Weiter", "callback_data": "next"}])
    sent = await api.ok(
        "sendMessage", chat_id=user.id, text="<b>Eins</b>", parse_mode="HTML", reply_markup=markup
    )
    ids = {"chat_id": user.id, "message_id": sent["message_id"]}
    [message] = await server.wait_for_messages(user)
    again = await api.error(
        "editMessageText", **ids, text="<b>Eins</b>", parse_mode="HTML", reply_markup=markup
    )
    assert again == NOT_MODIFIED
    edited = await api.ok("editMessageText", **ids, text="Zwei")
    assert edited["text"] == "Zwei" and "reply_markup" not in edited  # omitted markup is removed
    assert await server.wait_for_edit(user, message, timeout=1) is message
    assert (message.text, message.history, message.buttons) == ("Zwei", ["<b>Eins</b>"], [])
    assert await api.error("editMessageReplyMarkup", **ids) == NOT_MODIFIED
    await api.ok("editMessageReplyMarkup", **ids, reply_markup=markup)
    assert message.callback_data == ["next"]
    user_message = server.messages(user)[0]
    foreign = {"chat_id": user.id, "message_id": user_message.message_id}
    not_editable = await api.error("editMessageText", **foreign, text="x")
    assert not_editable == "Bad Request: message can't be edited"
    missing = await api.error("editMessageText", chat_id=user.id, message_id=999, text="x")
    assert missing == "Bad Request: message to edit not found"
    assert await api.ok("deleteMessage", **ids) is True and message.deleted
    assert await api.error("deleteMessage", **ids) == "Bad Request: message to delete not found"
    assert await api.error("editMessageText", **ids, text="x") == (
        "Bad Request: message to edit not found"
    )


async def test_press_button_and_answer_callback_query(
    server: FakeBotApi, api: RawApi, user: FakeUser
) -> None:
    markup = keyboard(
        [{"text": "Ja", "callback_data": "yes"}, {"text": "Web", "url": "https://a.de"}]
    )
    sent = await api.ok("sendMessage", chat_id=user.id, text="Frage?", reply_markup=markup)
    with pytest.raises(AssertionError, match="no callback button with callback_data='no'"):
        await server.press_button(user, sent["message_id"], "no")
    with pytest.raises(AssertionError, match="no callback button with text='Web'"):
        await server.press_button(user, sent["message_id"], text="Web")
    query_id = await server.press_button(user, sent["message_id"], text="Ja")
    update = server.pending_updates[-1]["callback_query"]
    assert (update["id"], update["data"], update["message"]["text"]) == (query_id, "yes", "Frage?")
    assert update["chat_instance"] and update["from"]["id"] == user.id

    long_text = "x" * 201
    assert await api.error("answerCallbackQuery", callback_query_id=query_id, text=long_text) == (
        "Bad Request: MESSAGE_TOO_LONG"
    )
    await api.ok("answerCallbackQuery", callback_query_id=query_id, text="OK", show_alert=True)
    answer = await server.wait_for_callback_answer(query_id, timeout=1)
    assert answer["text"] == "OK" and answer["show_alert"] is True
    assert await api.error("answerCallbackQuery", callback_query_id=query_id) == QUERY_TOO_OLD
    assert await api.error("answerCallbackQuery", callback_query_id="nope") == QUERY_TOO_OLD

    server.callback_query_timeout = 0.0
    late = await server.press_button(user, sent["message_id"], "yes")
    await asyncio.sleep(0.01)
    assert await api.error("answerCallbackQuery", callback_query_id=late) == QUERY_TOO_OLD


# --------------------------------------------------------------------------------------------
# Commands, chat actions, locations, menu button, inline queries, injected errors
# --------------------------------------------------------------------------------------------


async def test_commands_per_scope_and_language(server: FakeBotApi, api: RawApi) -> None:
    commands = [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Hilfe"},
    ]
    scope = {"type": "all_private_chats"}
    await api.ok("setMyCommands", commands=commands, scope=scope, language_code="de")
    await api.ok("setMyCommands", commands=commands[:1])
    assert server.commands("all_private_chats", "de") == [("start", "Start"), ("help", "Hilfe")]
    assert server.commands() == [BotCommandSpec("start", "Start")]
    assert server.commands(scope) == []
    assert await api.ok("getMyCommands", scope=scope, language_code="de") == commands
    await api.ok("deleteMyCommands", scope=scope, language_code="de")
    assert server.commands(scope, "de") == []

    def one(command: str, description: str = "Beschreibung") -> list[dict[str, str]]:
        return [{"command": command, "description": description}]

    for params, reason in [
        ({"commands": one("Start")}, "BOT_COMMAND_INVALID"),
        ({"commands": one("mit-strich")}, "BOT_COMMAND_INVALID"),
        ({"commands": one("x" * 33)}, "command length must not exceed 32"),
        ({"commands": one("ok", "")}, "command description must be non-empty"),
        ({"commands": one("ok", "d" * 257)}, "command description length must not exceed 256"),
        ({"commands": one("ok") * 101}, "BOT_COMMANDS_TOO_MUCH"),
        ({"commands": one("ok"), "language_code": "deu"}, "invalid language code specified"),
        (
            {"commands": one("ok"), "scope": {"type": "everyone"}},
            "unsupported bot command scope type",
        ),
    ]:
        assert await api.error("setMyCommands", **params) == f"Bad Request: {reason}"


async def test_actions_locations_menu_and_inline(
    server: FakeBotApi, api: RawApi, user: FakeUser
) -> None:
    assert await api.ok("sendChatAction", chat_id=user.id, action="typing") is True
    assert server.chat_actions == [(user.id, "typing")]
    assert await api.error("sendChatAction", chat_id=user.id, action="dancing") == (
        "Bad Request: wrong parameter action in request"
    )
    location = await api.ok("sendLocation", chat_id=user.id, latitude=49.44, longitude=7.77)
    assert location["location"] == {"latitude": 49.44, "longitude": 7.77}
    venue = await api.ok(
        "sendVenue",
        chat_id=user.id,
        latitude=49.4,
        longitude=7.7,
        title="Rathaus",
        address="Willy-Brandt-Platz 1",
    )
    assert venue["venue"]["title"] == "Rathaus"
    assert await api.error("sendLocation", chat_id=user.id, latitude=91, longitude=0) == (
        "Bad Request: wrong latitude specified"
    )
    await api.ok("setChatMenuButton", chat_id=user.id, menu_button={"type": "commands"})
    assert server.menu_button(user.id) == {"type": "commands"}
    inline_id = await server.send_inline_query(user, "kita")
    results = [
        {
            "type": "article",
            "id": "1",
            "title": "Kita",
            "input_message_content": {"message_text": "Kita"},
        }
    ]
    await api.ok("answerInlineQuery", inline_query_id=inline_id, results=results)
    assert server.inline_answers[inline_id]["results"] == results
    shared = await server.send_location(user, 49.4, 7.7)
    assert server.pending_updates[-1]["message"]["location"]["latitude"] == 49.4
    assert shared.kind == "location"


async def test_injected_errors_are_flagged(server: FakeBotApi, api: RawApi, user: FakeUser) -> None:
    server.inject_error("sendMessage", "Too Many Requests: retry after 3", 429, retry_after=3)
    body = await api("sendMessage", chat_id=user.id, text="x")
    assert body["parameters"] == {"retry_after": 3} and body["error_code"] == 429
    await api.ok("sendMessage", chat_id=user.id, text="x")
    assert server.errors[0].injected
    server.assert_no_errors()


# --------------------------------------------------------------------------------------------
# The waiting helpers
# --------------------------------------------------------------------------------------------


async def test_waits_return_in_order_and_explain_timeouts(
    server: FakeBotApi, api: RawApi, user: FakeUser
) -> None:
    for text in ("eins", "zwei", "drei"):
        await api.ok("sendMessage", chat_id=user.id, text=text)
    assert [m.text for m in await server.wait_for_messages(user, count=2)] == ["eins", "zwei"]
    assert (await server.wait_for_message(user)).text == "drei"
    await server.assert_no_new_messages(user, within=0.01)
    await api("sendMessage", chat_id=user.id, text="<p>x</p>", parse_mode="HTML")
    with pytest.raises(AssertionError) as caught:
        await server.wait_for_messages(user, count=1, timeout=0.05)
    report = str(caught.value)
    assert "got 0" in report and "'drei'" in report and 'Unsupported start tag "p"' in report
    with pytest.raises(AssertionError, match="The bot received Bot API errors"):
        server.assert_no_errors()
    with pytest.raises(AssertionError, match="waiting for an edit"):
        await server.wait_for_edit(user, timeout=0.01)
    call = await server.wait_for_call("sendmessage", predicate=lambda c: c.params["text"] == "zwei")
    assert call.params["chat_id"] == user.id


async def test_user_side_commands_get_utf16_entities(server: FakeBotApi, api: RawApi) -> None:
    ann = server.add_user(user_id=7, first_name="Ann", username="ann")
    await server.send_text(ann, "😀 /hilfe@fake_test_bot jetzt /a/b")
    [update] = await api.ok("getUpdates")
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 3, "length": 20}]
    assert update["message"]["from"]["username"] == "ann"


# --------------------------------------------------------------------------------------------
# A real python-telegram-bot v22 Application, long polling against the emulator
# --------------------------------------------------------------------------------------------


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_user is not None and update.message is not None
    name = html.escape(update.effective_user.first_name)
    await update.message.reply_html(f"<b>Hallo {name}</b>!")


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Nochmal", callback_data="again"),
                InlineKeyboardButton("Mehr", url="https://example.org/mehr"),
            ]
        ]
    )
    await update.message.reply_html(
        f"Echo: <i>{html.escape(update.message.text)}</i>", reply_markup=buttons
    )


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Erledigt")
    await query.edit_message_text(f"Gedrückt: {query.data}")


async def test_real_ptb_application_end_to_end(server: FakeBotApi) -> None:
    ann = server.add_user(user_id=4242, first_name="Ann & Co", language_code="de")
    app = (
        Application.builder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(CallbackQueryHandler(_button))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=3))
        await app.start()
        try:
            await server.send_text(ann, "/start")
            greeting = await server.wait_for_message(ann)
            assert greeting.text == "Hallo Ann & Co!"
            assert greeting.html == "<b>Hallo Ann &amp; Co</b>!"

            await server.send_text(ann, "1 < 2 & 3")
            echo = await server.wait_for_message(ann)
            assert echo.text == "Echo: 1 < 2 & 3"
            assert echo.buttons == [[("Nochmal", "again"), ("Mehr", "https://example.org/mehr")]]

            query_id = await server.press_button(ann, echo, "again")
            assert (await server.wait_for_callback_answer(query_id))["text"] == "Erledigt"
            assert await server.wait_for_edit(ann, echo) is echo
            assert (echo.text, echo.buttons) == ("Gedrückt: again", [])
            await server.assert_no_new_messages(ann, within=0.05)
        finally:
            await app.updater.stop()
            await app.stop()

    methods = [call.method for call in server.calls]
    for method in (
        "getMe",
        "deleteWebhook",
        "getUpdates",
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    ):
        assert method in methods
    polls = server.calls_to("getUpdates")
    assert polls[0].params["timeout"] == 3
    offsets = [c.params.get("offset", 0) for c in polls]
    assert offsets == sorted(offsets) and offsets[-1] > 0
    assert server.pending_updates == []  # PTB confirmed everything on shutdown
    server.assert_no_errors()
    assert server.errors == []
