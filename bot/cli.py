"""Implementation of the command-line verbs (parsing lives in ``__main__``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.config import load_settings
from bot.content.coverage import REQUIRED_TOPICS, Coverage, coverage_matrix
from bot.content.loader import load_content
from bot.errors import ContentError, ContentProblem, UsageError
from bot.languages import Lang


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "content":
        return _content(args)
    if args.command == "ask":
        return _ask(args)
    if args.command in ("run", "chat"):
        return _run(args)
    if args.command == "unanswered":
        return _unanswered(args)
    raise UsageError(f"unknown command {args.command}")


def _content(args: argparse.Namespace) -> int:
    settings = load_settings()
    library = load_content(settings.content_dir)
    missing = [t for t in REQUIRED_TOPICS if t not in library.topics]
    matrix = coverage_matrix(library)
    glossaries = {g.code: {"name": g.name, "topics": len(g.entries),
                           "phrases": sum(map(len, g.entries.values())),
                           "missing": [t for t in REQUIRED_TOPICS if t not in g.entries]}
                  for g in library.glossaries}
    if args.content_command == "coverage":
        fmt = "json" if args.json else args.format
        report = _format_coverage(matrix, fmt)
        if fmt == "json":
            report = json.dumps({**json.loads(report), "glossaries": glossaries},
                                ensure_ascii=False, indent=2)
        if args.output:
            Path(args.output).write_text(report + "\n", encoding="utf-8")
            print(f"written {args.output}")
        else:
            print(report)
        return 0
    if not args.quiet:
        print(_format_coverage(matrix, "table"))
    if missing:
        raise ContentError([ContentProblem(f"content/{t}", "", "required topic is missing")
                            for t in missing])
    n_ok = sum(v is Coverage.OK for row in matrix.values() for v in row.values())
    total = sum(len(row) for row in matrix.values())
    print(f"content ok: {len(library.topics)} topics, {len(library.contacts)} contacts, "
          f"coverage {n_ok}/{total} topic-languages")
    if glossaries and not args.quiet:
        print("glossaries (matching only): " + ", ".join(
            f"{code} {g['topics']} topics/{g['phrases']} phrases"
            + (f" (missing {len(g['missing'])} required)" if g["missing"] else "")
            for code, g in sorted(glossaries.items())))
    return 0


def _format_coverage(matrix: dict[str, dict[Lang, Coverage]], fmt: str) -> str:
    langs = list(next(iter(matrix.values())).keys()) if matrix else list(Lang)
    if fmt == "json":
        return json.dumps({"languages": [lang.value for lang in langs],
                           "topics": {t: {lang.value: c.value for lang, c in row.items()}
                                      for t, row in matrix.items()}},
                          ensure_ascii=False, indent=2)
    symbol = {Coverage.OK: "✓", Coverage.MISSING: "·", Coverage.STALE: "old"}
    if fmt == "markdown":
        lines = ["# Content coverage", "",
                 "✓ complete · missing, old = reviewed more than 12 months ago", "",
                 "| topic | " + " | ".join(lang.value for lang in langs) + " |",
                 "|---|" + "---|" * len(langs)]
        lines += [f"| `{t}` | " + " | ".join(symbol[row[lang]] for lang in langs) + " |"
                  for t, row in matrix.items()]
        return "\n".join(lines)
    width = max(len(t) for t in matrix) if matrix else 10
    lines = [" " * width + "  " + " ".join(f"{lang.value:>3}" for lang in langs)]
    lines += [f"{t:<{width}}  " + " ".join(f"{symbol[row[lang]]:>3}" for lang in langs)
              for t, row in matrix.items()]
    return "\n".join(lines)


def _ask(args: argparse.Namespace) -> int:
    from bot.app import build_core
    from bot.dialog.ask import answer_question

    core = build_core(load_settings(), with_storage=False)
    chosen = Lang.parse(args.lang)
    if args.batch:
        path = Path(args.batch)
        if not path.is_file():
            raise UsageError(f"batch file not found: {path}")
        out = sys.stdout
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    text = json.loads(line).get("text", "")
                except (json.JSONDecodeError, AttributeError) as exc:
                    raise UsageError(f"{path}:{n}: not a JSON object with 'text'") from exc
                result = answer_question(core, str(text), chosen)
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        return 0
    if not args.text:
        raise UsageError('give a question: python -m bot ask "Wo gibt es Deutschkurse?"')
    result = answer_question(core, args.text, chosen)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(result["text"])
    return 0


def _run(args: argparse.Namespace) -> int:
    from bot.app import build_core

    settings = load_settings()
    core = build_core(settings)
    if args.command == "run" and settings.telegram_token:
        from bot.channels.telegram import run_telegram

        run_telegram(core, settings)
        return 0
    from bot.channels.terminal import run_terminal

    return run_terminal(core, start_lang=Lang.parse(getattr(args, "lang", None)))


def _unanswered(args: argparse.Namespace) -> int:
    from bot.app import build_core

    core = build_core(load_settings())
    groups = core.storage.unanswered_summary(limit=args.limit)
    if not groups:
        print("No unanswered questions recorded.")
        return 0
    for g in groups:
        guess = f"  best guess: {g.best_guess}" if g.best_guess else ""
        print(f"{g.count:>4}× [{g.lang or '?'}] {g.text}  (last {g.last_seen:%Y-%m-%d}){guess}")
    return 0
