"""Telegram-compatible parsing of formatted message text: HTML, MarkdownV2 and Markdown.

Why this exists: a bot that builds HTML from user data (an unescaped ``<`` or ``&``, a ``<br>``
copied from a template, a message cut in the middle of a tag) works against a mock that accepts
anything and fails in production with ``400 Bad Request: can't parse entities``.  These parsers
follow the algorithms of TDLib, which the real Bot API server uses, so that the emulator rejects
the same texts with the same messages (offsets are UTF-8 *byte* offsets, as Telegram reports them)
and produces the same plain text and entities (offsets and lengths in UTF-16 code units).

One deliberate deviation, on by default (``strict=True``): Telegram silently keeps a ``&`` that
does not start one of ``&lt; &gt; &amp; &quot;`` or a numeric entity, although its documentation
says it must be escaped.  Such a ``&`` almost always means unescaped user text (which breaks as
soon as the text contains ``&lt``), so strict mode reports it as an error.

Public API: :func:`parse_text`, :func:`parse_html`, :func:`parse_markdown_v2`,
:func:`parse_markdown`, :func:`check_html`, :func:`validate_entities`, :func:`trim_text`,
:func:`check_link`, :func:`utf16_len` and the exceptions below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]

__all__ = [
    "Entity",
    "EntityParseError",
    "EntityValidationError",
    "LinkError",
    "ParsedText",
    "UnsupportedParseModeError",
    "check_html",
    "check_link",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "parse_text",
    "trim_text",
    "utf16_len",
    "validate_entities",
]


class EntityParseError(ValueError):
    """The text is not valid for its parse mode.

    ``str(error)`` is Telegram's reason, e.g. ``Unsupported start tag "p" at byte offset 0``; the
    Bot API answers ``Bad Request: can't parse entities: <reason>``.
    """


class UnsupportedParseModeError(ValueError):
    """``parse_mode`` is none of HTML, MarkdownV2 and Markdown (Bot API: unsupported parse_mode)."""


class EntityValidationError(ValueError):
    """Explicit ``entities`` do not fit the text; ``str(error)`` follows ``Bad Request: ``."""


class LinkError(ValueError):
    """A URL Telegram would not accept; ``str(error)`` is TDLib's reason (``Wrong HTTP URL``)."""


@dataclass(frozen=True)
class ParsedText:
    """Text as users see it, with Bot API entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[Entity] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of every Telegram length limit and entity offset."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --------------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------------

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_LABEL_RE = re.compile(r"^[\w-]+$", re.UNICODE)
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def check_link(url: str, *, allow_mailto: bool = False) -> str:
    """Return the URL as Telegram stores it, or raise :class:`LinkError` with TDLib's reason.

    Accepts http(s) (a bare ``example.com`` becomes ``http://example.com/``), ``tg:`` and ``ton:``
    links, and ``mailto:`` where asked for (text links); any other scheme is unsupported.
    """
    url = url.strip()
    if not url:
        raise LinkError("URL host is empty")
    match = _SCHEME_RE.match(url)
    rest = url[match.end() :] if match else ""
    scheme = match.group(1).lower() if match else ""
    if scheme in ("tg", "ton") or (scheme == "mailto" and allow_mailto):
        if not rest.strip("/"):
            raise LinkError("Wrong URL")
        return url
    if match and rest.startswith("//") and scheme not in ("http", "https"):
        raise LinkError("Unsupported URL protocol")
    if match and rest.startswith("//"):
        return _checked_http_url(scheme, rest[2:])
    if scheme == "mailto":
        raise LinkError("Unsupported URL protocol")
    return _checked_http_url("http", url)


def _checked_http_url(scheme: str, rest: str) -> str:
    """Validate the authority of an http(s) URL the way TDLib's parse_url does, roughly."""
    cut = min([rest.find(ch) for ch in "/?#" if ch in rest] or [len(rest)])
    authority, tail = rest[:cut], rest[cut:]
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):
        host_ok = host.find("]") > 1
    else:
        host, _, port = host.partition(":")
        host_ok = (not port or port.isdigit()) and _valid_host(host)
    if not host:
        raise LinkError("URL host is empty")
    if not host_ok:
        raise LinkError("Wrong HTTP URL")
    return f"{scheme}://{authority}{tail or '/'}"


