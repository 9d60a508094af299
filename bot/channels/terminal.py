"""The terminal chat: a first-class channel over the same core, and the test harness.

Buttons become numbered choices (type the number); ``/commands`` work as on Telegram.
Reads piped input too: ``printf 'Wo gibt es Deutschkurse?\\n' | make run`` answers and
exits at the end of input.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from bot.app import Core
from bot.dialog.payloads import lang_payload
from bot.dialog.replies import Button, Inbound, InputKind, Reply, ReplyKind, UserRef
from bot.errors import BotError
from bot.languages import DEFAULT_LANG, Lang
from bot.render import to_plain_text

log = logging.getLogger(__name__)
TERMINAL_USER = UserRef("terminal", "local")


class TerminalChat:
    """Keeps only the last reply's buttons, to map a typed number to a payload."""

    def __init__(self, core: Core, out: TextIO, user: UserRef = TERMINAL_USER) -> None:
        self.core = core
        self.out = out
        self.user = user
        self.choices: list[Button] = []

    def show(self, replies: list[Reply]) -> None:
        self.choices = []
        for reply in replies:
            if reply.kind is ReplyKind.ACK:
                self.out.write(f"✓ {to_plain_text(reply.text)}\n\n")
                continue
            self.out.write(to_plain_text(reply.text, rtl=reply.rtl) + "\n")
            for row in reply.buttons:
                for button in row:
                    self.choices.append(button)
                    target = f"  → {button.url}" if button.url else ""
                    self.out.write(f"  [{len(self.choices)}] {button.label}{target}\n")
            self.out.write("\n")
        self.out.flush()

    def _user_lang(self) -> Lang:
        try:
            stored = self.core.storage.get_prefs(self.user.channel, self.user.id).lang if (
                self.core.storage) else None
        except BotError:
            stored = None
        return Lang.parse(stored) or DEFAULT_LANG

    def to_inbound(self, line: str) -> Inbound | None:
        text = line.strip()
        if not text:
            return None
        if text.isdigit() and self.choices and 1 <= int(text) <= len(self.choices):
            button = self.choices[int(text) - 1]
            if button.payload:
                return Inbound(self.user, InputKind.BUTTON, payload=button.payload)
            self.out.write(f"Open: {button.url}\n\n")
            return None
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return Inbound(self.user, InputKind.COMMAND, command=command.lower(),
                           text=args.strip())
        return Inbound(self.user, InputKind.TEXT, text=text)

    def handle_line(self, line: str) -> None:
        inbound = self.to_inbound(line)
        if inbound is None:
            return
        try:
            replies = self.core.engine.handle(inbound)
        except Exception:  # one bad message must not end the chat
            log.exception("error while answering %r", line)
            replies = [self.core.engine.apology(self._user_lang())]
        self.show(replies)


def run_terminal(core: Core, start_lang: Lang | None = None, inp: TextIO | None = None,
                 out: TextIO | None = None) -> int:
    inp = inp or sys.stdin
    out = out or sys.stdout
    chat = TerminalChat(core, out)
    interactive = inp.isatty()
    if start_lang:
        chat.show(core.engine.handle(Inbound(chat.user, InputKind.BUTTON,
                                             payload=lang_payload(start_lang))))
    elif interactive:
        chat.show(core.engine.handle(Inbound(chat.user, InputKind.COMMAND, command="start")))
        out.write("(Type a question, a number to choose, /help, or Ctrl-D to quit.)\n\n")
    prompt = "> " if interactive else ""
    out.write(prompt)
    out.flush()
    for line in inp:
        chat.handle_line(line)
        out.write(prompt)
        out.flush()
    return 0
