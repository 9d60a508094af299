"""A loopback Telegram Bot API emulator for end-to-end tests of python-telegram-bot bots.

Why: unit tests with mocked ``Bot`` methods accept anything, so bugs that only Telegram
catches (HTML it cannot parse, a 65-byte ``callback_data``, an edit that changes nothing, a
message to a user who never wrote) reach production.  This server speaks real HTTP, so the real
``Application`` and ``Updater`` (long polling via ``getUpdates``) run unchanged against it, and it
answers with Telegram's status codes and descriptions, so such bugs fail the test.  The test plays
the users through :class:`FakeBotApi` methods and waits for what the bot sends.

Typical use::

    async with FakeBotApi() as server:
        user = server.add_user(user_id=1001, first_name="Ann", language_code="de")
        app = (
            Application.builder()
            .token(server.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        ...  # add handlers, then: async with app: start updater polling and the app
        await server.send_text(user, "/start")
        [reply] = await server.wait_for_messages(user, count=1, timeout=5)
        assert reply.text == "Hallo!"
        await server.press_button(user, reply, "menu:settings")
        edited = await server.wait_for_edit(user, reply)
        server.assert_no_errors()

Everything runs on 127.0.0.1 in the test's own event loop; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html as html_lib
import itertools
import json
import re
import struct
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, NamedTuple, TypeVar

from aiohttp import web
from aiohttp.web_request import FileField

from .html_check import (
    EntityParseError,
    EntityValidationError,
    LinkError,
    ParsedText,
    UnsupportedParseModeError,
    check_link,
    parse_text,
    trim_text,
    utf16_len,
    validate_entities,
)

__all__ = [
    "ApiError",
    "BotApiError",
    "BotCommandSpec",
    "Call",
    "ChatMessage",
    "FakeBotApi",
    "FakeUser",
    "StoredFile",
    "UploadedFile",
]

T = TypeVar("T")
JSON = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAFakeBotApiTestToken_0123456789abcdef"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_COMMANDS = 100
MAX_LONG_POLL_SECONDS = 50
CONFLICT_GRACE_SECONDS = 0.1
CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
UPDATE_TYPES_OFF_BY_DEFAULT = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
COMMAND_SCOPES = frozenset(
    [
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    ]
)
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
KEYBOARD_BOOL_FIELDS = ("resize_keyboard", "one_time_keyboard", "selective", "is_persistent")
LINK_PREVIEW_BOOL_FIELDS = (
    "is_disabled",
    "prefer_small_media",
    "prefer_large_media",
    "show_above_text",
)
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")

# How recorded calls decode form fields (everything arrives as strings, as at Telegram).
JSON_FIELDS = frozenset(
    [
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "allowed_updates",
        "results",
        "menu_button",
        "button",
        "media",
    ]
)
INT_FIELDS = frozenset(
    [
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "user_id",
        "message_thread_id",
        "reply_to_message_id",
        "live_period",
        "heading",
        "proximity_alert_radius",
    ]
)
FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
BOOL_FIELDS = frozenset(
    [
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "is_personal",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
    ]
)


# --------------------------------------------------------------------------------------------
# Records the tests look at
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, exactly as the bot uploaded it."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class StoredFile:
    """A file the emulator knows by ``file_id`` (uploaded by the bot, sent by a user, or a URL)."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    source_url: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_path(self) -> str:
        """Path under ``base_file_url`` + token, as returned by getFile."""
        suffix = PurePosixPath(self.file_name or "").suffix
        return f"files/{self.file_unique_id}{suffix}"


class Call(NamedTuple):
    """One HTTP request to the API: canonical method name and decoded parameters."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ApiError:
    """A 4xx answer the bot received (or an injected one, flagged ``injected``)."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str
    injected: bool = False

    def __str__(self) -> str:
        return f"{self.method} -> {self.error_code} {self.description}"


class BotCommandSpec(NamedTuple):
    """A command as stored by setMyCommands; equal to a ``(command, description)`` tuple."""

    command: str
    description: str


