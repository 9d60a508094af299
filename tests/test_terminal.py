"""The terminal chat: same core, buttons as numbers, piped input answers and exits."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from bot.app import Core
from bot.channels.terminal import run_terminal
from bot.config import PROJECT_ROOT


def chat(core: Core, lines: list[str]) -> str:
    out = io.StringIO()
    assert run_terminal(core, inp=io.StringIO("\n".join(lines) + "\n"), out=out) == 0
    return out.getvalue()


def test_question_menu_and_numbered_buttons(core: Core) -> None:
    text = chat(core, ["/language", "1", "/menu", "2", "1"])
    assert "Bitte wählen Sie Ihre Sprache" in text
    assert "Sprache eingestellt: Deutsch" in text
    # menu item 2 is the field "Sprache und Deutschkurse"; its first topic is chosen
    title = core.library.topics["sprache/berufssprachkurs"].translations["de"].title
    assert f"Sprache und Deutschkurse\n  [1] {title}" in text
    answer = text.split(f"  [1] {title}", 1)[1]
    assert f"\n{title}\n" in answer and "Quellen:" in answer


def test_odd_input_never_ends_the_chat(core: Core) -> None:
    text = chat(core, ["99", "", "/nope", "🙂", "Wie beantrage ich Wohngeld?"])
    assert "Wohngeld" in text


def test_piped_input_answers_and_exits(tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], input="Wo gibt es Deutschkurse?\n",
                          capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Deutschkurs" in proc.stdout and "Quellen:" in proc.stdout


def test_a_crash_apologises_in_the_chosen_language(core: Core, monkeypatch) -> None:
    chat(core, ["/language", "2"])  # English

    def broken(inbound):
        raise RuntimeError("boom")

    monkeypatch.setattr(core.engine, "handle", broken)
    assert "Sorry, something went wrong" in chat(core, ["hello"])