def _valid_host(host: str) -> bool:
    """A dotted domain name (any script) or an IPv4 address; single labels are rejected."""
    if _IPV4_RE.match(host):
        return True
    labels = host.rstrip(".").split(".")
    if len(labels) < 2:
        return False
    return all(label and _HOST_LABEL_RE.match(label) and "_" not in label for label in labels)


# --------------------------------------------------------------------------------------------
# Shared helpers for the byte-oriented parsers
# --------------------------------------------------------------------------------------------

_SPACES = frozenset(b" \t\r\n\v\f\0")
_SORT_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


def _is_space(byte: int) -> bool:
    """TDLib's is_space, which also treats the terminating NUL as a space."""
    return byte in _SPACES


class _Source:
    """UTF-8 bytes of the input with C-string semantics: reading past the end yields 0."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8", "surrogatepass")
        self.size = len(self.data)

    def at(self, index: int) -> int:
        return self.data[index] if index < self.size else 0


class _Output:
    """The plain text being built, tracking its length in UTF-16 code units."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.utf16 = 0

    def byte(self, value: int) -> None:
        self.buf.append(value)
        if value & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
            self.utf16 += 2 if value >= 0xF0 else 1

    def char(self, code: int) -> None:
        self.buf += chr(code).encode("utf-8", "surrogatepass")
        self.utf16 += 2 if code > 0xFFFF else 1

    def text(self, start: int = 0) -> str:
        return self.buf[start:].decode("utf-8", "replace")


def _sorted(entities: list[Entity]) -> list[Entity]:
    """Order entities as Telegram does: by offset, longer first, then by type priority."""
    return sorted(
        (e for e in entities if e["length"] > 0),
        key=lambda e: (e["offset"], -e["length"], _SORT_PRIORITY.get(e["type"], 50)),
    )


def _entity(kind: str, offset: int, length: int, **extra: Any) -> Entity:
    return {"type": kind, "offset": offset, "length": length, **extra}


def _link_entity(url: str, offset: int, length: int) -> Entity | None:
    """A text_link entity, or None when Telegram would silently drop an invalid link."""
    try:
        checked = check_link(url, allow_mailto=True)
    except LinkError:
        return None
    return _entity("text_link", offset, length, url=checked)


def _custom_emoji_id(raw: str) -> str:
    """Validate a custom emoji id: a non-zero signed 64-bit integer."""
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value == 0 or not -(2**63) <= value < 2**63:
        raise EntityParseError("Invalid custom emoji identifier specified")
    return str(value)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the output where the tag's content starts
    byte_pos: int  # byte position in the output, to read the content of <a> without href