@dataclass
class FakeUser:
    """A Telegram user the test plays; its private chat has ``chat_id == id``."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False
    has_written: bool = False
    blocked_bot: bool = False

    @property
    def chat_id(self) -> int:
        return self.id

    def to_api(self) -> JSON:
        """The Bot API ``User`` object."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        if self.is_premium:
            data["is_premium"] = True
        return data

    def chat_api(self) -> JSON:
        """The Bot API ``Chat`` object of the private chat with this user."""
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class ChatMessage:
    """A message in a private chat, sent by the bot (``from_bot``) or by the test user.

    The object is live: edits and deletions by the bot update it in place, and ``history``
    keeps the earlier raw texts (oldest first).
    """

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    kind: str = "text"  # text, photo, document, location, venue
    text: str | None = None  # plain text users see (the caption for media)
    raw_text: str | None = None  # exactly what the bot sent, before parse_mode
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    reply_to_message_id: int | None = None
    location: JSON | None = None
    venue: JSON | None = None
    file: StoredFile | None = None
    link_preview_options: JSON | None = None
    edit_date: int | None = None
    history: list[str | None] = field(default_factory=list)
    deleted: bool = False

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def html(self) -> str:
        """The text as Telegram HTML: the bot's raw text if it used HTML, else rendered."""
        if (self.parse_mode or "").lower() == "html" and self.raw_text is not None:
            return self.raw_text
        if not self.entities:
            return html_lib.escape(self.text or "", quote=False)
        from telegram import Message  # python-telegram-bot renders entities faithfully

        message = Message.de_json(self._render_stub(), None)
        return (message.text_html if self.kind == "text" else message.caption_html) or ""

    def _render_stub(self) -> JSON:
        text_key, entities_key = (
            ("text", "entities") if self.kind == "text" else ("caption", "caption_entities")
        )
        return {
            "message_id": self.message_id,
            "date": self.date,
            "chat": {"id": self.chat_id, "type": "private"},
            text_key: self.text or "",
            entities_key: self.entities,
        }

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """The raw inline keyboard rows (empty without one)."""
        if not self.reply_markup:
            return []
        return list(self.reply_markup.get("inline_keyboard", []))

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline buttons as rows of ``(text, callback_data or url or other action value)``."""
        return [
            [(button["text"], _button_value(button)) for button in row]
            for row in self.inline_keyboard
        ]

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values of the inline keyboard, row by row."""
        return [
            b["callback_data"] for row in self.inline_keyboard for b in row if "callback_data" in b
        ]

    @property
    def keyboard(self) -> list[list[str]]:
        """Texts of a reply keyboard sent with this message (empty without one)."""
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def find_button(self, text: str) -> JSON | None:
        """The inline button whose text is ``text``, or None."""
        return next((b for row in self.inline_keyboard for b in row if b.get("text") == text), None)

    def to_api(self, sender: JSON, chat: JSON, reply_to: JSON | None = None) -> JSON:
        """The Bot API ``Message`` object."""
        data: JSON = {
            "message_id": self.message_id,
            "from": sender,
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        data.update(self._content_api())
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    def _content_api(self) -> JSON:
        if self.kind == "text":
            content: JSON = {"text": self.text or ""}
            if self.entities:
                content["entities"] = self.entities
            if self.link_preview_options:
                content["link_preview_options"] = self.link_preview_options
            return content
        content = {}
        if self.kind == "location":
            content["location"] = self.location
        elif self.kind == "venue":
            content["venue"] = self.venue
            content["location"] = (self.venue or {}).get("location")
        elif self.kind == "photo" and self.file:
            content["photo"] = _photo_sizes(self.file)
        elif self.kind == "document" and self.file:
            content["document"] = _document_api(self.file)
        if self.text:
            content["caption"] = self.text
            if self.entities:
                content["caption_entities"] = self.entities
        return content

    def describe(self) -> str:
        """One line for assertion messages."""
        who = "bot" if self.from_bot else "user"
        flags = "".join([" (edited)" if self.edited else "", " (deleted)" if self.deleted else ""])
        body = repr(self.text) if self.kind == "text" else f"<{self.kind}> {self.text or ''!r}"
        buttons = f" buttons={self.buttons}" if self.inline_keyboard else ""
        return f"#{self.message_id} {who}: {body}{buttons}{flags}"


def _button_value(button: Mapping[str, Any]) -> str | None:
    for action in INLINE_ACTIONS:
        value = button.get(action)
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            return str(value.get("url") or value.get("text") or value.get("query") or "")
    return None


def _photo_sizes(stored: StoredFile) -> list[JSON]:
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width,
            "height": stored.height,
            "file_size": len(stored.data),
        }
    ]


def _document_api(stored: StoredFile) -> JSON:
    data: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.file_name:
        data["file_name"] = stored.file_name
    if stored.mime_type:
        data["mime_type"] = stored.mime_type
    return data


# --------------------------------------------------------------------------------------------
# Errors and request parameters
# --------------------------------------------------------------------------------------------


class BotApiError(Exception):
    """An error answer of the Bot API; raised by method handlers, turned into JSON."""

    def __init__(
        self,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        *,
        injected: bool = False,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.injected = injected

    def payload(self) -> JSON:
        data: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def bad_request(reason: str) -> BotApiError:
    """Telegram's 400 answer, ``Bad Request: <reason>``."""
    return BotApiError(400, f"Bad Request: {reason}")


def _to_integer(value: str) -> int:
    """TDLib's to_integer: an optional sign and leading digits; anything else reads as 0."""
    match = re.match(r"\s*([+-]?\d+)", value)
    return int(match.group(1)) if match else 0


class Params:
    """Request parameters as the Bot API sees them: strings (or uploaded files) by name.

    Why strings: Telegram accepts the same method as a query string, a form, multipart or JSON,
    and converts each field according to the method, e.g. ``chat_id`` ``"42"`` and ``42`` are
    the same, and ``reply_markup`` is JSON text.  Handlers read fields with typed getters.
    """

    def __init__(self, values: Mapping[str, str | UploadedFile]) -> None:
        self.values = dict(values)

    def has(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if isinstance(value, str) else None

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.get_str(name)
        return default if value is None or value == "" else _to_integer(value)

    def get_float(self, name: str) -> float | None:
        value = self.get_str(name)
        try:
            return float(value) if value else None
        except ValueError:
            return None

    def get_bool(self, name: str) -> bool:
        return (self.get_str(name) or "").strip().lower() in ("true", "1", "yes")

    def get_json(self, name: str, what: str | None = None) -> Any:
        value = self.get_str(name)
        if value is None or value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what or name} JSON object") from None

    def get_file(self, name: str) -> UploadedFile | None:
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.values.get(value[len("attach://") :])
        return value if isinstance(value, UploadedFile) else None


def decode_for_record(values: Mapping[str, str | UploadedFile]) -> dict[str, Any]:
    """Turn wire strings back into natural Python values for :attr:`FakeBotApi.calls`."""
    return {name: _decode_value(name, value) for name, value in values.items()}


def _decode_value(name: str, value: str | UploadedFile) -> Any:
    if isinstance(value, UploadedFile):
        return value
    try:
        if name in JSON_FIELDS:
            return json.loads(value)
        if name in INT_FIELDS or (name == "chat_id" and re.fullmatch(r"-?\d+", value)):
            return int(value)
        if name in FLOAT_FIELDS:
            return float(value)
    except ValueError:
        return value
    if name in BOOL_FIELDS:
        return value.strip().lower() in ("true", "1", "yes")
    return value


def _json_field_to_wire(value: Any) -> str | None:
    """How a top-level JSON body value reaches a method: as the string form would carry it."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


# --------------------------------------------------------------------------------------------
# reply_markup validation (module level: pure functions of the JSON)
# --------------------------------------------------------------------------------------------


def _require_bool(container: Mapping[str, Any], names: Iterable[str], prefix: str = "") -> None:
    for name in names:
        if name in container and not isinstance(container[name], bool):
            raise bad_request(f'{prefix}field "{name}" must be of type Boolean')


def validate_reply_markup(markup: Any, *, inline_only: bool = False) -> JSON:
    """Check a ``reply_markup`` object like the Bot API; return it unchanged."""
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in markup:
        validate_inline_keyboard(markup["inline_keyboard"])
    elif inline_only:
        raise bad_request("inline keyboard expected")
    elif "keyboard" in markup:
        _validate_reply_keyboard(markup)
    elif "remove_keyboard" in markup:
        _require_bool(markup, ("remove_keyboard", "selective"))
    elif "force_reply" in markup:
        _require_bool(markup, ("force_reply", "selective"))
        _check_placeholder(markup)
    else:
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def validate_inline_keyboard(rows: Any) -> None:
    """Rows of buttons, each with text and exactly one action; at most 100 buttons."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be of type Array')
    count = 0
    for row in rows:
        for button in row:
            _validate_inline_button(button)
            count += 1
    if count > MAX_INLINE_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")


def _validate_inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "expected an Object")
    if "text" not in button:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    actions = [a for a in INLINE_ACTIONS if _has_action(button, a)]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            prefix + f"exactly one of the optional fields must be used, got {actions} "
            "(fakebotapi: the Bot API documentation requires exactly one)"
        )
    _validate_inline_action(actions[0], button[actions[0]])


