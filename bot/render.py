"""Render the bot's small markup (CommonMark subset) for each channel.

markdown-it-py parses; this module only maps its token stream to what a channel can show:
Telegram's HTML subset (b, i, a, code, pre, blockquote; no p/ul/li) or plain text for the
terminal. Rendering works block by block, so long answers split between paragraphs and
list items with every tag closed, and the 4096-character limit of Telegram is respected.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

TELEGRAM_LIMIT = 4096

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable(["html_block", "html_inline", "image"])

# Unicode bidi isolation: FSI ... PDI keeps a left-to-right run (URL, German word, phone
# number) in order inside Arabic or Farsi text without changing any visible character.
FSI, PDI = "\u2068", "\u2069"
_LTR_RUN = re.compile(r"[A-Za-zÀ-ž0-9+][A-Za-zÀ-ž0-9@+:/.,_\-–' ]*[A-Za-zÀ-ž0-9/]|"
                      r"[A-Za-zÀ-ž0-9]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def escape_markdown(text: str) -> str:
    """Make arbitrary text (office names, user input) literal inside the markup."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def isolate_ltr(text: str) -> str:
    """Wrap runs of Latin letters and digits in FSI/PDI for display inside RTL text."""
    return _LTR_RUN.sub(lambda m: f"{FSI}{m.group(0)}{PDI}", text)


@dataclass(frozen=True)
class _Style:
    html: bool
    rtl: bool

    def text(self, value: str) -> str:
        if self.rtl:
            value = isolate_ltr(value)
        return html.escape(value, quote=False) if self.html else value

    def wrap(self, tag: str, inner: str) -> str:
        if self.html:
            return f"<{tag}>{inner}</{tag}>"
        return inner

    def link(self, href: str, inner: str, inner_plain: str) -> str:
        if self.html:
            return f'<a href="{html.escape(href, quote=True)}">{inner}</a>'
        url = href.removeprefix("mailto:").removeprefix("tel:")
        if inner_plain.strip() == url:
            return inner
        shown = f"{FSI}{url}{PDI}" if self.rtl else url
        return f"{inner} ({shown})"


def _render_inline(children: list[Token], style: _Style) -> str:
    out: list[str] = []
    stack: list[tuple[str, int, str]] = []  # (kind, position in out, href)
    for tok in children:
        if tok.type == "text":
            out.append(style.text(tok.content))
        elif tok.type == "code_inline":
            out.append(style.wrap("code", style.text(tok.content)))
        elif tok.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif tok.type in ("strong_open", "em_open", "s_open"):
            stack.append((tok.type, len(out), ""))
        elif tok.type == "link_open":
            stack.append(("link_open", len(out), str(tok.attrs.get("href", ""))))
        elif tok.type in ("strong_close", "em_close", "s_close", "link_close") and stack:
            kind, start, href = stack.pop()
            inner = "".join(out[start:])
            del out[start:]
            if kind == "link_open":
                plain = html.unescape(re.sub(r"<[^>]+>", "", inner)) if style.html else inner
                plain = plain.replace(FSI, "").replace(PDI, "")
                out.append(style.link(href, inner, plain))
            else:
                tag = {"strong_open": "b", "em_open": "i", "s_open": "s"}[kind]
                out.append(style.wrap(tag, inner))
        else:
            out.append(style.text(tok.content))
    return "".join(out)


def _render_blocks(markup: str, style: _Style) -> list[str]:
    """Top-level blocks, each self-contained (all tags closed)."""
    tokens = _md.parse(markup)
    blocks: list[str] = []
    current: list[str] = []
    lists: list[list[int]] = []  # stack of [ordered?, counter]
    depth_quote = 0

    def flush() -> None:
        if current:
            block = "".join(current).rstrip()
            if block:
                blocks.append(style.wrap("blockquote", block) if depth_quote else block)
            current.clear()

    for tok in tokens:
        t = tok.type
        if t == "bullet_list_open":
            lists.append([0, 0])
        elif t == "ordered_list_open":
            lists.append([1, int(tok.attrs.get("start", 1) or 1) - 1])
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                flush()
        elif t == "list_item_open":
            ordered, counter = lists[-1]
            lists[-1][1] = counter + 1
            indent = "  " * (len(lists) - 1)
            marker = f"{counter + 1}. " if ordered else "• "
            if current and not current[-1].endswith("\n"):
                current.append("\n")
            current.append(indent + marker)
        elif t == "heading_open":
            flush()
        elif t == "inline":
            text = _render_inline(tok.children or [], style)
            parent = tokens[tokens.index(tok) - 1].type if tok.map is not None else ""
            if parent == "heading_open":
                current.append(style.wrap("b", text))
            else:
                current.append(text)
        elif t in ("paragraph_close", "heading_close"):
            if lists:
                current.append("\n")
            else:
                flush()
        elif t in ("fence", "code_block"):
            flush()
            blocks.append(style.wrap("pre", style.text(tok.content.rstrip("\n"))))
        elif t == "blockquote_open":
            flush()
            depth_quote += 1
        elif t == "blockquote_close":
            flush()
            depth_quote -= 1
        elif t == "hr":
            flush()
            blocks.append("———")
    flush()
    return [b.rstrip("\n") for b in blocks if b.strip()]


def to_telegram_html(markup: str, rtl: bool = False) -> str:
    """One HTML string in Telegram's subset (use ``telegram_chunks`` for long text)."""
    return "\n\n".join(_render_blocks(markup, _Style(html=True, rtl=rtl)))


def to_plain_text(markup: str, rtl: bool = False) -> str:
    """Plain text for the terminal: no tags, links written out after their text."""
    return "\n\n".join(_render_blocks(markup, _Style(html=False, rtl=rtl)))


def telegram_length(html_text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the text after entity parsing."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return len(plain.encode("utf-16-le")) // 2


def telegram_chunks(markup: str, rtl: bool = False, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Telegram HTML messages, each within ``limit``, split only between blocks.

    A single block longer than the limit (a wall of text) is split between words and sent
    without inline formatting rather than cut in the middle of a tag.
    """
    style = _Style(html=True, rtl=rtl)
    chunks: list[str] = []
    current = ""
    for block in _render_blocks(markup, style):
        pieces = [block]
        if telegram_length(block) > limit:
            pieces = _split_plain(html.unescape(re.sub(r"<[^>]+>", "", block)), limit)
            pieces = [html.escape(p, quote=False) for p in pieces]
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if telegram_length(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _split_plain(text: str, limit: int) -> list[str]:
    words = re.split(r"(\s+)", text)
    parts: list[str] = []
    current = ""
    for word in words:
        if len((current + word).encode("utf-16-le")) // 2 > limit and current.strip():
            parts.append(current.strip())
            current = ""
        while len(word.encode("utf-16-le")) // 2 > limit:  # a single endless "word"
            parts.append(word[: limit // 2])
            word = word[limit // 2 :]
        current += word
    if current.strip():
        parts.append(current.strip())
    return parts
