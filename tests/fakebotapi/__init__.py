"""Loopback Telegram Bot API emulator for end-to-end tests (see :mod:`.server`).

The real python-telegram-bot ``Application`` talks HTTP to :class:`FakeBotApi` on 127.0.0.1
while the test plays the users; the emulator rejects what Telegram rejects (unparsable HTML,
invalid buttons, unknown chats, edits that change nothing, ...) so that bot bugs fail tests.
"""

from .html_check import (
    EntityParseError,
    ParsedText,
    check_html,
    check_link,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    parse_text,
    utf16_len,
)
from .server import (
    ApiError,
    BotApiError,
    BotCommandSpec,
    Call,
    ChatMessage,
    FakeBotApi,
    FakeUser,
    StoredFile,
    UploadedFile,
)

__all__ = [
    "ApiError",
    "BotApiError",
    "BotCommandSpec",
    "Call",
    "ChatMessage",
    "EntityParseError",
    "FakeBotApi",
    "FakeUser",
    "ParsedText",
    "StoredFile",
    "UploadedFile",
    "check_html",
    "check_link",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "parse_text",
    "utf16_len",
]
