"""Command line: the only place where errors become exit codes.

    python -m bot run                      Telegram if TELEGRAM_BOT_TOKEN is set, else terminal
    python -m bot chat                     terminal chat
    python -m bot ask "TEXT" [--json]      answer one question
    python -m bot ask --json --batch FILE  JSON lines in, JSON lines out (score.py contract)
    python -m bot content check            validate content, print coverage
    python -m bot content coverage --json  coverage as JSON (or --format markdown)
    python -m bot unanswered               questions that found no answer, grouped
"""

from __future__ import annotations

import argparse
import logging
import sys

from bot.errors import BotError


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m bot", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start on Telegram (token set) or as terminal chat")
    chat = sub.add_parser("chat", help="terminal chat over the same core")
    chat.add_argument("--lang", help="start in this language (de, en, uk, ...)")
    ask = sub.add_parser("ask", help="answer a question")
    ask.add_argument("text", nargs="?", help="the question")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument("--batch", metavar="FILE", help="JSON lines with a 'text' field")
    ask.add_argument("--lang", help="the asker's chosen language, if any")
    content = sub.add_parser("content", help="check content files and coverage")
    csub = content.add_subparsers(dest="content_command", required=True)
    check = csub.add_parser("check", help="validate all files; print the coverage matrix")
    check.add_argument("--quiet", action="store_true", help="print problems only")
    cov = csub.add_parser("coverage", help="print coverage of topics x languages")
    cov.add_argument("--json", action="store_true")
    cov.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    cov.add_argument("--output", metavar="FILE", help="write the report to FILE")
    un = sub.add_parser("unanswered", help="questions that found no answer")
    un.add_argument("--limit", type=int, default=50)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from bot import cli

        return cli.dispatch(args)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())