class _HtmlParser:
    """TDLib's parse_html, ported: one pass over the UTF-8 bytes, with a stack of open tags."""

    def __init__(self, text: str, strict: bool) -> None:
        self.src = _Source(text)
        self.strict = strict
        self.out = _Output()
        self.entities: list[Entity] = []
        self.open: list[_OpenTag] = []
        self.has_surrogate = False

    def parse(self) -> ParsedText:
        i = 0
        while i < self.src.size:
            byte = self.src.data[i]
            if byte == ord("&"):
                i = self._entity(i)
            elif byte != ord("<"):
                self.out.byte(byte)
                i += 1
            elif self.src.at(i + 1) == ord("/"):
                i = self._end_tag(i)
            else:
                i = self._start_tag(i)
        if self.open:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open[-1].name}"'
            )
        if self.has_surrogate:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        return ParsedText(self.out.text(), _sorted(self.entities))

    # -- character references ------------------------------------------------------------

    def _entity(self, pos: int) -> int:
        decoded = _decode_html_entity(self.src, pos, require_semicolon=self.strict)
        if decoded is None:
            if self.strict:
                raise EntityParseError(
                    f'Character "&" at byte offset {pos} does not start an HTML entity; '
                    "escape it as &amp; (fakebotapi strict mode: the Bot API documentation "
                    "requires it, Telegram itself would keep the character)"
                )
            self.out.byte(ord("&"))
            return pos + 1
        code, end = decoded
        if 0xD800 <= code <= 0xDFFF:
            self.has_surrogate = True
        self.out.char(code)
        return end

    # -- tags ----------------------------------------------------------------------------

    def _start_tag(self, begin: int) -> int:
        src = self.src
        i = begin + 1
        while not _is_space(src.at(i)) and src.at(i) != ord(">"):
            i += 1
        if src.at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        name = src.data[begin + 1 : i].decode("utf-8", "replace").lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        argument, i = self._attributes(name, begin, i)
        if name == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.open.append(_OpenTag(name, argument, self.out.utf16, len(self.out.buf)))
        return i + 1  # past '>'

    def _attributes(self, tag: str, begin: int, i: int) -> tuple[str, int]:
        """Parse attributes up to the closing '>'; return the tag's argument and its index."""
        src = self.src
        argument = ""
        while src.at(i) != ord(">"):
            i = _skip_spaces(src, i)
            if src.at(i) == ord(">"):
                break
            if src.at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            name_begin = i
            while not _is_space(src.at(i)) and src.at(i) not in (ord("="), ord(">")):
                i += 1
            name = src.data[name_begin:i].decode("utf-8", "replace")
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            i = _skip_spaces(src, i)
            if src.at(i) != ord("="):
                if tag == "blockquote" and name.lower() == "expandable":
                    argument = "expandable"
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {begin}'
                )
            i = _skip_spaces(src, i + 1)
            if src.at(i) == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self._attribute_value(i)
            if src.at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            argument = _tag_argument(tag, name, value, argument)
        return argument, i

    def _attribute_value(self, i: int) -> tuple[str, int]:
        src = self.src
        quote = src.at(i)
        if quote not in (ord("'"), ord('"')):
            start = i
            while _is_name_token_byte(src.at(i)):
                i += 1
            if not _is_space(src.at(i)) and src.at(i) != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {start}")
            return src.data[start:i].decode("utf-8", "replace").lower(), i
        value = _Output()
        i += 1
        while src.at(i) != quote and src.at(i) != 0:
            decoded = _decode_html_entity(src, i) if src.at(i) == ord("&") else None
            if decoded is not None:
                value.char(decoded[0])
                i = decoded[1]
            else:
                value.byte(src.at(i))
                i += 1
        if src.at(i) == quote:
            i += 1
        return value.text(), i

    def _end_tag(self, begin: int) -> int:
        src = self.src
        if not self.open:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 1
        while not _is_space(src.at(i)) and src.at(i) != ord(">"):
            i += 1
        end_name = src.data[begin + 2 : i].decode("utf-8", "replace").lower()
        while src.at(i) != 0 and _is_space(src.at(i)):
            i += 1
        if src.at(i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        top = self.open[-1]
        if end_name and end_name != top.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{top.name}>", '
                f'found "</{end_name}>"'
            )
        self.open.pop()
        if self.out.utf16 > top.offset:
            self._close(top, self.out.utf16 - top.offset)
        return i + 1

    def _close(self, tag: _OpenTag, length: int) -> None:
        """Turn a closed tag into an entity, merging <pre><code class=...> like TDLib."""
        offset, name, argument = tag.offset, tag.name, tag.argument
        last = self.entities[-1] if self.entities else None
        same_range = last is not None and (last["offset"], last["length"]) == (offset, length)
        if name in _SIMPLE_TAGS:
            self.entities.append(_entity(_SIMPLE_TAGS[name], offset, length))
        elif name == "tg-emoji":
            emoji_id = _custom_emoji_id(argument)
            self.entities.append(_entity("custom_emoji", offset, length, custom_emoji_id=emoji_id))
        elif name == "a":
            url = argument or self.out.text(tag.byte_pos)
            link = _link_entity(url, offset, length)
            if link is not None:
                self.entities.append(link)
        elif (
            name == "pre"
            and same_range
            and last
            and last["type"] == "code"
            and last.get("language")
        ):
            last["type"] = "pre"
        elif name == "pre":
            self.entities.append(_entity("pre", offset, length))
        elif name == "code" and same_range and last and last["type"] == "pre" and argument:
            last["language"] = argument
        elif name == "code":
            extra = {"language": argument} if argument else {}
            self.entities.append(_entity("code", offset, length, **extra))
        else:  # blockquote
            kind = "expandable_blockquote" if argument else "blockquote"
            self.entities.append(_entity(kind, offset, length))


