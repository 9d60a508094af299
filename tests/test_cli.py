"""The command line: what staff, operators and the score script rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main


def test_ask_batch_prints_the_score_contract_in_order(tmp_path: Path, capsys) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in [
        "Wie beantrage ich Kindergeld?", "hello", "Як продовжити Aufenthaltstitel?"]) + "\n",
        encoding="utf-8")
    assert main(["ask", "--json", "--batch", str(batch)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["topic"] for r in rows] == ["soziales/familie", None, "verwaltung/aufenthalt"]
    assert [r["lang"] for r in rows][::2] == ["de", "uk"]
    for row in rows:
        assert set(row) >= {"topic", "alternatives", "lang", "score", "text"}
        assert isinstance(row["alternatives"], list) and row["text"]


def test_ask_single_question_prints_the_answer(capsys) -> None:
    assert main(["ask", "Wo finde ich einen Hausarzt?"]) == 0
    out = capsys.readouterr().out
    assert "116117" in out and "http" in out


def test_content_check_fails_with_every_problem(tmp_path: Path, monkeypatch, capsys) -> None:
    bad = tmp_path / "content"
    (bad / "sprache" / "x").mkdir(parents=True)
    (bad / "sprache" / "x" / "de.md").write_text("no front matter", encoding="utf-8")
    (bad / "nonsense").mkdir()
    monkeypatch.setenv("CONTENT_DIR", str(bad))
    assert main(["content", "check"]) == 65
    err = capsys.readouterr().err
    assert "topic.yaml" in err and "nonsense" in err and "_field.yaml" in err


def test_coverage_json_lists_all_topics_and_languages(capsys) -> None:
    assert main(["content", "coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["languages"] == ["de", "en", "uk", "ru", "ar", "tr", "fa", "pl", "ro"]
    assert data["topics"]["sprache/integrationskurs"]["ar"] == "ok"
    kurdish = data["glossaries"]["ku"]
    assert kurdish["topics"] >= 32 and kurdish["phrases"] > 100 and kurdish["missing"] == []


def test_usage_errors_have_exit_code(tmp_path: Path, capsys) -> None:
    assert main(["ask", "--batch", str(tmp_path / "missing.jsonl")]) == 64
    with pytest.raises(SystemExit):
        main(["nonsense"])
