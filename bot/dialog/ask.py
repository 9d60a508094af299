"""One-shot question answering for the command line and the score script's contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.dialog.engine import Context
from bot.dialog.replies import Inbound, InputKind, UserRef
from bot.languages import Lang
from bot.render import to_plain_text
from bot.storage import Prefs

if TYPE_CHECKING:
    from bot.app import Core

CLI_USER = UserRef("cli", "0")


def answer_question(core: Core, text: str, chosen: Lang | None = None) -> dict[str, Any]:
    """``{"topic", "alternatives", "lang", "score", "text"}`` for one question."""
    inbound = Inbound(CLI_USER, InputKind.TEXT, text=text)
    prefs = Prefs(lang=chosen.value if chosen else None)
    ctx = Context(inbound, prefs, chosen or Lang.DE)
    result, replies = core.engine.answer_text(ctx)
    reply = replies[0]
    answers = [r.topic_id for r in replies if r.topic_id]
    return {
        "topic": result.topic_id or (answers[0] if result.decision.value == "crisis"
                                     and answers else None),
        "alternatives": result.alternatives,
        "lang": reply.lang.value,
        "score": result.confidence,
        "decision": result.decision.value,
        "text": "\n\n".join(to_plain_text(r.text, rtl=r.rtl) for r in replies),
    }