_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_ASCII_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_TOKEN_BYTES = _HEX_DIGITS | _ASCII_LETTERS | frozenset(b".-")


def _is_name_token_byte(byte: int) -> bool:
    """Bytes of an unquoted attribute value: ASCII letters, digits, '.' and '-'."""
    return byte in _NAME_TOKEN_BYTES


def _skip_spaces(src: _Source, i: int) -> int:
    while src.at(i) != 0 and _is_space(src.at(i)):
        i += 1
    return i


def _tag_argument(tag: str, name: str, value: str, current: str) -> str:
    """Keep the one attribute each tag understands; Telegram ignores all others."""
    name = name.lower()
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    if tag == "blockquote" and name == "expandable":
        return "expandable"
    return current


def _decode_html_entity(
    src: _Source, pos: int, *, require_semicolon: bool = False
) -> tuple[int, int] | None:
    """Decode ``&lt;``-style or numeric references at ``pos``: (code point, end) or None."""
    end = pos + 1
    code = 0
    if src.at(pos + 1) == ord("#"):
        end += 1
        if src.at(pos + 2) == ord("x"):
            end += 1
            while src.at(end) in _HEX_DIGITS:
                code = code * 16 + int(chr(src.at(end)), 16)
                end += 1
        else:
            while ord("0") <= src.at(end) <= ord("9"):
                code = code * 10 + src.at(end) - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while src.at(end) in _ASCII_LETTERS:
            end += 1
        named = _NAMED_ENTITIES.get(bytes(src.data[pos + 1 : end]))
        if named is None:
            return None
        code = named
    if src.at(end) == ord(";"):
        return code, end + 1
    return None if require_semicolon else (code, end)


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML; raise :class:`EntityParseError` exactly where Telegram would.

    With ``strict`` (default) a ``&`` that is not a complete entity is an error too.
    """
    return _HtmlParser(text, strict).parse()


def check_html(text: str, *, strict: bool = True) -> str | None:
    """Return Telegram's error reason for an HTML text, or None when it is valid."""
    try:
        parse_html(text, strict=strict)
    except EntityParseError as error:
        return str(error)
    return None


# --------------------------------------------------------------------------------------------
# MarkdownV2
# --------------------------------------------------------------------------------------------

_MD2_RESERVED = frozenset(b"_*[]()~`>#+-=|{}.!\n")
_MD2_CODE_TYPES = ("Code", "Pre", "PreCode")
_MD2_API_TYPES = {
    "Bold": "bold",
    "Italic": "italic",
    "Underline": "underline",
    "Strikethrough": "strikethrough",
    "Spoiler": "spoiler",
    "Code": "code",
    "Pre": "pre",
    "PreCode": "pre",
    "TextUrl": "text_link",
    "CustomEmoji": "custom_emoji",
    "BlockQuote": "blockquote",
}
_CUSTOM_EMOJI_URL_RE = re.compile(r"^tg://emoji\?id=(-?\d+)$")


@dataclass
class _MdOpen:
    kind: str  # TDLib's type name, used verbatim in error messages
    argument: str
    offset: int
    byte_offset: int
    out_pos: int


def _reserved_error(byte: int) -> EntityParseError:
    return EntityParseError(
        f"Character '{chr(byte)}' is reserved and must be escaped with the preceding '\\'"
    )


def _unclosed_error(entity: _MdOpen) -> EntityParseError:
    return EntityParseError(
        f"Can't find end of {entity.kind} entity at byte offset {entity.byte_offset}"
    )