def _has_action(button: Mapping[str, Any], action: str) -> bool:
    """Whether a button uses an action; an empty callback_data or url counts as absent.

    (An empty switch_inline_query is a real action: it inserts just the bot's username.)
    """
    value = button.get(action)
    if action in ("callback_data", "url"):
        return value not in (None, "")
    return value is not None and value is not False


def _validate_inline_action(action: str, value: Any) -> None:
    if action == "callback_data":
        if (
            not isinstance(value, str)
            or not 1 <= len(value.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
        ):
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        try:
            check_link(str(value))
        except LinkError as error:
            raise bad_request(f"inline keyboard button URL '{value}' is invalid: {error}") from None
    elif action == "web_app":
        _check_web_app(value, "inline keyboard button")
    elif action in ("callback_game", "pay"):
        raise bad_request("BUTTON_TYPE_INVALID")
    elif action == "copy_text":
        text = value.get("text") if isinstance(value, dict) else None
        if not isinstance(text, str) or not 1 <= len(text) <= 256:
            raise bad_request("BUTTON_COPY_TEXT_INVALID")


def _check_web_app(value: Any, where: str) -> None:
    url = value.get("url", "") if isinstance(value, dict) else ""
    if not str(url).lower().startswith("https://"):
        raise bad_request(f"{where} Web App URL '{url}' is invalid: Only HTTPS links are allowed")


def _validate_reply_keyboard(markup: JSON) -> None:
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" must be of type Array')
    _require_bool(markup, KEYBOARD_BOOL_FIELDS)
    _check_placeholder(markup)
    for row in rows:
        for button in row:
            _validate_keyboard_button(button)


def _validate_keyboard_button(button: Any) -> None:
    if isinstance(button, str):
        return
    prefix = "can't parse keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "expected an Object")
    if "text" not in button:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    _require_bool(button, ("request_contact", "request_location"), prefix)
    if "web_app" in button:
        _check_web_app(button["web_app"], "keyboard button")


def _check_placeholder(markup: JSON) -> None:
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
        raise bad_request(
            'field "input_field_placeholder" must be a String of at most 64 characters'
        )


def validate_link_preview(options: Any) -> JSON:
    """``link_preview_options``: an object whose flags are booleans."""
    if not isinstance(options, dict):
        raise bad_request("object expected as link preview options")
    _require_bool(options, LINK_PREVIEW_BOOL_FIELDS)
    return options


def validate_commands(commands: Any) -> list[BotCommandSpec]:
    """setMyCommands' list, with TDLib's checks and the server's BOT_COMMAND_INVALID."""
    if not isinstance(commands, list):
        raise bad_request('field "commands" must be of type Array')
    specs = [_validate_command(raw) for raw in commands]
    if len(specs) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    return specs


def _validate_command(raw: Any) -> BotCommandSpec:
    if not isinstance(raw, dict):
        raise bad_request("can't parse BotCommand: expected an Object")
    for name in ("command", "description"):
        if name not in raw:
            raise bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
    command = str(raw["command"]).strip().removeprefix("/")
    description = str(raw["description"]).strip()
    if not command:
        raise bad_request("command must be non-empty")
    if len(command) > 32:
        raise bad_request("command length must not exceed 32")
    if not description:
        raise bad_request("command description must be non-empty")
    if len(description) > 256:
        raise bad_request("command description length must not exceed 256")
    if not re.fullmatch(r"[a-z0-9_]+", command):
        raise bad_request("BOT_COMMAND_INVALID")
    return BotCommandSpec(command, description)


def _check_language_code(code: str) -> None:
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")


def scope_key(scope: Any) -> str:
    """Canonical key of a BotCommandScope (None/"default"/dict/PTB object accepted)."""
    if scope is None:
        scope = {"type": "default"}
    elif isinstance(scope, str):
        scope = {"type": scope}
    elif hasattr(scope, "to_dict"):
        scope = scope.to_dict()
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    if scope.get("type") not in COMMAND_SCOPES:
        raise bad_request("unsupported bot command scope type")
    if scope["type"].startswith("chat") and "chat_id" not in scope:
        raise bad_request("can't parse BotCommandScope: Can't find field \"chat_id\"")
    keys = ("type", "chat_id", "user_id")
    return json.dumps({k: scope[k] for k in keys if k in scope}, sort_keys=True)


def _is_image(data: bytes) -> bool:
    return data.startswith(IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (others get a nominal size: tests rarely care)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 100, 100


_BOT_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")


def bot_command_entities(text: str) -> list[JSON]:
    """The ``bot_command`` entities Telegram detects in a user's text (UTF-16 offsets)."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for m in _BOT_COMMAND_RE.finditer(text)
    ]


# --------------------------------------------------------------------------------------------
# Per-chat state
# --------------------------------------------------------------------------------------------


@dataclass
class _ChatState:
    """Messages of one private chat, plus the read cursors of the waiting helpers."""

    messages: dict[int, ChatMessage] = field(default_factory=dict)
    bot_messages: list[ChatMessage] = field(default_factory=list)
    read_cursor: int = 0
    edit_log: list[ChatMessage] = field(default_factory=list)
    edit_cursor: int = 0
    reply_keyboard: JSON | None = None


@dataclass
class _CallbackQuery:
    query_id: str
    user_id: int
    created: float
    answer: dict[str, Any] | None = None


@dataclass
class _PollState:
    """getUpdates bookkeeping: a newer request terminates an older one (409), as at Telegram."""

    generation: int = 0
    allowed_updates: frozenset[str] | None = None


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotApi:
    """Loopback Bot API server plus the user-side controls of an end-to-end test.

    Start it in the event loop of the test (``async with FakeBotApi() as server`` or
    ``await server.start()`` / ``await server.stop()``); point PTB at :attr:`base_url` and
    :attr:`base_file_url`.  All waits are bounded and fail with an :class:`AssertionError`
    that shows what the chat received and which API errors the bot got.

    Args:
        token: the bot token the server accepts; any other token gets 401 Unauthorized.
        bot_username / bot_first_name: the bot user returned by getMe.
        strict_html: also reject a bare ``&`` in HTML (see :mod:`.html_check`).
        callback_query_timeout: seconds after which answerCallbackQuery says the query is too old.
        host / port: where to listen; port 0 picks a free port.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "fake_test_bot",
        bot_first_name: str = "Fake Test Bot",
        strict_html: bool = True,
        callback_query_timeout: float = 15.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.strict_html = strict_html
        self.callback_query_timeout = callback_query_timeout
        self.host, self.port = host, port
        bot_id = _to_integer(token.split(":", 1)[0]) or 123456789
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[Call] = []
        """Every request, in order, as ``(method, params)``."""
        self.errors: list[ApiError] = []
        """Every 4xx answer the bot received."""
        self.chat_actions: list[tuple[int, str]] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.inline_answers: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.webhook_url: str | None = None
        self.logged_out = False
        self.closed = False
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, _ChatState] = {}
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._updates: list[JSON] = []
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._inline_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[BotCommandSpec]] = {}
        self._menu_buttons: dict[int | None, JSON] = {}
        self._injected: dict[str, list[BotApiError]] = {}
        self._poll = _PollState()
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._handlers = self._method_table()

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        """Listen on ``host:port`` (port 0: a free one); returns self."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Answer pending long polls with no updates and shut the server down."""
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:53211``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url``: PTB appends the token and the method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder.base_file_url``: PTB appends the token and the file path."""
        return f"{self.url}/file/bot"

    @property
    def api_url(self) -> str:
        """``base_url`` + token: append ``/<method>`` for raw HTTP calls."""
        return f"{self.base_url}{self.token}"

    # -- users and what they do ------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_premium: bool = False,
    ) -> FakeUser:
        """Register a user; the bot can write to them only after they wrote to the bot."""
        user = FakeUser(user_id, first_name, last_name, username, language_code, is_premium)
        self._users[user_id] = user
        self._chats.setdefault(user_id, _ChatState())
        return user

    def user(self, user_id: int) -> FakeUser:
        """The registered user with this id."""
        return self._users[user_id]

    def block_bot(self, user: FakeUser, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends get 403 Forbidden."""
        user.blocked_bot = blocked

    async def send_text(
        self, user: FakeUser, text: str, *, reply_to: ChatMessage | int | None = None
    ) -> ChatMessage:
        """The user writes ``text`` (``/commands`` get bot_command entities); queues the update."""
        entities = bot_command_entities(text)
        message = self._new_message(
            user, from_bot=False, text=text, raw_text=text, entities=entities
        )
        message.reply_to_message_id = self._message_id_of(reply_to)
        await self._queue_message(user, message)
        return message

    async def send_location(self, user: FakeUser, latitude: float, longitude: float) -> ChatMessage:
        """The user shares a location; queues the update."""
        message = self._new_message(user, from_bot=False, kind="location")
        message.location = {"latitude": latitude, "longitude": longitude}
        await self._queue_message(user, message)
        return message

    async def send_document(
        self,
        user: FakeUser,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> ChatMessage:
        """The user sends a file; the bot can getFile and download it from :attr:`base_file_url`."""
        stored = self._store_file(data, file_name, mime_type)
        message = self._new_message(user, from_bot=False, kind="document", text=caption)
        message.file = stored
        await self._queue_message(user, message)
        return message

    async def press_button(
        self,
        user: FakeUser,
        message: ChatMessage | int,
        callback_data: str | None = None,
        *,
        text: str | None = None,
    ) -> str:
        """The user presses an inline button (by ``callback_data`` or by ``text``).

        Raises AssertionError if the message (as currently edited) has no such callback
        button.  Queues a callback_query update and returns its id, for
        :meth:`wait_for_callback_answer`.
        """
        stored = self._bot_message(user, message)
        button = self._pressable_button(stored, callback_data, text)
        query_id = str(next(self._query_ids))
        self._callback_queries[query_id] = _CallbackQuery(query_id, user.id, time.monotonic())
        user.has_written = True
        query = {
            "id": query_id,
            "from": user.to_api(),
            "message": self._message_api(stored),
            "chat_instance": str(_stable_hash(f"chat:{user.id}")),
            "data": button["callback_data"],
        }
        await self._queue_update("callback_query", query)
        return query_id

    async def send_inline_query(self, user: FakeUser, query: str, offset: str = "") -> str:
        """The user types ``@bot query``; queues an inline_query update and returns its id."""
        query_id = str(next(self._query_ids))
        self._inline_queries.add(query_id)
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        await self._queue_update("inline_query", payload)
        return query_id

    # -- waiting for the bot ---------------------------------------------------------------

    async def wait_for_messages(
        self, user: FakeUser, count: int = 1, timeout: float = 5.0
    ) -> list[ChatMessage]:
        """Wait until the bot has sent ``count`` messages to the user since the last wait.

        Returns exactly the next ``count`` unread messages (later ones stay unread).  The
        objects are live: later edits by the bot show up in them.
        """
        chat = self._chat_state(user.id)

        def ready() -> list[ChatMessage] | None:
            unread = chat.bot_messages[chat.read_cursor :]
            if len(unread) < count:
                return None
            chat.read_cursor += count
            return unread[:count]

        def explain() -> str:
            unread = chat.bot_messages[chat.read_cursor :]
            return (
                f"Timed out after {timeout}s waiting for {count} new message(s) from the bot to "
                f"user {user.id}; got {len(unread)}.\n" + self._chat_report(user)
            )

        return await self._wait(ready, timeout, explain)

    async def wait_for_message(self, user: FakeUser, timeout: float = 5.0) -> ChatMessage:
        """Shortcut for one message: ``(await wait_for_messages(user, 1, timeout))[0]``."""
        return (await self.wait_for_messages(user, 1, timeout))[0]

    async def wait_for_edit(
        self, user: FakeUser, message: ChatMessage | int | None = None, timeout: float = 5.0
    ) -> ChatMessage:
        """Wait for the next edit (text or keyboard) of a bot message in the user's chat.

        With ``message``, edits of other messages are skipped.  Returns the edited message.
        """
        chat = self._chat_state(user.id)
        wanted = self._message_id_of(message)

        def ready() -> ChatMessage | None:
            for index in range(chat.edit_cursor, len(chat.edit_log)):
                edited = chat.edit_log[index]
                if wanted is None or edited.message_id == wanted:
                    chat.edit_cursor = index + 1
                    return edited
            return None

        def explain() -> str:
            target = f"message #{wanted}" if wanted else "any message"
            return (
                f"Timed out after {timeout}s waiting for an edit of {target} for user {user.id}.\n"
                + self._chat_report(user)
            )

        return await self._wait(ready, timeout, explain)

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the bot answered the callback query; returns the answer's parameters."""

        def explain() -> str:
            return (
                f"Timed out after {timeout}s waiting for answerCallbackQuery({query_id!r}).\n"
                + self._errors_report()
            )

        return await self._wait(lambda: self.callback_answers.get(query_id), timeout, explain)

    async def wait_for_call(
        self, method: str, timeout: float = 5.0, predicate: Callable[[Call], bool] | None = None
    ) -> Call:
        """Wait until the bot called ``method`` (successfully or not), matching ``predicate``."""

        def ready() -> Call | None:
            return next(
                (
                    c
                    for c in self.calls
                    if c.method.lower() == method.lower() and (predicate is None or predicate(c))
                ),
                None,
            )

        def explain() -> str:
            made = ", ".join(c.method for c in self.calls[-20:]) or "none"
            return (
                f"Timed out after {timeout}s waiting for a {method} call; last calls: {made}.\n"
                + self._errors_report()
            )

        return await self._wait(ready, timeout, explain)

    async def assert_no_new_messages(self, user: FakeUser, within: float = 0.2) -> None:
        """Wait ``within`` seconds and fail if the bot sent the user anything unread."""
        await asyncio.sleep(within)
        chat = self._chat_state(user.id)
        unread = chat.bot_messages[chat.read_cursor :]
        if unread:
            lines = "\n".join("  " + m.describe() for m in unread)
            raise AssertionError(f"Expected no new messages for user {user.id}, got:\n{lines}")

    def assert_no_errors(self) -> None:
        """Fail with a readable list if the bot received any (not injected) 4xx answer."""
        real = [e for e in self.errors if not e.injected]
        if real:
            raise AssertionError(
                "The bot received Bot API errors:\n" + "\n".join(f"  {e}" for e in real)
            )

    # -- inspection --------------------------------------------------------------------------

    def messages(self, user: FakeUser) -> list[ChatMessage]:
        """All messages of the user's private chat (both sides, deleted ones included)."""
        return list(self._chat_state(user.id).messages.values())

    def bot_messages(self, user: FakeUser) -> list[ChatMessage]:
        """Messages the bot sent to the user, in order (read or not)."""
        return list(self._chat_state(user.id).bot_messages)

    def reply_keyboard(self, user: FakeUser) -> list[list[str]] | None:
        """Texts of the reply keyboard the user currently sees (None if none or removed)."""
        markup = self._chat_state(user.id).reply_keyboard
        if not markup:
            return None
        return [
            [b if isinstance(b, str) else b.get("text", "") for b in row]
            for row in markup["keyboard"]
        ]

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def commands(self, scope: Any = None, language_code: str = "") -> list[BotCommandSpec]:
        """Commands stored by setMyCommands for this exact scope and language (no fallback)."""
        return list(self._commands.get((scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> JSON:
        """The menu button set for a chat (None: the default for all chats)."""
        return self._menu_buttons.get(chat_id, {"type": "default"})

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by the bot's getUpdates offset."""
        return list(self._updates)

    def inject_error(
        self, method: str, description: str, error_code: int = 400, retry_after: int | None = None
    ) -> None:
        """Make the next call of ``method`` fail with this answer (e.g. 429 with retry_after)."""
        error = BotApiError(error_code, description, retry_after, injected=True)
        self._injected.setdefault(method.lower(), []).append(error)

    # -- waiting machinery -------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait(
        self, ready: Callable[[], T | None], timeout: float, explain: Callable[[], str]
    ) -> T:
        """Re-check ``ready`` on every change until it returns a value or ``timeout`` passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while True:
                result = ready()
                if result is not None:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(explain())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    def _chat_report(self, user: FakeUser) -> str:
        lines = [m.describe() for m in self.messages(user)[-15:]]
        history = "\n".join("  " + line for line in lines) or "  (no messages)"
        return f"Chat with user {user.id} so far (last 15):\n{history}\n" + self._errors_report()

    def _errors_report(self) -> str:
        if not self.errors:
            return "The bot received no Bot API errors."
        return "Bot API errors the bot received:\n" + "\n".join(f"  {e}" for e in self.errors[-10:])

    # -- state helpers -------------------------------------------------------------------------

    def _chat_state(self, chat_id: int) -> _ChatState:
        return self._chats.setdefault(chat_id, _ChatState())

    @staticmethod
    def _message_id_of(message: ChatMessage | int | None) -> int | None:
        return message.message_id if isinstance(message, ChatMessage) else message

    def _new_message(
        self, user: FakeUser, *, from_bot: bool, kind: str = "text", **fields: Any
    ) -> ChatMessage:
        message = ChatMessage(
            next(self._message_ids), user.id, from_bot, int(time.time()), kind, **fields
        )
        chat = self._chat_state(user.id)
        chat.messages[message.message_id] = message
        if from_bot:
            chat.bot_messages.append(message)
        return message

    def _message_api(self, message: ChatMessage) -> JSON:
        user = self._users[message.chat_id]
        sender = self.bot_user if message.from_bot else user.to_api()
        reply_to = None
        if message.reply_to_message_id is not None:
            original = self._chat_state(message.chat_id).messages.get(message.reply_to_message_id)
            if original is not None:
                original_sender = self.bot_user if original.from_bot else user.to_api()
                reply_to = original.to_api(original_sender, user.chat_api())
        return message.to_api(sender, user.chat_api(), reply_to)

    async def _queue_message(self, user: FakeUser, message: ChatMessage) -> None:
        user.has_written = True
        await self._queue_update("message", self._message_api(message))

    async def _queue_update(self, kind: str, payload: JSON) -> None:
        self._updates.append({"update_id": next(self._update_ids), kind: payload})
        await self._notify()

    def _store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, url: str | None = None
    ) -> StoredFile:
        number = next(self._file_ids)
        digest = hashlib.sha1(data + str(number).encode()).hexdigest()[:16]
        stored = StoredFile(
            f"FAKE-{number}-{digest}", f"U{number}{digest[:6]}", data, file_name, mime_type, url
        )
        stored.width, stored.height = _image_size(data)
        self.files[stored.file_id] = stored
        return stored

    def _bot_message(self, user: FakeUser, message: ChatMessage | int) -> ChatMessage:
        message_id = self._message_id_of(message)
        stored = self._chat_state(user.id).messages.get(message_id or 0)
        if stored is None or not stored.from_bot or stored.deleted:
            raise AssertionError(
                f"User {user.id} has no visible bot message #{message_id}.\n"
                + self._chat_report(user)
            )
        return stored

    @staticmethod
    def _pressable_button(
        message: ChatMessage, callback_data: str | None, text: str | None
    ) -> JSON:
        for row in message.inline_keyboard:
            for button in row:
                if callback_data is not None and button.get("callback_data") == callback_data:
                    return button
                if text is not None and button.get("text") == text and "callback_data" in button:
                    return button
        wanted = (
            f"callback_data={callback_data!r}" if callback_data is not None else f"text={text!r}"
        )
        raise AssertionError(
            f"Message #{message.message_id} has no callback button with {wanted}; "
            f"its buttons are {message.buttons or 'none'} (text: {message.text!r})"
        )

    # -- HTTP ------------------------------------------------------------------------------------

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(BotApiError(404, "Not Found").payload(), status=404)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(BotApiError(401, "Unauthorized").payload(), status=401)
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return web.json_response(BotApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _handle_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        canonical, handler = self._handlers.get(name.lower(), (name, None))
        try:
            values = await _read_params(request)
        except BotApiError as error:
            return await self._answer_error(request, Call(canonical, {}), error)
        call = Call(canonical, decode_for_record(values))
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise BotApiError(401, "Unauthorized")
            if handler is None:
                raise BotApiError(404, "Not Found")
            self._raise_injected(canonical)
            result = await handler(Params(values))
        except BotApiError as error:
            return await self._answer_error(request, call, error)
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    def _raise_injected(self, method: str) -> None:
        pending = self._injected.get(method.lower())
        if pending:
            raise pending.pop(0)

    async def _answer_error(
        self, request: web.Request, call: Call, error: BotApiError
    ) -> web.Response:
        if await self._client_still_there(request, error):
            record = ApiError(
                call.method, call.params, error.error_code, error.description, error.injected
            )
            self.errors.append(record)
        await self._notify()
        return web.json_response(error.payload(), status=error.error_code)

    @staticmethod
    async def _client_still_there(request: web.Request, error: BotApiError) -> bool:
        """A getUpdates terminated by a newer one only counts if its client still listens.

        PTB cancels its pending long poll when it stops and then polls once more; the cancelled
        request is gone, so Telegram's 409 for it reaches nobody and must not fail the test.
        """
        if error.error_code != 409 or "terminated" not in error.description:
            return True
        await asyncio.sleep(CONFLICT_GRACE_SECONDS)
        transport = request.transport
        return transport is not None and not transport.is_closing()

    # -- the methods -------------------------------------------------------------------------

    def _method_table(self) -> dict[str, tuple[str, Callable[[Params], Awaitable[Any]]]]:
        table: dict[str, Callable[[Params], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._log_out,
            "close": self._close,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendLocation": self._send_location,
            "sendVenue": self._send_venue,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "answerInlineQuery": self._answer_inline_query,
        }
        return {name.lower(): (name, handler) for name, handler in table.items()}

    async def _get_me(self, p: Params) -> JSON:
        return dict(self.bot_user)

    async def _log_out(self, p: Params) -> bool:
        self.logged_out = True
        return True

    async def _close(self, p: Params) -> bool:
        self.closed = True
        return True

    # getUpdates and webhooks

    async def _get_updates(self, p: Params) -> list[JSON]:
        if self.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        allowed = p.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._poll.allowed_updates = frozenset(allowed) or None
        self._confirm_updates(p.get_int("offset"))
        limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
        timeout = min(max(p.get_int("timeout", 0) or 0, 0), MAX_LONG_POLL_SECONDS)
        self._poll.generation += 1
        await self._notify()  # terminates an older pending long poll
        return await self._long_poll(self._poll.generation, limit, timeout)

    def _confirm_updates(self, offset: int | None) -> None:
        """Drop updates before ``offset``; a negative offset keeps only the last ``-offset``."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    async def _long_poll(self, generation: int, limit: int, timeout: int) -> list[JSON]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while True:
                if generation != self._poll.generation:
                    raise BotApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                updates = self._deliverable(limit)
                if updates or self._closing:
                    return updates
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    def _deliverable(self, limit: int) -> list[JSON]:
        """Updates for the bot, dropping types excluded by allowed_updates (as Telegram does)."""
        allowed = self._poll.allowed_updates
        kept = []
        for update in self._updates:
            kind = next(key for key in update if key != "update_id")
            if (
                (kind in allowed)
                if allowed is not None
                else (kind not in UPDATE_TYPES_OFF_BY_DEFAULT)
            ):
                kept.append(update)
        self._updates = kept
        return [json.loads(json.dumps(u)) for u in kept[:limit]]

    async def _set_webhook(self, p: Params) -> bool:
        url = p.get_str("url") or ""
        if url and not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url or None
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, p: Params) -> bool:
        self.webhook_url = None
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, p: Params) -> JSON:
        info: JSON = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._poll.allowed_updates is not None:
            info["allowed_updates"] = sorted(self._poll.allowed_updates)
        return info

    # sending

    def _target_user(self, p: Params) -> FakeUser:
        """Resolve ``chat_id`` to a private chat the bot may write to."""
        raw = (p.get_str("chat_id") or "").strip()
        if not raw:
            raise bad_request("chat_id is empty")
        user = self._users.get(int(raw)) if re.fullmatch(r"-?\d+", raw) else None
        if user is None or not user.has_written:
            raise bad_request("chat not found")
        if user.blocked_bot:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return user

    def _reply_markup(self, p: Params, *, inline_only: bool = False) -> JSON | None:
        markup = p.get_json("reply_markup", "reply keyboard markup")
        return None if markup is None else validate_reply_markup(markup, inline_only=inline_only)

    def _formatted(self, p: Params, raw: str, *, caption: bool = False) -> ParsedText:
        """Parse text or caption per parse_mode/entities and enforce Telegram's length limits."""
        entities = p.get_json("caption_entities" if caption else "entities", "entities")
        try:
            if entities is not None:
                parsed = validate_entities(raw, entities)
            else:
                parsed = parse_text(raw, p.get_str("parse_mode"), strict=self.strict_html)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        except EntityValidationError as error:
            raise bad_request(str(error)) from None
        except UnsupportedParseModeError:
            raise bad_request("unsupported parse_mode") from None
        parsed = trim_text(parsed)
        if caption:
            if utf16_len(parsed.text) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
        elif not parsed.text:
            raise bad_request("text must be non-empty")
        elif utf16_len(parsed.text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return parsed

    def _reply_to(self, p: Params, user: FakeUser) -> int | None:
        params = p.get_json("reply_parameters")
        if params is not None and not isinstance(params, dict):
            raise bad_request("object expected as reply parameters")
        if params is not None and "message_id" not in params:
            raise bad_request('can\'t find field "message_id"')
        if params is not None:
            message_id, lenient = (
                params.get("message_id"),
                bool(params.get("allow_sending_without_reply")),
            )
        else:
            message_id, lenient = (
                p.get_int("reply_to_message_id"),
                p.get_bool("allow_sending_without_reply"),
            )
        if message_id is None:
            return None
        exists = message_id in self._chat_state(user.id).messages
        if not exists and not lenient:
            raise bad_request("message to be replied not found")
        return message_id if exists else None

    def _deliver(
        self, user: FakeUser, kind: str, markup: JSON | None, reply_to: int | None, **fields: Any
    ) -> JSON:
        """Store a bot message and return its Bot API object."""
        message = self._new_message(user, from_bot=True, kind=kind, reply_markup=markup, **fields)
        message.reply_to_message_id = reply_to
        if markup and "keyboard" in markup:
            self._chat_state(user.id).reply_keyboard = markup
        elif markup and "remove_keyboard" in markup:
            self._chat_state(user.id).reply_keyboard = None
        return self._message_api(message)

    async def _send_message(self, p: Params) -> JSON:
        raw = p.get_str("text")
        if not raw:
            raise bad_request("message text is empty")
        user = self._target_user(p)
        markup = self._reply_markup(p)
        parsed = self._formatted(p, raw)
        preview = p.get_json("link_preview_options")
        if preview is not None:
            validate_link_preview(preview)
        reply_to = self._reply_to(p, user)
        return self._deliver(
            user,
            "text",
            markup,
            reply_to,
            text=parsed.text,
            raw_text=raw,
            parse_mode=p.get_str("parse_mode"),
            entities=parsed.entities,
            link_preview_options=preview,
        )

    async def _send_location(self, p: Params) -> JSON:
        user = self._target_user(p)
        location = _location(p)
        markup = self._reply_markup(p)
        return self._deliver(user, "location", markup, self._reply_to(p, user), location=location)

    async def _send_venue(self, p: Params) -> JSON:
        user = self._target_user(p)
        location = _location(p)
        title, address = p.get_str("title"), p.get_str("address")
        if not title:
            raise bad_request("venue title is empty")
        if not address:
            raise bad_request("venue address is empty")
        venue = {"location": location, "title": title, "address": address}
        markup = self._reply_markup(p)
        return self._deliver(user, "venue", markup, self._reply_to(p, user), venue=venue)

    async def _send_photo(self, p: Params) -> JSON:
        return await self._send_media(p, "photo")

    async def _send_document(self, p: Params) -> JSON:
        return await self._send_media(p, "document")

    async def _send_media(self, p: Params, kind: str) -> JSON:
        user = self._target_user(p)
        stored = self._input_file(p, kind)
        markup = self._reply_markup(p)
        raw_caption = p.get_str("caption") or ""
        parsed = self._formatted(p, raw_caption, caption=True)
        return self._deliver(
            user,
            kind,
            markup,
            self._reply_to(p, user),
            text=parsed.text or None,
            raw_text=raw_caption or None,
            parse_mode=p.get_str("parse_mode"),
            entities=parsed.entities,
            file=stored,
        )

    def _input_file(self, p: Params, kind: str) -> StoredFile:
        """An uploaded file, a known file_id or an http(s) URL (recorded, not fetched)."""
        upload = p.get_file(kind)
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            if kind == "photo" and not _is_image(upload.data):
                raise bad_request("IMAGE_PROCESS_FAILED")
            return self._store_file(upload.data, upload.filename, upload.content_type)
        reference = (p.get_str(kind) or "").strip()
        if not reference:
            raise bad_request(f"there is no {kind} in the request")
        if reference in self.files:
            return self.files[reference]
        if re.match(r"https?://", reference, re.IGNORECASE):
            return self._store_file(b"", reference.rsplit("/", 1)[-1] or None, None, url=reference)
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def _get_file(self, p: Params) -> JSON:
        stored = self.files.get(p.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _send_chat_action(self, p: Params) -> bool:
        user = self._target_user(p)
        action = p.get_str("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((user.id, action))
        return True

    # editing and deleting

    def _message_to_change(self, p: Params, missing: str) -> ChatMessage:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        user = self._target_user(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self._chat_state(user.id).messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        return message

    async def _edit_message_text(self, p: Params) -> JSON:
        raw = p.get_str("text")
        if not raw:
            raise bad_request("message text is empty")
        message = self._message_to_change(p, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        markup = _inline_or_none(self._reply_markup(p, inline_only=True))
        parsed = self._formatted(p, raw)
        current = (message.text, message.entities, _inline_or_none(message.reply_markup))
        if (parsed.text, parsed.entities, markup) == current:
            raise _not_modified()
        message.history.append(message.raw_text)
        message.text, message.raw_text, message.entities = parsed.text, raw, parsed.entities
        message.parse_mode, message.reply_markup = p.get_str("parse_mode"), markup
        return self._record_edit(message)

    async def _edit_message_reply_markup(self, p: Params) -> JSON:
        message = self._message_to_change(p, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        markup = _inline_or_none(self._reply_markup(p, inline_only=True))
        if markup == _inline_or_none(message.reply_markup):
            raise _not_modified()
        message.reply_markup = markup
        return self._record_edit(message)

    def _record_edit(self, message: ChatMessage) -> JSON:
        message.edit_date = int(time.time())
        self._chat_state(message.chat_id).edit_log.append(message)
        return self._message_api(message)

    async def _delete_message(self, p: Params) -> bool:
        message = self._message_to_change(p, "message to delete not found")
        message.deleted = True
        return True

    # callback and inline queries

    async def _answer_callback_query(self, p: Params) -> bool:
        query = self._callback_queries.get(p.get_str("callback_query_id") or "")
        expired = query is not None and (
            time.monotonic() - query.created > self.callback_query_timeout
        )
        if query is None or query.answer is not None or expired:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get_str("text") or ""
        if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = decode_for_record(p.values)
        self.callback_answers[query.query_id] = query.answer
        return True

    async def _answer_inline_query(self, p: Params) -> bool:
        query_id = p.get_str("inline_query_id") or ""
        if query_id not in self._inline_queries or query_id in self.inline_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        results = p.get_json("results")
        if not isinstance(results, list):
            raise bad_request('field "results" must be of type Array')
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        self.inline_answers[query_id] = decode_for_record(p.values)
        return True

    # commands and menu button

    def _command_target(self, p: Params) -> tuple[str, str]:
        language_code = p.get_str("language_code") or ""
        key = scope_key(p.get_json("scope", "scope"))
        _check_language_code(language_code)
        return key, language_code

    async def _set_my_commands(self, p: Params) -> bool:
        target = self._command_target(p)
        commands = validate_commands(p.get_json("commands") or [])
        if commands:
            self._commands[target] = commands
        else:
            self._commands.pop(target, None)
        return True

    async def _get_my_commands(self, p: Params) -> list[JSON]:
        target = self._command_target(p)
        return [spec._asdict() for spec in self._commands.get(target, [])]

    async def _delete_my_commands(self, p: Params) -> bool:
        self._commands.pop(self._command_target(p), None)
        return True

    async def _set_chat_menu_button(self, p: Params) -> bool:
        chat_id = self._target_user(p).id if p.has("chat_id") else None
        button = p.get_json("menu_button", "menu button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise bad_request("unsupported menu button type")
        if button["type"] == "web_app":
            if not button.get("text"):
                raise bad_request("menu button text is empty")
            _check_web_app(button.get("web_app"), "menu button")
        self._menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, p: Params) -> JSON:
        chat_id = self._target_user(p).id if p.has("chat_id") else None
        return self.menu_button(chat_id)


def _inline_or_none(markup: JSON | None) -> JSON | None:
    """The part of a markup that belongs to a message: an inline keyboard with buttons."""
    if not markup or not any(markup.get("inline_keyboard") or []):
        return None
    return markup


def _not_modified() -> BotApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _location(p: Params) -> JSON:
    latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
    if latitude is None or not -90 <= latitude <= 90:
        raise bad_request("wrong latitude specified")
    if longitude is None or not -180 <= longitude <= 180:
        raise bad_request("wrong longitude specified")
    return {"latitude": latitude, "longitude": longitude}


def _stable_hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


async def _read_params(request: web.Request) -> dict[str, str | UploadedFile]:
    """Merge query string and body (form, multipart or JSON) into wire-format values."""
    values: dict[str, str | UploadedFile] = dict(request.query)
    if not request.can_read_body:
        return values
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if isinstance(body, dict):
            for name, value in body.items():
                wire = _json_field_to_wire(value)
                if wire is not None:
                    values[name] = wire
        return values
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, FileField):
                values[name] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                values[name] = str(value)
    return values
