"""Button payloads: short namespaced strings (at most 64 bytes, Telegram's limit) that the
core both writes and parses, so any bot process can handle any button press."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.content.topic_ids import deep_link_payload
from bot.languages import Lang

MAX_PAYLOAD_BYTES = 64


class Action(StrEnum):
    LANG = "lang"
    MENU = "menu"
    FIELD = "field"
    TOPIC = "topic"
    FEEDBACK = "fb"
    AREA = "area"
    HELP = "help"
    FORGET = "forget"


@dataclass(frozen=True)
class Payload:
    action: Action
    arg: str = ""
    flag: str = ""

    def encode(self) -> str:
        parts = [self.action.value]
        if self.flag:
            parts.append(self.flag)
        if self.arg:
            parts.append(self.arg)
        text = ":".join(parts)
        if len(text.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload too long for Telegram: {text!r}")
        return text


def topic_payload(topic_id: str) -> str:
    return Payload(Action.TOPIC, deep_link_payload(None, topic_id)).encode()


def feedback_payload(topic_id: str, helpful: bool) -> str:
    return Payload(Action.FEEDBACK, deep_link_payload(None, topic_id),
                   "1" if helpful else "0").encode()


def lang_payload(lang: Lang) -> str:
    return Payload(Action.LANG, lang.value).encode()


def parse_payload(raw: str) -> Payload | None:
    """``None`` for anything unknown (old buttons, tampering): the core then shows the menu."""
    parts = (raw or "").split(":")
    try:
        action = Action(parts[0])
    except ValueError:
        return None
    if action is Action.FEEDBACK:
        if len(parts) != 3 or parts[1] not in {"0", "1"}:
            return None
        return Payload(action, parts[2].replace("_", "/", 1), parts[1])
    arg = parts[1] if len(parts) > 1 else ""
    if action is Action.TOPIC:
        arg = arg.replace("_", "/", 1)
    return Payload(action, arg)