class _MarkdownV2Parser:
    """TDLib's parse_markdown_v2, ported (without the newer expandable-blockquote syntax)."""

    def __init__(self, text: str) -> None:
        self.src = _Source(text)
        self.out = _Output()
        self.entities: list[Entity] = []
        self.open: list[_MdOpen] = []
        self.have_blockquote = False

    def parse(self) -> ParsedText:
        i = 0
        while i < self.src.size:
            i = self._step(i) + 1
        if self.have_blockquote and self.open and self.open[-1].kind == "BlockQuote":
            quote = self.open.pop()
            self._add(quote, "")
        if self.open:
            raise _unclosed_error(self.open[-1])
        return ParsedText(self.out.text(), _sorted(self.entities))

    def _step(self, i: int) -> int:
        """Consume the token at ``i``; return the index of its last byte."""
        src, byte = self.src, self.src.data[i]
        if byte == ord("\\") and 0 < src.at(i + 1) <= 126:
            self.out.byte(src.at(i + 1))
            return i + 1
        in_code = bool(self.open) and self.open[-1].kind in _MD2_CODE_TYPES
        reserved = b"`" if in_code else _MD2_RESERVED
        if byte not in reserved:
            self.out.byte(byte)
            return i
        if self.open and self._is_end(i):
            return self._end(i)
        return self._begin(i)

    def _is_end(self, i: int) -> bool:
        src, byte = self.src, self.src.data[i]
        nxt = src.at(i + 1)
        if self.have_blockquote and byte == ord("\n") and (i + 1 == src.size or nxt != ord(">")):
            return True
        kind = self.open[-1].kind
        ends = {
            "Bold": byte == ord("*"),
            "Italic": byte == ord("_") and nxt != ord("_"),
            "Code": byte == ord("`"),
            "Pre": byte == ord("`") and nxt == ord("`") and src.at(i + 2) == ord("`"),
            "TextUrl": byte == ord("]"),
            "Underline": byte == ord("_") and nxt == ord("_"),
            "Strikethrough": byte == ord("~"),
            "Spoiler": byte == ord("|") and nxt == ord("|"),
            "CustomEmoji": byte == ord("]"),
            "BlockQuote": False,
        }
        ends["PreCode"] = ends["Pre"]
        return ends[kind]

    def _begin(self, i: int) -> int:
        src, byte = self.src, self.src.data[i]
        start = i
        kind, argument = "", ""
        nxt = src.at(i + 1)
        if byte == ord("_"):
            kind = "Underline" if nxt == ord("_") else "Italic"
            i += 1 if nxt == ord("_") else 0
        elif byte == ord("*"):
            kind = "Bold"
        elif byte == ord("~"):
            kind = "Strikethrough"
        elif byte == ord("|") and nxt == ord("|"):
            kind, i = "Spoiler", i + 1
        elif byte == ord("["):
            kind = "TextUrl"
        elif byte == ord("`"):
            kind, argument, i = self._begin_code(i)
        elif byte == ord("!") and nxt == ord("["):
            kind, i = "CustomEmoji", i + 1
        elif byte == ord("\n"):
            self.out.byte(byte)
            if i + 1 < src.size and nxt == ord(">"):
                i += 1
                if not self.have_blockquote:
                    kind, self.have_blockquote = "BlockQuote", True
        elif byte == ord(">") and i == 0:
            kind, self.have_blockquote = "BlockQuote", True
        else:
            raise _reserved_error(byte)
        if kind:
            self.open.append(_MdOpen(kind, argument, self.out.utf16, start, len(self.out.buf)))
        return i

    def _begin_code(self, i: int) -> tuple[str, str, int]:
        src = self.src
        if not (src.at(i + 1) == ord("`") and src.at(i + 2) == ord("`")):
            return "Code", "", i
        i += 3
        kind, argument = "Pre", ""
        end = i
        while not _is_space(src.at(end)) and src.at(end) != ord("`"):
            end += 1
        if i != end and end < src.size and src.at(end) != ord("`"):
            kind, argument = "PreCode", src.data[i:end].decode("utf-8", "replace")
            i = end
        if src.at(i) in (ord("\n"), ord("\r")):
            pair = src.at(i + 1) in (ord("\n"), ord("\r")) and src.at(i) != src.at(i + 1)
            i += 2 if pair else 1
        return kind, argument, i - 1

    def _end(self, i: int) -> int:
        byte = self.src.data[i]
        top = self.open[-1]
        if byte == ord("\n") and top.kind != "BlockQuote":
            raise _unclosed_error(top)
        argument = top.argument
        skip = self.out.utf16 == top.offset
        if top.kind in ("Underline", "Spoiler"):
            i += 1
        elif top.kind in ("Pre", "PreCode"):
            i += 2
        elif top.kind == "TextUrl":
            url, i = self._url_after(i, top)
            argument = url
        elif top.kind == "CustomEmoji":
            url, i = self._url_after(i, top)
            match = _CUSTOM_EMOJI_URL_RE.match(url)
            if not match:
                raise EntityParseError("Custom emoji URL must have scheme tg")
            argument = _custom_emoji_id(match.group(1))
        elif top.kind == "BlockQuote":
            self.have_blockquote = False
            self.out.byte(byte)
        self.open.pop()
        if not skip:
            self._add(top, argument)
        return i

    def _url_after(self, i: int, top: _MdOpen) -> tuple[str, int]:
        """Read ``(url)`` after ``]``; a TextUrl without one uses its own text as the URL."""
        src = self.src
        if src.at(i + 1) != ord("("):
            if top.kind == "CustomEmoji":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            return self.out.text(top.out_pos), i
        i += 2
        begin = i
        url = bytearray()
        while i < src.size and src.at(i) != ord(")"):
            if src.at(i) == ord("\\") and 0 < src.at(i + 1) <= 126:
                url.append(src.at(i + 1))
                i += 2
                continue
            url.append(src.at(i))
            i += 1
        if src.at(i) != ord(")"):
            what = "a custom emoji URL" if top.kind == "CustomEmoji" else "a URL"
            raise EntityParseError(f"Can't find end of {what} at byte offset {begin}")
        return url.decode("utf-8", "replace"), i

    def _add(self, top: _MdOpen, argument: str) -> None:
        length = self.out.utf16 - top.offset
        if length <= 0:
            return
        if top.kind == "TextUrl":
            link = _link_entity(argument, top.offset, length)
            if link is not None:
                self.entities.append(link)
            return
        extra: dict[str, Any] = {}
        if top.kind == "PreCode":
            extra["language"] = argument
        elif top.kind == "CustomEmoji":
            extra["custom_emoji_id"] = argument
        self.entities.append(_entity(_MD2_API_TYPES[top.kind], top.offset, length, **extra))


