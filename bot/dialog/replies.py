"""What the core says, independent of any channel (as errbot's backends receive it).

Text is in the bot's small markup (CommonMark subset, see ``bot.render``); each channel
renders it: Telegram as HTML, the terminal as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.languages import Lang


class InputKind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    LOCATION = "location"
    MEDIA = "media"  # voice message, photo, sticker, file ...: nothing the bot can read


class ReplyKind(StrEnum):
    ANSWER = "answer"          # a topic's answer
    MENU = "menu"              # fields or topics to browse
    LANGUAGE_PICKER = "language_picker"
    CLARIFY = "clarify"        # "did you mean ...?"
    NOT_SURE = "not_sure"      # honest "I don't know" + ways on
    SMALLTALK = "smalltalk"
    INFO = "info"              # help, welcome, privacy, confirmations
    ACK = "ack"                # short confirmation of a button press (toast)


@dataclass(frozen=True)
class UserRef:
    """A user as a channel knows them; the core never sees Telegram objects."""

    channel: str
    id: str


@dataclass(frozen=True)
class Inbound:
    user: UserRef
    kind: InputKind
    text: str = ""          # free text, or the command's arguments
    command: str = ""       # without the slash, lower case
    payload: str = ""       # a button's payload
    location: tuple[float, float] | None = None
    client_lang: str | None = None  # the app's UI language, a hint before the user chooses


@dataclass(frozen=True)
class Button:
    label: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float
    address: str = ""


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    lang: Lang
    buttons: tuple[tuple[Button, ...], ...] = ()
    place: Place | None = None
    topic_id: str | None = None
    edit: bool = False  # replaces the message whose button was pressed, where possible
    remove_origin_buttons: bool = False
    meta: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def rtl(self) -> bool:
        return self.lang.is_rtl