def parse_markdown_v2(text: str) -> ParsedText:
    """Parse Telegram MarkdownV2; raise :class:`EntityParseError` where Telegram would."""
    return _MarkdownV2Parser(text).parse()


# --------------------------------------------------------------------------------------------
# Markdown (legacy)
# --------------------------------------------------------------------------------------------

_MD1_API_TYPES = {ord("_"): "italic", ord("*"): "bold", ord("`"): "code"}


def parse_markdown(text: str) -> ParsedText:
    """Parse legacy Markdown (``*bold* _italic_ `code` ```pre``` [text](url)``) like TDLib."""
    src, out = _Source(text), _Output()
    entities: list[Entity] = []
    i = 0
    while i < src.size:
        byte = src.data[i]
        if byte == ord("\\") and src.at(i + 1) in b"_*`[":
            out.byte(src.at(i + 1))
            i += 2
        elif byte not in b"_*`[":
            out.byte(byte)
            i += 1
        else:
            i = _markdown_entity(src, out, entities, i)
    return ParsedText(out.text(), _sorted(entities))


def _markdown_entity(src: _Source, out: _Output, entities: list[Entity], begin: int) -> int:
    """Parse one legacy Markdown entity starting at ``begin``; return the next index."""
    byte = src.data[begin]
    end_char = ord("]") if byte == ord("[") else byte
    i = begin + 1
    language, is_pre = "", False
    if byte == ord("`") and src.at(i) == ord("`") and src.at(i + 1) == ord("`"):
        i += 2
        is_pre = True
        end = i
        while not _is_space(src.at(end)) and src.at(end) != ord("`"):
            end += 1
        if i != end and end < src.size and src.at(end) != ord("`"):
            language, i = src.data[i:end].decode("utf-8", "replace"), end
        if src.at(i) in (ord("\n"), ord("\r")):
            pair = src.at(i + 1) in (ord("\n"), ord("\r")) and src.at(i) != src.at(i + 1)
            i += 2 if pair else 1
    offset, out_pos = out.utf16, len(out.buf)
    while i < src.size and (
        src.at(i) != end_char
        or (is_pre and not (src.at(i + 1) == ord("`") and src.at(i + 2) == ord("`")))
    ):
        out.byte(src.at(i))
        i += 1
    if i == src.size:
        raise EntityParseError(f"Can't find end of the entity starting at byte offset {begin}")
    length = out.utf16 - offset
    if byte == ord("[") and length:
        url = out.text(out_pos)
        if src.at(i + 1) == ord("("):
            close = src.data.find(b")", i + 2)
            close = src.size if close < 0 else close
            url = src.data[i + 2 : close].decode("utf-8", "replace")
            i = close
        link = _link_entity(url, offset, length)
        if link is not None:
            entities.append(link)
    elif length and is_pre:
        entities.append(
            _entity("pre", offset, length, **({"language": language} if language else {}))
        )
    elif length and byte != ord("["):
        entities.append(_entity(_MD1_API_TYPES[byte], offset, length))
    return i + (3 if is_pre else 1)


# --------------------------------------------------------------------------------------------
# Dispatch, explicit entities, trimming
# --------------------------------------------------------------------------------------------


def parse_text(text: str, parse_mode: str | None, *, strict: bool = True) -> ParsedText:
    """Parse ``text`` for a Bot API ``parse_mode`` (case-insensitive; empty means plain text)."""
    mode = (parse_mode or "").strip().lower()
    if mode in ("", "none"):
        return ParsedText(text, [])
    if mode == "html":
        return parse_html(text, strict=strict)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise UnsupportedParseModeError(parse_mode)


_ENTITY_TYPES = frozenset(
    [
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    ]
)
_REQUIRED_ENTITY_FIELDS = {
    "text_link": "url",
    "text_mention": "user",
    "custom_emoji": "custom_emoji_id",
}


def validate_entities(text: str, entities: Any) -> ParsedText:
    """Check explicit ``entities`` against ``text`` with the Bot API's messages."""
    if not isinstance(entities, list):
        raise EntityValidationError("can't parse entities JSON object")
    total = utf16_len(text)
    result: list[Entity] = []
    for raw in entities:
        result.append(_validate_entity(raw, total))
    return ParsedText(text, _sorted(result))


def _validate_entity(raw: Any, total: int) -> Entity:
    if not isinstance(raw, dict):
        raise EntityValidationError("can't parse MessageEntity: expected an Object")
    kind = raw.get("type")
    if kind not in _ENTITY_TYPES:
        raise EntityValidationError("can't parse MessageEntity: Unsupported type specified")
    offset, length = raw.get("offset"), raw.get("length")
    if not isinstance(offset, int) or not isinstance(length, int):
        raise EntityValidationError('can\'t parse MessageEntity: Field "offset" must be a Number')
    if offset < 0:
        raise EntityValidationError(f"receive an entity with incorrect offset {offset}")
    if offset >= total and length > 0:
        raise EntityValidationError(
            f"entity begins after the end of the text at UTF-16 offset {offset}"
        )
    if offset + length > total:
        raise EntityValidationError(
            f"entity beginning at UTF-16 offset {offset} ends after the end of the text at "
            f"UTF-16 offset {offset + length}"
        )
    needed = _REQUIRED_ENTITY_FIELDS.get(kind)
    if needed and needed not in raw:
        raise EntityValidationError(f"can't parse MessageEntity: Can't find field \"{needed}\"")
    entity = dict(raw)
    if kind == "text_link":
        try:
            entity["url"] = check_link(str(raw["url"]), allow_mailto=True)
        except LinkError as error:
            raise EntityValidationError(f"entity URL '{raw['url']}' is invalid: {error}") from None
    return entity


_TRIMMED = " \t\r\n\v\f"


def trim_text(parsed: ParsedText) -> ParsedText:
    """Strip surrounding whitespace as Telegram does, shifting and clipping the entities."""
    stripped = parsed.text.strip(_TRIMMED)
    if stripped == parsed.text:
        return parsed
    lead = utf16_len(parsed.text[: len(parsed.text) - len(parsed.text.lstrip(_TRIMMED))])
    total = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, entities)
